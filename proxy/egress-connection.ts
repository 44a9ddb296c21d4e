/**
 * One client connection of the egress proxy (egress-server.ts): its request head, the decision on
 * it (policy, resolution, address guard, connection to the checked address), the audit record,
 * and then the relay of its bytes to the target (socket-relay.ts). Every refusal is an HTTP reply
 * with the reason; every outcome is one audit record.
 */
import type { Socket, SocketHandler } from 'bun';
import type { EgressAuditRecord, EgressDecision } from './audit-log.ts';
import type { EgressLimits, EgressServerOptions } from './egress-options.ts';
import { HeadError, type RequestHead, headerValue, splitAuthority, tryParseHead } from './request-head.ts';
import { CLIENT, SocketRelay, TARGET } from './socket-relay.ts';
import { judgeTunnelStart } from './tls-client-hello.ts';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 403: 'Forbidden', 405: 'Method Not Allowed', 408: 'Request Timeout', 414: 'URI Too Long',
  431: 'Request Header Fields Too Large', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
};

// Hop-by-hop headers never cross the proxy; proxy credentials never reach an origin.
const HOP_BY_HOP = new Set(['connection', 'proxy-connection', 'keep-alive', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'upgrade']);

/** Keeps a client-supplied value printable and short before it goes into a reason or a log line. */
function clip(text: string, max = 200): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

export class Refusal extends Error {
  constructor(readonly status: number, readonly reason: string, readonly decision: EgressDecision = 'deny') {
    super(reason);
  }
}

/** What the proxy keeps for each client connection; the socket's `data`. */
export type ClientData = Connection | null;

/** What a connection needs of the listener that accepted it (egress-server.ts): its settings and the shared tunnel count. */
export type ConnectionHost = {
  readonly limits: EgressLimits;
  readonly opts: EgressServerOptions;
  reserveTunnel(): void;
  releaseTunnel(): void;
  forget(conn: Connection): void;
};
/** One connection attempt to the target; `live` false once it was given up (a timeout). */
type TargetData = { conn: Connection; live: boolean };

const TARGET_HANDLERS: SocketHandler<TargetData> = {
  open(s) {
    if (s.data.live) s.data.conn.targetOpened(s);
    else s.terminate();
  },
  data(s, chunk) {
    s.data.conn.relay?.data(TARGET, chunk);
  },
  drain(s) {
    s.data.conn.relay?.drain(TARGET);
  },
  end(s) {
    s.data.conn.relay?.end(TARGET);
  },
  close(s) {
    if (s.data.live) s.data.conn.targetClosed();
  },
  error(s) {
    s.terminate();
  },
};

type Phase = 'head' | 'routing' | 'relaying' | 'refused' | 'closed';

/** One client connection: its request head, the decision, then the relay to the target. */
export class Connection {
  relay: SocketRelay | null = null;
  private phase: Phase = 'head';
  private readonly started = performance.now();
  private readonly rec: EgressAuditRecord;
  private logged = false;
  private counted = false;
  private buf: Buffer = Buffer.alloc(0);
  /** Bytes that arrived after the head while the request was being decided. */
  private early: Buffer[] = [];
  private clientEndedEarly = false;
  private head: RequestHead | null = null;
  private plain: { path: string; bodyLength: number } | null = null;
  /** A tunnel's first client bytes, held until they are judged (tls-client-hello.ts); null once passed. */
  private helloHeld: { buf: Buffer; ended: boolean } | null = null;
  private attempt: TargetData | null = null;
  private readonly headTimer: ReturnType<typeof setTimeout>;
  private readonly limits: EgressLimits;

  constructor(
    private readonly server: ConnectionHost,
    private readonly client: Socket<ClientData>,
  ) {
    this.limits = server.limits;
    const label = client.remoteAddress ? `${client.remoteAddress}:${client.remotePort}` : 'unix';
    this.rec = {
      ts: new Date().toISOString(), listener: server.opts.name ?? 'egress', client: label, method: '', host: '', port: 0, address: null,
      decision: 'deny', reason: '', status: 0, bytes_up: 0, bytes_down: 0, duration_ms: 0,
    };
    this.headTimer = setTimeout(() => this.refuse(new Refusal(408, `client sent no complete request head within ${this.limits.headerTimeoutMs} ms`)), this.limits.headerTimeoutMs);
  }

  fromClient(chunk: Buffer): void {
    switch (this.phase) {
      case 'relaying':
        this.clientBytes(chunk);
        return;
      case 'head':
        this.readHead(chunk);
        return;
      case 'routing':
        this.early.push(chunk); // read before the pause took effect
        return;
      default:
        return; // after a refusal, input is read only to see the client leave
    }
  }

  clientEnded(): void {
    if (this.phase === 'relaying' && this.helloHeld) {
      this.helloHeld.ended = true;
      this.judgeHello();
    } else if (this.phase === 'relaying') this.relay!.end(CLIENT);
    else if (this.phase === 'routing') this.clientEndedEarly = true;
    else this.client.end();
  }

