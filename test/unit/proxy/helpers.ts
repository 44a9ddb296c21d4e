/** Local stand-ins for the internet: an upstream HTTP server and a raw proxy client. */
import http from 'node:http';
import net from 'node:net';
import { AddressGuard } from '../../../proxy/address-guard.ts';
import { MemoryAuditLog } from '../../../proxy/audit-log.ts';
import { EgressPolicy } from '../../../proxy/egress-policy.ts';
import type { EgressLimits } from '../../../proxy/egress-options.ts';
import { EgressServer } from '../../../proxy/egress-server.ts';
import { StaticResolver } from '../../../proxy/resolver.ts';

export type Upstream = { port: number; connections: number; requests: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[]; close(): Promise<void> };

/** An upstream that echoes what it received, and counts TCP connections (to prove none were made). */
export async function startUpstream(): Promise<Upstream> {
  const state: Upstream = { port: 0, connections: 0, requests: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`upstream saw ${req.method} ${req.url} host=${req.headers.host}`);
    });
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.port = (server.address() as net.AddressInfo).port;
  state.close = () => new Promise<void>((r) => { server.closeAllConnections?.(); server.close(() => r()); });
  return state;
}

export type ProxyFixture = { server: EgressServer; audit: MemoryAuditLog; port: number; close(): Promise<void> };

/**
 * An egress proxy whose resolver maps test names to local addresses. `allowLoopbackForTests`
 * is on only where a test needs to reach its local upstream; the address-refusal tests run the
 * product guard.
 */
export async function startProxy(opts: { allow: string[]; names: Record<string, string[]>; allowLoopbackForTests: boolean; limits?: Partial<EgressLimits> }): Promise<ProxyFixture> {
  const audit = new MemoryAuditLog();
  const server = new EgressServer({
    policy: EgressPolicy.fromLists(opts.allow),
    resolver: new StaticResolver(opts.names),
    guard: new AddressGuard({ allowLoopbackForTests: opts.allowLoopbackForTests }),
    audit,
    limits: opts.limits,
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  return { server, audit, port: server.port, close: () => server.close() };
}

/** Sends raw bytes to the proxy and collects everything until the proxy closes (or `untilText` appears). */
export function rawExchange(port: number, bytes: string | Buffer, untilText?: string, timeoutMs = 5000): Promise<{ text: string; closed: boolean; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const sock = net.connect(port, '127.0.0.1');
    let text = '';
    const done = (closed: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ text, closed, ms: performance.now() - started });
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('data', (d) => {
      text += d.toString('latin1');
      if (untilText && text.includes(untilText)) done(false);
    });
    sock.on('close', () => done(true));
    sock.on('error', () => {});
    sock.write(bytes);
  });
}

/** Opens a CONNECT tunnel and returns the socket once the proxy answered 200 (or rejects with its reply). */
export function openTunnel(proxyPort: number, authority: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(proxyPort, '127.0.0.1');
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onData);
      if (head.startsWith('HTTP/1.1 200')) resolve(sock);
      else {
        sock.destroy();
        reject(new Error(head));
      }
    };
    sock.on('data', onData);
    sock.on('error', reject);
    sock.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  });
}

/** Sends one HTTP/1.1 request through an open tunnel and returns the whole reply text. */
export function requestThrough(sock: net.Socket, hostHeader: string, path = '/'): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    sock.on('data', (d) => (text += d.toString('latin1')));
    sock.on('close', () => resolve(text));
    sock.write(`GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
