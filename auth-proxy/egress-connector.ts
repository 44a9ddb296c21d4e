/**
 * How the sidecar reaches its upstream: always through the egress proxy (a CONNECT tunnel over the
 * proxy's Unix socket or TCP port), so the allow-list and audit log see the sidecar's traffic too,
 * then TLS to the origin. The request is sent with node:http over the finished tunnel socket.
 */
import type http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { ParsedOrigin } from './upstreams.ts';
import { VENDOR_UNREACHABLE } from '../src/peer-output/vendor-unreachable-code.ts';

export type EgressVia = { path: string } | { host: string; port: number };

export class UpstreamConnectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamConnectError';
  }
}

/**
 * The egress proxy could not reach the vendor's host: its name did not resolve, or no address of
 * it answered (502/504 from the proxy: DNS, a corporate proxy or firewall in the way). Nothing was
 * sent; the sidecar answers it with VENDOR_UNREACHABLE in its error so the loop holds the peer
 * instead of counting the turn as a rate limit (src/peer-output/structured-events.ts).
 */
export class VendorUnreachable extends UpstreamConnectError {
  constructor(readonly host: string, readonly detail: string) {
    super(`cannot reach ${host} (${VENDOR_UNREACHABLE}): ${detail}`);
    this.name = 'VendorUnreachable';
  }
}


export type ConnectOptions = { via: EgressVia; timeoutMs?: number; ca?: string | Buffer };

/** Opens a tunnel through the egress proxy to `target`, TLS-wrapped when the origin is https. */
export async function openUpstreamSocket(target: ParsedOrigin, opts: ConnectOptions): Promise<net.Socket> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const raw = 'path' in opts.via ? net.connect(opts.via.path) : net.connect(opts.via.port, opts.via.host);
  const authority = target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
  const reply = await new Promise<Buffer>((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new UpstreamConnectError(`egress proxy did not answer within ${timeoutMs} ms`)), timeoutMs);
    const fail = (e: Error) => {
      clearTimeout(timer);
      raw.destroy();
      reject(e);
    };
    raw.on('error', (e: NodeJS.ErrnoException) => fail(new UpstreamConnectError(`egress proxy unreachable: ${e.code ?? e.message}`)));
    // The proxy closes after its refusal, which may come before the wait for its reason is over.
    let refused: Error | null = null;
    raw.on('close', () => fail(refused ?? new UpstreamConnectError(`egress proxy closed the connection: ${buf.toString('utf8').split('\r\n\r\n')[1]?.trim() ?? ''}`)));
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > 64 * 1024) fail(new UpstreamConnectError('egress proxy reply head too large'));
        return;
      }
      const status = buf.subarray(0, buf.indexOf('\r\n')).toString('latin1');
      if (!/^HTTP\/1\.[01] 200 /.test(status)) {
        // The proxy's reason is in the body; wait briefly for it so the client learns why.
        const why = () => buf.subarray(end + 4).toString('utf8').trim() || status;
        // 502/504: the proxy allowed the host but could not resolve or connect to it (proxy/egress-connection.ts).
        const unreachable = /^HTTP\/1\.[01] 50[24] /.test(status);
        const refusal = () => (unreachable ? new VendorUnreachable(target.host, why().replace(/^peers-egress: /, '')) : new UpstreamConnectError(`egress proxy refused ${authority}: ${why()}`));
        raw.off('data', onData);
        raw.on('data', (d: Buffer) => {
          buf = Buffer.concat([buf, d]).subarray(0, 64 * 1024);
          refused = refusal();
        });
        refused = refusal();
        setTimeout(() => fail(refusal()), 20);
        return;
      }
      clearTimeout(timer);
      raw.off('data', onData);
      raw.removeAllListeners('close');
      raw.removeAllListeners('error');
      // Errors after the handshake surface to the consumer as 'close'/'error' on the socket it
      // uses (the TLS socket, when wrapped); never as an unhandled exception from this one.
      raw.on('error', () => {});
      resolve(buf.subarray(end + 4));
    };
    raw.on('data', onData);
    raw.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  });
  if (reply.length > 0) raw.unshift(reply);
  raw.setNoDelay(true);
  if (!target.tls) return raw;
  const secure = tls.connect({ socket: raw, servername: target.host, ALPNProtocols: ['http/1.1'], ca: opts.ca });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', () => resolve());
    secure.once('error', (e) => reject(new UpstreamConnectError(`TLS to ${target.host} failed: ${e.message}`)));
  });
  return secure;
}

export type UpstreamRequest = { method: string; path: string; headers: Record<string, string>; body: Buffer };

/** Sends one request over a fresh tunnel; resolves with the response as soon as its head arrives. */
export async function sendUpstream(target: ParsedOrigin, req: UpstreamRequest, opts: ConnectOptions): Promise<http.IncomingMessage> {
  const sock = await openUpstreamSocket(target, opts);
  // Loaded on first use (an OAuth refresh): the sidecar's hot path never needs node:http, and
  // loading it keeps its JavaScript layer resident (BENCHMARKS.md, "Memory").
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const r = request(
      { method: req.method, path: req.path, headers: { ...req.headers, 'content-length': String(req.body.length) }, createConnection: () => sock } as http.RequestOptions,
      resolve,
    );
    r.on('error', (e) => reject(new UpstreamConnectError(`upstream request failed: ${e.message}`)));
    r.end(req.body);
  });
}