  clientClosed(): void {
    clearTimeout(this.headTimer);
    this.server.forget(this);
    if (this.relay) this.relay.close(CLIENT);
    else if (this.attempt) this.attempt.live = false; // a connection still being opened is dropped when it opens
    if (!this.logged && this.rec.reason === '') {
      this.rec.reason = this.rec.decision === 'allow' ? 'closed' : 'client closed before sending a complete request';
    }
    this.phase = 'closed';
    this.finish();
  }

  targetOpened(target: Socket<TargetData>): void {
    if (this.phase !== 'routing') {
      target.terminate();
      return;
    }
    const head = this.head!;
    const rec = this.rec;
    rec.decision = 'allow';
    rec.reason = this.plain ? 'forwarded' : 'tunnel';
    rec.status = 200;
    target.setNoDelay(true);
    const relay = new SocketRelay(this.client, {
      idleTimeoutMs: this.limits.idleTimeoutMs,
      onIdle: () => (rec.reason = `closed after ${this.limits.idleTimeoutMs} ms idle`),
      forwardClientEnd: this.plain === null,
      clientByteLimit: this.plain?.bodyLength,
    });
    this.relay = relay;
    this.phase = 'relaying';
    relay.attach(target);
    if (this.plain === null) {
      this.helloHeld = { buf: Buffer.alloc(0), ended: false };
      relay.send(CLIENT, 'HTTP/1.1 200 Connection Established\r\n\r\n');
    } else {
      const lines = [`${head.method} ${this.plain.path} ${head.version}`];
      const named = new Set((headerValue(head, 'connection') ?? '').toLowerCase().split(',').map((s) => s.trim()));
      for (const [n, v] of head.headers) if (!HOP_BY_HOP.has(n) && !named.has(n)) lines.push(`${n}: ${v}`);
      // An HTTP/1.0 request may come without Host: the origin is told the host that was checked, not left to pick one.
      if (headerValue(head, 'host') === undefined) lines.push(`host: ${this.rec.port === 80 ? this.rec.host : `${this.rec.host}:${this.rec.port}`}`);
      lines.push('connection: close', '', '');
      relay.send(TARGET, Buffer.from(lines.join('\r\n'), 'latin1'));
    }
    // Bytes after the head: the start of the tunnelled stream, or of the declared body.
    for (const chunk of [head.rest, ...this.early]) if (chunk.length > 0) this.clientBytes(chunk);
    this.early = [];
    if (this.clientEndedEarly) this.clientEnded();
    if (this.phase === 'relaying') this.client.resume();
  }

  /** A chunk from the client once the target is open: held while the tunnel's start is judged, then relayed. */
  private clientBytes(chunk: Buffer): void {
    const held = this.helloHeld;
    if (held === null) {
      this.relay!.data(CLIENT, chunk);
      return;
    }
    held.buf = held.buf.length === 0 ? chunk : Buffer.concat([held.buf, chunk]);
    this.judgeHello();
  }

  /**
   * A CONNECT tunnel that starts with TLS must name its CONNECT host as its server name, or it is
   * closed before any byte reaches the target (SECURITY.md, "The TLS server name is the CONNECT name").
   */
  private judgeHello(): void {
    const held = this.helloHeld!;
    const verdict = judgeTunnelStart(held.buf, this.rec.host, held.ended);
    if (verdict.kind === 'more') return;
    if (verdict.kind === 'refuse') {
      this.helloHeld = null;
      Object.assign(this.rec, { decision: 'deny', reason: `tunnel closed: ${verdict.reason}`, status: 403 });
      this.phase = 'refused';
      this.relay!.destroy();
      return;
    }
    this.helloHeld = null;
    if (held.buf.length > 0) this.relay!.data(CLIENT, held.buf);
    if (held.ended) this.relay!.end(CLIENT);
  }

  targetClosed(): void {
    if (this.relay) this.relay.close(TARGET);
  }

  destroy(): void {
    if (this.relay) this.relay.destroy();
    else if (this.attempt) this.attempt.live = false;
    this.client.terminate();
  }

  private readHead(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let head: RequestHead | null;
    try {
      head = tryParseHead(this.buf, this.limits);
    } catch (err) {
      this.refuse(err);
      return;
    }
    if (!head) return;
    clearTimeout(this.headTimer);
    this.buf = Buffer.alloc(0);
    this.client.pause();
    this.phase = 'routing';
    this.head = head;
    this.rec.method = head.method;
    this.route(head).catch((err) => this.refuse(err));
  }

  private finish(): void {
    if (this.logged) return;
    this.logged = true;
    if (this.counted) this.server.releaseTunnel();
    const rec = this.rec;
    if (this.relay) {
      rec.bytes_up = this.relay.bytesUp;
      rec.bytes_down = this.relay.bytesDown;
    }
    rec.duration_ms = Math.round(performance.now() - this.started);
    this.server.opts.audit.record(rec);
  }

