/**
 * The egress allow-list proxy: an HTTP/1.1 forward proxy (CONNECT tunnels and absolute-form plain
 * HTTP) listening on TCP or a Unix socket.
 *
 * Each connection carries exactly one request: the proxy parses the head itself (request-head.ts),
 * checks the name against the allow-list, resolves it once, checks every address, connects to
 * the checked address, and then only moves bytes. One request per connection means a client can
 * never slip a second, unchecked request down a connection the proxy already approved.
 * Every outcome, allowed or refused, becomes one audit record.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import type { AddressGuard } from './address-guard.ts';
import type { AuditSink, EgressAuditRecord, EgressDecision } from './audit-log.ts';
import type { EgressPolicy } from './egress-policy.ts';
import { type HeadLimits, HeadError, type RequestHead, headerValue, splitAuthority, tryParseHead } from './request-head.ts';
import type { Resolver } from './resolver.ts';

export type EgressLimits = HeadLimits & {
  /** A client must send its whole request head within this time (slowloris defence). */
  headerTimeoutMs: number;
  /** A tunnel with no byte in either direction for this long is closed. */
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  /** Concurrent tunnels and plain requests; more are refused with 503. */
  maxTunnels: number;
  /** Open client connections of any kind (including ones still sending their head). */
  maxConnections: number;
};

export const DEFAULT_EGRESS_LIMITS: EgressLimits = {
  maxRequestLineBytes: 8 * 1024,
  maxHeaderBytes: 32 * 1024,
  maxHeaderCount: 100,
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
  connectTimeoutMs: 10_000,
  maxTunnels: 256,
  maxConnections: 1024,
};

export type EgressServerOptions = {
  policy: EgressPolicy;
  resolver: Resolver;
  guard: AddressGuard;
  audit: AuditSink;
  limits?: Partial<EgressLimits>;
  /** Names this listener in audit records. */
  name?: string;
};

export type ListenTarget = { host: string; port: number } | { path: string; mode?: number };

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

class Refusal extends Error {
  constructor(readonly status: number, readonly reason: string, readonly decision: EgressDecision = 'deny') {
    super(reason);
  }
}

