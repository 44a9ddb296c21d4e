/**
 * A small HTTP/1.1 client with keep-alive connections to ONE upstream origin, over tunnels through
 * the egress proxy (or a caller-supplied dialer: the scripted model server on the pod's loopback).
 *
 * Why not node:http: under Bun, a request sent over a caller-supplied socket is always
 * `Connection: close`, so every request would pay a new tunnel and a new TLS handshake to the
 * vendor (tens of milliseconds on the internet, per request). The CLIs themselves keep their
 * connections alive; so does this pool, so the sidecar adds almost nothing to time to first byte.
 *
 * Responses are delivered as they arrive (the body stream yields each decoded chunk at once).
 * A connection returns to the pool only after its response was read completely with known framing
 * (Content-Length or chunked) and neither side asked to close. A request that fails on a reused
 * connection by a reset or close before any response byte arrived, within STALE_RACE_MS of being
 * written (the server had closed it while idle: its close crossed the request), is retried once on
 * a fresh connection; one that met only silence until the idle limit is not, nor one closed later
 * (the egress proxy closes a tunnel silent for 300 s, before the sidecar's own 600 s limit, while the
 * vendor may be generating a non-streamed reply): the vendor may be generating it, and would bill it
 * twice (SECURITY.md, "Nothing unmetered").
 */
import type net from 'node:net';
import { Readable } from 'node:stream';
import { ChunkedDecoder } from './chunked-decoder.ts';
import { type ConnectOptions, openUpstreamSocket, UpstreamConnectError } from './egress-connector.ts';
import type { ParsedOrigin } from './upstreams.ts';

export type PoolRequest = { method: string; path: string; headers: Record<string, string>; body: Buffer };
export type PoolResponse = { status: number; headers: Record<string, string | string[]>; body: Readable };

const MAX_HEAD = 64 * 1024;

/**
 * How long after a request is written on a reused connection a close or reset with no reply byte
 * is still the idle-connection race (the server's close was on its way when the request left). A
 * round trip to the vendor through the egress proxy is well under it; a vendor at work on the
 * request is silent far longer, and a close then means the request may have been generated.
 */
export const STALE_RACE_MS = 1000;

export class UpstreamPool {
  private idle: net.Socket[] = [];
  /** New tunnels opened (observable: tests and the benchmark check reuse). */
  opened = 0;

  constructor(private readonly target: ParsedOrigin, private readonly connect: ConnectOptions | (() => Promise<net.Socket>), private readonly opts: { idleMs?: number; maxIdle?: number; readTimeoutMs?: number; staleRaceMs?: number } = {}) {}

  async request(req: PoolRequest): Promise<PoolResponse> {
    const reused = this.takeIdle();
    if (reused) {
      try {
        return await this.exchange(reused, req, true);
      } catch (e) {
        if (!(e instanceof StaleConnection)) throw e;
      }
    }
    this.opened++;
    return this.exchange(await (typeof this.connect === 'function' ? this.connect() : openUpstreamSocket(this.target, this.connect)), req, false);
  }

  close(): void {
    for (const s of this.idle) s.destroy();
    this.idle = [];
  }

  private takeIdle(): net.Socket | undefined {
    for (;;) {
      const s = this.idle.pop();
      if (!s) return undefined;
      for (const ev of ['close', 'error', 'data', 'timeout']) s.removeAllListeners(ev);
      s.setTimeout(0);
      if (!s.destroyed && s.readable && s.writable) return s;
    }
  }

  private release(sock: net.Socket): void {
    if (this.idle.length >= (this.opts.maxIdle ?? 16)) return void sock.destroy();
    for (const ev of ['close', 'error', 'data', 'end', 'timeout']) sock.removeAllListeners(ev);
    const drop = () => {
      this.idle = this.idle.filter((x) => x !== sock);
      sock.destroy();
    };
    sock.on('close', drop);
    sock.on('error', drop);
    sock.on('data', drop); // an idle connection has nothing to say; anything it sends is desync
    sock.setTimeout(this.opts.idleMs ?? 30_000, drop);
    this.idle.push(sock);
  }