  private refuse(err: unknown): void {
    if (this.phase === 'refused' || this.phase === 'closed' || this.phase === 'relaying') return;
    clearTimeout(this.headTimer);
    this.phase = 'refused';
    if (this.attempt) this.attempt.live = false;
    const r = err instanceof Refusal ? err : err instanceof HeadError ? new Refusal(err.status, err.message) : new Refusal(502, `proxy error: ${(err as Error).message}`, 'error');
    this.rec.decision = r.decision;
    this.rec.reason = r.reason;
    this.rec.status = r.status;
    const body = `peers-egress: ${r.reason}\n`;
    const text = STATUS_TEXT[r.status] ?? 'Error';
    // The reply, then a FIN; the socket is closed a second later, so a client still sending (an
    // oversized head) reads the reply instead of a reset.
    this.client.write(`HTTP/1.1 ${r.status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nX-Peers-Egress: refused\r\n\r\n${body}`);
    this.client.shutdown();
    this.client.resume();
    this.finish();
    setTimeout(() => this.client.end(), 1000).unref();
  }

  private async route(head: RequestHead): Promise<void> {
    const isConnect = head.method === 'CONNECT';
    let host: string;
    let port: number;
    let path = '';
    if (isConnect) {
      const auth = splitAuthority(head.target);
      if (!auth) throw new Refusal(400, `CONNECT target must be host:port, got ${JSON.stringify(clip(head.target))}`);
      ({ host, port } = auth);
    } else {
      const m = /^http:\/\/([^/?#]*)([^#]*)$/i.exec(head.target);
      if (!m) {
        const why = /^https:/i.test(head.target) ? 'use CONNECT for https' : 'a forward proxy needs an absolute http:// URI';
        throw new Refusal(400, `request target ${JSON.stringify(clip(head.target))} refused: ${why}`);
      }
      if (m[1]!.includes('@')) throw new Refusal(400, 'credentials in the request URI are refused');
      const auth = splitAuthority(m[1]!, 80);
      if (!auth) throw new Refusal(400, `malformed authority ${JSON.stringify(clip(m[1]!))}`);
      ({ host, port } = auth);
      path = m[2] === '' ? '/' : m[2]!;
    }
    const rec = this.rec;
    rec.host = clip(host.toLowerCase(), 255);
    rec.port = port;
    const hostHeader = headerValue(head, 'host');
    if (hostHeader !== undefined) {
      const h = splitAuthority(hostHeader, isConnect ? port : 80);
      if (!h || h.host.toLowerCase().replace(/\.$/, '') !== host.toLowerCase().replace(/\.$/, '') || h.port !== port) {
        throw new Refusal(400, `Host header ${JSON.stringify(clip(hostHeader))} disagrees with the request target ${clip(host)}:${port}`);
      }
    } else if (!isConnect && head.version === 'HTTP/1.1') {
      throw new Refusal(400, 'HTTP/1.1 request without a Host header');
    }
    if (!isConnect && headerValue(head, 'transfer-encoding') !== undefined) {
      throw new Refusal(501, 'Transfer-Encoding request bodies are not supported for plain HTTP; send Content-Length');
    }
    if (!isConnect) {
      const lengths = head.headers.filter(([n]) => n === 'content-length').map(([, v]) => v);
      if (lengths.length > 1 || (lengths[0] !== undefined && !/^\d{1,15}$/.test(lengths[0]))) throw new Refusal(400, 'invalid or repeated Content-Length');
      this.plain = { path, bodyLength: lengths[0] === undefined ? 0 : Number(lengths[0]) };
    }

    const { policy, resolver, guard } = this.server.opts;
    const verdict = policy.check(host, port);
    if (!verdict.ok) throw new Refusal(403, verdict.reason);
    // From here on, the name in the one form the policy checked: resolved, audited, matched against the TLS server name.
    host = verdict.host;
    rec.host = host;
    this.server.reserveTunnel();
    this.counted = true;

    let addresses: string[];
    try {
      addresses = await resolver.resolve(host);
    } catch (err) {
      throw new Refusal(502, `could not resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'error');
    }
    if (addresses.length === 0) throw new Refusal(502, `${host} has no addresses`, 'error');
    for (const a of addresses) {
      const v = guard.check(a, host); // the name matters only to the test-mode guard
      if (!v.ok) {
        rec.address = a;
        throw new Refusal(403, `${host} resolves to ${a}, a ${v.reason}; refused`);
      }
    }
    await this.connectFirst(addresses, port);
  }

  /** Connects to the checked addresses in order; the first that answers becomes the target (targetOpened). */
  private async connectFirst(addresses: string[], port: number): Promise<void> {
    let lastError = 'no address';
    for (const address of addresses) {
      if (this.phase !== 'routing') return; // the client left, or the head timer fired meanwhile
      this.rec.address = address;
      const attempt: TargetData = { conn: this, live: true };
      this.attempt = attempt;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          Bun.connect<TargetData>({ hostname: address, port, allowHalfOpen: true, data: attempt, socket: TARGET_HANDLERS }),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${this.limits.connectTimeoutMs} ms`)), this.limits.connectTimeoutMs);
          }),
        ]);
        return;
      } catch (err) {
        attempt.live = false;
        const e = err as NodeJS.ErrnoException;
        lastError = e.code ?? e.message;
      } finally {
        clearTimeout(timer);
      }
    }
    throw new Refusal(502, `could not connect to ${this.rec.host}:${port} (${this.rec.address}): ${lastError}`, 'error');
  }
}
