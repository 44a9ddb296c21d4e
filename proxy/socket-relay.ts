/**
 * Moves bytes both ways between two of Bun's native sockets: the client's (accepted by the egress
 * proxy or the bridge) and the target's (the connection it opened). Each chunk read is written
 * straight to the other socket, with no stream machinery and no copy; what the kernel does not take
 * at once is kept (the rest of that one chunk) and its source is paused until the destination
 * drains. A tunnel therefore never holds more than one read per direction, however slow a reader is.
 *
 * Closing follows TCP: a FIN is passed on once everything before it is written (half-close, so a
 * client may finish sending while it still reads); a side that closes has the other side closed
 * once the bytes already read from it are delivered. An idle timer, when asked for, closes both
 * when no byte has moved either way for that long.
 *
 * Bun's socket semantics this relies on (allowHalfOpen: true on both sockets): `shutdown()` sends a
 * FIN and keeps reading; `end()` closes the socket; a socket whose write side is already shut down
 * reports the peer's FIN as `close`, not `end`; `write()` returns how many bytes the kernel took.
 */
import type { Socket } from 'bun';

export const CLIENT = 0;
export const TARGET = 1;
export type Side = typeof CLIENT | typeof TARGET;

/** How long a side may take to read what is left for it after the other side has closed. */
export const LINGER_MS = 10_000;

export type RelayOptions = {
  /** Close both sides after this long without a byte moving either way (none: no idle limit). */
  idleTimeoutMs?: number;
  /** Called once when the idle limit closes the relay, before the sockets close. */
  onIdle?: () => void;
  /** Pass the client's FIN on to the target (true for a tunnel; a forwarded plain request keeps the target's side open for its reply). */
  forwardClientEnd?: boolean;
  /** Forward at most this many bytes from the client (a plain request's declared body); later ones are dropped. */
  clientByteLimit?: number;
};

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export class SocketRelay {
  /** Bytes read from the client and accepted for the target; bytes read from the target for the client. */
  bytesUp = 0;
  bytesDown = 0;
  private readonly sockets: [Socket<unknown> | null, Socket<unknown> | null];
  /** Bytes waiting to be written to each side (indexed by destination). */
  private readonly pending: [Uint8Array | null, Uint8Array | null] = [null, null];
  /** FIN received from each side and not yet passed on. */
  private readonly endPending: [boolean, boolean] = [false, false];
  private readonly closed: [boolean, boolean] = [false, false];
  private clientBytesLeft: number;
  private lastActivity = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    client: Socket<unknown>,
    private readonly opts: RelayOptions = {},
  ) {
    this.sockets = [client, null];
    this.clientBytesLeft = opts.clientByteLimit ?? Infinity;
  }

  /** Starts relaying once the target is connected. */
  attach(target: Socket<unknown>): void {
    this.sockets[TARGET] = target;
    if (this.pending[TARGET] !== null) this.drain(TARGET);
    if (this.opts.idleTimeoutMs !== undefined) {
      this.lastActivity = performance.now();
      this.idleTimer = setTimeout(this.checkIdle, this.opts.idleTimeoutMs);
    }
  }

  /** Bytes of the relay's own for `to` (a proxy's reply line, a rewritten request head): written in order, not counted. */
  send(to: Side, bytes: string | Uint8Array): void {
    this.write((1 - to) as Side, to, typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** A chunk read from `from`. */
  data(from: Side, chunk: Uint8Array): void {
    const to = (1 - from) as Side;
    if (from === CLIENT) {
      if (this.clientBytesLeft <= 0) return;
      if (chunk.length > this.clientBytesLeft) chunk = chunk.subarray(0, this.clientBytesLeft);
      this.clientBytesLeft -= chunk.length;
      this.bytesUp += chunk.length;
    } else {
      this.bytesDown += chunk.length;
    }
    if (this.idleTimer !== undefined) this.lastActivity = performance.now();
    this.write(from, to, chunk);
  }

  private write(from: Side, to: Side, chunk: Uint8Array): void {
    const dest = this.sockets[to];
    if (this.closed[to]) return;
    const queued = this.pending[to];
    if (queued !== null || dest === null) {
      // Bytes already read when the source was paused (or before the target was attached): kept
      // behind the queued ones.
      this.pending[to] = queued === null ? chunk : concat(queued, chunk);
      return;
    }
    const written = dest.write(chunk);
    if (written < chunk.length) {
      if (written < 0) return; // the destination is closing; its close handler tidies up
      this.pending[to] = chunk.subarray(written);
      this.sockets[from]?.pause();
    }
  }

  /** `side` can take more bytes. */
  drain(side: Side): void {
    const queued = this.pending[side];
    const dest = this.sockets[side];
    if (queued === null || dest === null) return;
    const written = dest.write(queued);
    if (written < queued.length) {
      if (written > 0) this.pending[side] = queued.subarray(written);
      return;
    }
    this.pending[side] = null;
    if (this.idleTimer !== undefined) this.lastActivity = performance.now();
    const from = (1 - side) as Side;
    if (this.closed[from]) dest.end();
    else if (this.endPending[from]) this.passEnd(from);
    else this.sockets[from]?.resume();
  }

  /** `from` sent a FIN (and is still open for writing). */
  end(from: Side): void {
    if (from === CLIENT && this.opts.forwardClientEnd === false) return;
    this.endPending[from] = true;
    if (this.pending[1 - from] === null) this.passEnd(from);
  }

  /** `side`'s socket has closed: the other side is closed once what was read from `side` is delivered. */
  close(side: Side): void {
    if (this.closed[side]) return;
    this.closed[side] = true;
    this.pending[side] = null;
    const other = (1 - side) as Side;
    const dest = this.sockets[other];
    if (this.closed[other]) this.stopTimers();
    else if (dest === null) this.closed[other] = true;
    else if (this.pending[other] === null) dest.end();
    // A reader that stops reading cannot hold the socket open for ever.
    else this.lingerTimer ??= setTimeout(() => this.destroy(), LINGER_MS);
  }

  /** Closes both sides now. */
  destroy(): void {
    this.stopTimers();
    for (const s of [CLIENT, TARGET] as const) {
      const sock = this.sockets[s];
      if (sock !== null && !this.closed[s]) sock.end();
    }
  }

  private passEnd(from: Side): void {
    this.endPending[from] = false;
    const to = (1 - from) as Side;
    if (!this.closed[to]) this.sockets[to]?.shutdown();
  }

  private stopTimers(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.idleTimer = this.lingerTimer = undefined;
  }

  private readonly checkIdle = (): void => {
    const limit = this.opts.idleTimeoutMs!;
    const quiet = performance.now() - this.lastActivity;
    if (quiet < limit) {
      this.idleTimer = setTimeout(this.checkIdle, limit - quiet);
      return;
    }
    this.idleTimer = undefined;
    this.opts.onIdle?.();
    this.destroy();
  };
}