  private exchange(sock: net.Socket, req: PoolRequest, reused: boolean): Promise<PoolResponse> {
    const lines = [`${req.method} ${req.path} HTTP/1.1`];
    for (const [k, v] of Object.entries(req.headers)) if (k !== 'content-length' && k !== 'connection') lines.push(`${k}: ${v}`);
    lines.push(`content-length: ${req.body.length}`, 'connection: keep-alive', '', '');
    return new Promise((resolve, reject) => {
      let buf: Buffer = Buffer.alloc(0);
      let gotAny = false;
      let settled = false;
      let body: Readable | null = null;
      let parser: BodyParser | null = null;
      let keepAlive = true;
      let complete = false;
      const written = performance.now();
      const fail = (e: Error, mayBeStale = true) => {
        if (complete) return;
        if (!settled) {
          settled = true;
          sock.destroy();
          // The request was written before it failed: the vendor may have processed (and billed) it.
          // Only a reset or close at once can be the idle-connection race; a silence as long as the
          // idle limit, or a close after one (the egress proxy's tunnel idle limit), is the vendor
          // working on it, and sending it again would be billed twice.
          const race = reused && !gotAny && mayBeStale && performance.now() - written <= (this.opts.staleRaceMs ?? STALE_RACE_MS);
          reject(race ? new StaleConnection() : new UnansweredRequest(e.message));
        } else body?.destroy(e);
        sock.destroy();
      };
      sock.on('error', (e: NodeJS.ErrnoException) => fail(new UpstreamConnectError(`upstream connection failed: ${e.code ?? e.message}`)));
      sock.on('close', () => {
        if (parser && parser.untilClose && body) {
          body.push(null);
          return;
        }
        fail(new UpstreamConnectError('upstream closed the connection before the reply was complete'));
      });
      sock.setTimeout(this.opts.readTimeoutMs ?? 600_000, () => fail(new UpstreamConnectError('upstream idle timeout'), false));
      const finish = () => {
        complete = true;
        body!.push(null);
        sock.setTimeout(0);
        if (keepAlive) this.release(sock);
        else sock.destroy();
      };
      const onBodyBytes = (chunk: Buffer) => {
        let parsed: ReturnType<BodyParser['feed']>;
        try {
          parsed = parser!.feed(chunk);
        } catch (e) {
          return fail(e as Error);
        }
        const { data, done, rest } = parsed;
        for (const d of data) if (!body!.push(d)) sock.pause();
        if (done) {
          if (rest.length > 0) keepAlive = false; // bytes beyond the reply: never reuse
          finish();
        }
      };
      sock.on('data', (chunk: Buffer) => {
        gotAny = true;
        if (body) return onBodyBytes(chunk);
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buf.length > MAX_HEAD) fail(new UpstreamConnectError('upstream reply head too large'));
          return;
        }
        const head = parseHead(buf.subarray(0, end).toString('latin1'));
        const rest = buf.subarray(end + 4);
        buf = Buffer.alloc(0);
        if (!head) return fail(new UpstreamConnectError('malformed upstream reply head'));
        if (head.status >= 100 && head.status < 200) {
          if (rest.length) sock.emit('data', rest);
          return;
        }
        const conn = String(head.headers.connection ?? '').toLowerCase();
        if (conn.includes('close') || head.version === 'HTTP/1.0') keepAlive = false;
        parser = BodyParser.for(req.method, head.status, head.headers);
        if (parser.untilClose) keepAlive = false;
        body = new Readable({
          read: () => void sock.resume(),
          // A reader that gives up mid-reply leaves the connection in an unknown state: close it.
          destroy: (err, cb) => {
            if (!complete) sock.destroy();
            cb(err);
          },
        });
        settled = true;
        resolve({ status: head.status, headers: head.headers, body });
        if (parser.done) finish();
        else if (rest.length) onBodyBytes(rest);
      });
      sock.write(lines.join('\r\n'), 'latin1');
      if (req.body.length) sock.write(req.body);
    });
  }
}

class StaleConnection extends Error {}

/** The request went out on the connection, but no reply head came back (reset, close, idle timeout). */
export class UnansweredRequest extends UpstreamConnectError {
  readonly stalled: boolean;
  constructor(message: string) {
    super(message);
    this.name = 'UnansweredRequest';
    this.stalled = message === 'upstream idle timeout';
  }
}

function parseHead(text: string): { version: string; status: number; headers: Record<string, string | string[]> } | null {
  const lines = text.split('\r\n');
  const m = /^(HTTP\/1\.[01]) (\d{3})(?: .*)?$/.exec(lines[0]!);
  if (!m) return null;
  const headers: Record<string, string | string[]> = {};
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (c <= 0) return null;
    const k = l.slice(0, c).trim().toLowerCase();
    const v = l.slice(c + 1).trim();
    const prev = headers[k];
    headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return { version: m[1]!, status: Number(m[2]), headers };
}

/** Decodes one reply body by its framing: none, Content-Length, chunked (chunked-decoder.ts, lenient), or until close. */
class BodyParser {
  done = false;
  untilClose = false;
  private remaining = 0;
  private chunked: ChunkedDecoder | null = null;

  static for(method: string, status: number, headers: Record<string, string | string[]>): BodyParser {
    const p = new BodyParser();
    const te = String(headers['transfer-encoding'] ?? '').toLowerCase();
    if (method === 'HEAD' || status === 204 || status === 304) p.done = true;
    else if (te.includes('chunked')) p.chunked = new ChunkedDecoder({ strict: false });
    else if (headers['content-length'] !== undefined && /^\d+$/.test(String(headers['content-length']))) {
      p.remaining = Number(headers['content-length']);
      p.done = p.remaining === 0;
    } else p.untilClose = true;
    return p;
  }

  feed(chunk: Buffer): { data: Buffer[]; done: boolean; rest: Buffer } {
    if (this.untilClose) return { data: [chunk], done: false, rest: Buffer.alloc(0) };
    if (!this.chunked) {
      const take = chunk.subarray(0, this.remaining);
      this.remaining -= take.length;
      this.done = this.remaining === 0;
      return { data: take.length ? [take] : [], done: this.done, rest: chunk.subarray(take.length) };
    }
    const data: Buffer[] = [];
    const after = this.chunked.feed(chunk, (c) => data.push(c));
    if (typeof after === 'string') throw new UpstreamConnectError(`malformed chunked upstream reply (${after})`);
    if (after) this.done = true;
    return { data, done: this.done, rest: after ?? Buffer.alloc(0) };
  }
}
