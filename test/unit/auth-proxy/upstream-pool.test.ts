/**
 * The sidecar's keep-alive HTTP/1.1 client against a raw TCP server that frames replies by hand,
 * through the real egress proxy: every framing the vendors use, reuse, and the stale-connection race.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import net from 'node:net';
import { UnansweredRequest, UpstreamPool } from '../../../auth-proxy/upstream-pool.ts';
import { type Egress, startEgress } from './sidecar-fixture.ts';

type Script = (req: string, sock: net.Socket, n: number) => void;
let server: net.Server;
let port: number;
let egress: Egress;
let script: Script = () => {};
let connections = 0;

beforeAll(async () => {
  server = net.createServer((sock) => {
    connections++;
    let n = 0;
    let buf = '';
    sock.on('error', () => {});
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      // Requests from the pool always carry content-length; answer once the body is in.
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        const req = buf.slice(0, end + 4 + len);
        buf = buf.slice(end + 4 + len);
        script(req, sock, n++);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as net.AddressInfo).port;
  egress = await startEgress(port);
});
afterAll(async () => {
  await egress.close();
  server.close();
});

const pool = (opts: { readTimeoutMs?: number } = {}) => new UpstreamPool({ tls: false, host: 'api.peers.test', port }, { via: { path: egress.socket } }, opts);
const get = async (p: UpstreamPool, path = '/') => {
  const r = await p.request({ method: 'POST', path, headers: { host: 'api.peers.test' }, body: Buffer.from('{}') });
  let text = '';
  for await (const c of r.body) text += c;
  return { status: r.status, headers: r.headers, text };
};

describe('upstream keep-alive pool', () => {
  test('decodes chunked replies split anywhere (extensions and trailers included) and reuses the connection', async () => {
    script = (_req, sock) => {
      const raw = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n';
      for (let i = 0; i < raw.length; i += 3) sock.write(raw.slice(i, i + 3));
    };
    const p = pool();
    const before = connections;
    expect(await get(p)).toMatchObject({ status: 200, text: 'hello, world' });
    expect(await get(p)).toMatchObject({ status: 200, text: 'hello, world' });
    expect(connections - before).toBe(1);
    expect(p.opened).toBe(1);
    p.close();
  });

  test('Content-Length replies, repeated headers kept as lists', async () => {
    script = (_req, sock) => sock.write('HTTP/1.1 201 Created\r\nContent-Length: 4\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nbody');
    const p = pool();
    const r = await get(p);
    expect(r).toMatchObject({ status: 201, text: 'body' });
    expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    p.close();
  });

  test('a reply framed by connection close is read to the end and the connection not reused', async () => {
    script = (_req, sock) => sock.end('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil-close body');
    const p = pool();
    expect((await get(p)).text).toBe('until-close body');
    expect((await get(p)).text).toBe('until-close body');
    expect(p.opened).toBe(2);
    p.close();
  });

  test('a kept-alive connection the server dropped while idle is retried once on a fresh one', async () => {
    // The second request on each connection is met with a close and no reply: the race between
    // reusing an idle connection and the server's keep-alive timeout.
    script = (_req, sock, n) => (n === 0 ? sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok') : sock.destroy());
    const p = pool();
    expect((await get(p)).text).toBe('ok');
    expect((await get(p)).text).toBe('ok');
    expect(p.opened).toBe(2);
    p.close();
  });

  test('a request the upstream sat on until the idle timeout is not sent again: the vendor may be generating (and billing) it', async () => {
    // Attack (SECURITY.md, "A request goes out only if the budget left covers it"): a long
    // non-streamed reply sends nothing until it is done; on a reused connection the idle timeout
    // was taken for a stale connection and the request sent again, so the vendor generated and
    // billed it twice against one reservation and one ledger line.
    let received = 0;
    script = (_req, sock, n) => {
      if (n === 0) return void sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      received++; // generating: silent past the sidecar's idle limit
    };
    const p = pool({ readTimeoutMs: 300 });
    expect((await get(p)).text).toBe('ok');
    const err = await get(p).catch((e: Error) => e);
    expect(err).toBeInstanceOf(UnansweredRequest);
    expect((err as UnansweredRequest).stalled).toBe(true);
    expect(received).toBe(1);
    p.close();
  });

  test('a reply cut off mid-body is an error, never a silently short body', async () => {
    script = (_req, sock) => sock.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this');
    const p = pool();
    await expect(get(p)).rejects.toThrow('upstream closed the connection before the reply was complete');
    p.close();
  });
});