export class EgressServer {
  readonly limits: EgressLimits;
  private readonly server: net.Server;
  private active = 0;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly opts: EgressServerOptions) {
    this.limits = { ...DEFAULT_EGRESS_LIMITS, ...opts.limits };
    this.server = net.createServer((socket) => this.handle(socket));
  }

  get activeTunnels(): number {
    return this.active;
  }

  async listen(target: ListenTarget): Promise<string> {
    if ('path' in target) {
      try {
        // A stale socket from a previous run blocks bind; anything else at that path is left alone.
        if (lstatSync(target.path).isSocket()) unlinkSync(target.path);
      } catch {}
    }
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      if ('path' in target) this.server.listen(target.path, () => resolve());
      else this.server.listen(target.port, target.host, () => resolve());
    });
    if ('path' in target) {
      chmodSync(target.path, target.mode ?? 0o660);
      return `unix:${target.path}`;
    }
    const a = this.server.address() as net.AddressInfo;
    return `${a.address}:${a.port}`;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(client: net.Socket): void {
    if (this.sockets.size >= this.limits.maxConnections) {
      // Refused before reading anything: a flood of idle connections cannot exhaust descriptors.
      client.on('error', () => {});
      client.end(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 51\r\n\r\npeers-egress: too many open connections; try later\n`);
      setTimeout(() => client.destroy(), 1000).unref();
      return;
    }
    this.sockets.add(client);
    const started = performance.now();
    const label = client.remoteAddress ? `${client.remoteAddress}:${client.remotePort}` : 'unix';
    const rec: EgressAuditRecord = {
      ts: new Date().toISOString(), listener: this.opts.name ?? 'egress', client: label, method: '', host: '', port: 0, address: null,
      decision: 'deny', reason: '', status: 0, bytes_up: 0, bytes_down: 0, duration_ms: 0,
    };
    let logged = false;
    let counted = false;
    let upstream: net.Socket | null = null;
    const finish = () => {
      if (logged) return;
      logged = true;
      if (counted) this.active--;
      rec.duration_ms = Math.round(performance.now() - started);
      this.opts.audit.record(rec);
    };
    const refuse = (err: unknown) => {
      const r = err instanceof Refusal ? err : err instanceof HeadError ? new Refusal(err.status, err.message) : new Refusal(502, `proxy error: ${(err as Error).message}`, 'error');
      rec.decision = r.decision;
      rec.reason = r.reason;
      rec.status = r.status;
      const body = `peers-egress: ${r.reason}\n`;
      const text = STATUS_TEXT[r.status] ?? 'Error';
      if (!client.destroyed && client.writable) {
        client.end(`HTTP/1.1 ${r.status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nX-Peers-Egress: refused\r\n\r\n${body}`);
      }
      upstream?.destroy();
      finish();
      setTimeout(() => client.destroy(), 1000).unref();
    };

    client.on('error', () => {});
    client.on('close', () => {
      clearTimeout(headTimer);
      this.sockets.delete(client);
      upstream?.destroy();
      if (!logged && rec.reason === '') {
        rec.reason = rec.decision === 'allow' ? 'closed' : 'client closed before sending a complete request';
      }
      finish();
    });

    let buf: Buffer = Buffer.alloc(0);
    const headTimer = setTimeout(() => refuse(new Refusal(408, `client sent no complete request head within ${this.limits.headerTimeoutMs} ms`)), this.limits.headerTimeoutMs);
    const onData = (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let head: RequestHead | null;
      try {
        head = tryParseHead(buf, this.limits);
      } catch (err) {
        clearTimeout(headTimer);
        client.off('data', onData);
        refuse(err);
        return;
      }
      if (!head) return;
      clearTimeout(headTimer);
      client.off('data', onData);
      client.pause();
      rec.method = head.method;
      this.route(client, head, rec, (s) => (upstream = s), () => {
        if (this.active >= this.limits.maxTunnels) throw new Refusal(503, `too many concurrent tunnels (limit ${this.limits.maxTunnels})`);
        this.active++;
        counted = true;
      }).catch(refuse);
    };
    client.on('data', onData);
  }

  private async route(client: net.Socket, head: RequestHead, rec: EgressAuditRecord, setUpstream: (s: net.Socket) => void, reserve: () => void): Promise<void> {
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
    let bodyLength = 0;
    if (!isConnect) {
      const lengths = head.headers.filter(([n]) => n === 'content-length').map(([, v]) => v);
      if (lengths.length > 1 || (lengths[0] !== undefined && !/^\d{1,15}$/.test(lengths[0]))) throw new Refusal(400, 'invalid or repeated Content-Length');
      bodyLength = lengths[0] === undefined ? 0 : Number(lengths[0]);
    }

    const verdict = this.opts.policy.check(host, port);
    if (!verdict.ok) throw new Refusal(403, verdict.reason);
    reserve();

    let addresses: string[];
    try {
      addresses = await this.opts.resolver.resolve(host);
    } catch (err) {
      throw new Refusal(502, `could not resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'error');
    }
    if (addresses.length === 0) throw new Refusal(502, `${host} has no addresses`, 'error');
    for (const a of addresses) {
      const v = this.opts.guard.check(a, host); // the name matters only to the test-mode guard
      if (!v.ok) {
        rec.address = a;
        throw new Refusal(403, `${host} resolves to ${a}, a ${v.reason}; refused`);
      }
    }

    const upstream = await this.connectFirst(addresses, port, rec, setUpstream);
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    rec.decision = 'allow';
    rec.reason = isConnect ? 'tunnel' : 'forwarded';
    rec.status = 200;
    this.pump(client, upstream, rec);
    if (isConnect) {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.rest.length > 0) {
        rec.bytes_up += head.rest.length;
        upstream.write(head.rest);
      }
      client.on('data', (c: Buffer) => {
        rec.bytes_up += c.length;
        if (!upstream.write(c)) client.pause();
      });
      upstream.on('drain', () => client.resume());
      client.on('end', () => upstream.end());
      client.resume();
      return;
    }
    const lines = [`${head.method} ${path} ${head.version}`];
    const named = new Set((headerValue(head, 'connection') ?? '').toLowerCase().split(',').map((s) => s.trim()));
    for (const [n, v] of head.headers) if (!HOP_BY_HOP.has(n) && !named.has(n)) lines.push(`${n}: ${v}`);
    lines.push('connection: close', '', '');
    upstream.write(lines.join('\r\n'), 'latin1');
    // Forward exactly the declared body; anything the client sends after it is never forwarded.
    let remaining = bodyLength;
    const sendBody = (c: Buffer) => {
      if (remaining <= 0) return;
      const part = c.length > remaining ? c.subarray(0, remaining) : c;
      remaining -= part.length;
      rec.bytes_up += part.length;
      if (!upstream.write(part)) client.pause();
    };
    sendBody(head.rest);
    upstream.on('drain', () => client.resume());
    client.on('data', sendBody);
    client.resume();
  }

  /** Upstream → client with backpressure, idle timeouts on both sides, and byte counting. */
  private pump(client: net.Socket, upstream: net.Socket, rec: EgressAuditRecord): void {
    upstream.on('data', (c: Buffer) => {
      rec.bytes_down += c.length;
      if (!client.write(c)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
    upstream.on('end', () => client.end());
    upstream.on('close', () => {
      if (!client.destroyed) client.end();
      setTimeout(() => client.destroy(), 1000).unref();
    });
    const idle = () => {
      rec.reason = `closed after ${this.limits.idleTimeoutMs} ms idle`;
      client.destroy();
      upstream.destroy();
    };
    client.setTimeout(this.limits.idleTimeoutMs, idle);
    upstream.setTimeout(this.limits.idleTimeoutMs, idle);
  }

  private async connectFirst(addresses: string[], port: number, rec: EgressAuditRecord, setUpstream: (s: net.Socket) => void): Promise<net.Socket> {
    let lastError = 'no address';
    for (const address of addresses) {
      rec.address = address;
      try {
        const s = await new Promise<net.Socket>((resolve, reject) => {
          const sock = net.connect({ host: address, port });
          setUpstream(sock);
          const timer = setTimeout(() => {
            sock.destroy();
            reject(new Error(`timed out after ${this.limits.connectTimeoutMs} ms`));
          }, this.limits.connectTimeoutMs);
          sock.once('connect', () => {
            clearTimeout(timer);
            sock.setNoDelay(true);
            resolve(sock);
          });
          sock.once('error', (e: NodeJS.ErrnoException) => {
            clearTimeout(timer);
            reject(new Error(e.code ?? e.message));
          });
        });
        s.on('error', () => {});
        return s;
      } catch (err) {
        lastError = (err as Error).message;
      }
    }
    throw new Refusal(502, `could not connect to ${rec.host}:${port} (${rec.address}): ${lastError}`, 'error');
  }
}
