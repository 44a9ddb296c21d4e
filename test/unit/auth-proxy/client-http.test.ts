/**
 * The sidecar's own HTTP/1.1 server (auth-proxy/client-http.ts): a head whose framing two parsers
 * could read differently is refused, never guessed; requests on one connection run one at a time.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { connect, type Socket } from 'node:net';
import { ChunkedDecoder } from '../../../auth-proxy/chunked-decoder.ts';
import { ClientHttpServer } from '../../../auth-proxy/client-http.ts';
import type { ClientResponse } from '../../../auth-proxy/client-response.ts';
import { parseRequestHead } from '../../../auth-proxy/request-head.ts';

describe('parseRequestHead', () => {
  test('refuses every head whose body framing is ambiguous or malformed', () => {
    const head = (...lines: string[]) => parseRequestHead(['POST /v1/messages HTTP/1.1', 'Host: 127.0.0.1', ...lines].join('\r\n'));
    expect(head('Content-Length: 5', 'Transfer-Encoding: chunked')).toBe('both Content-Length and Transfer-Encoding');
    expect(head('Content-Length: 5', 'Content-Length: 6')).toBe('invalid Content-Length');
    expect(head('Content-Length: 5, 6')).toBe('invalid Content-Length');
    expect(head('Content-Length: +5')).toBe('invalid Content-Length');
    expect(head('Transfer-Encoding: gzip, chunked')).toBe('unsupported Transfer-Encoding');
    expect(head('Transfer-Encoding: chunked', 'Transfer-Encoding: chunked')).toBe('unsupported Transfer-Encoding');
    expect(head('X-A: 1', ' folded: continuation')).toBe('malformed header name');
    expect(head('X-A: a\nContent-Length: 5')).toBe('malformed header value');
    expect(head('X-A: a\0b')).toBe('malformed header value');
    expect(head('Bad Name: 1')).toBe('malformed header name');
    expect(parseRequestHead('POST /v1/messages HTTP/2.0\r\nHost: x')).toBe('malformed request line');
  });

  test('reads a plain head as node:http did: repeated headers joined, cookies with "; "', () => {
    const h = parseRequestHead(['POST /v1/messages?beta=true HTTP/1.1', 'Host: 127.0.0.1:8080', 'X-A: 1', 'x-a: 2', 'Cookie: a=1', 'Cookie: b=2', 'Content-Length: 12'].join('\r\n'));
    expect(h).toEqual({ method: 'POST', url: '/v1/messages?beta=true', version: 'HTTP/1.1', headers: { host: '127.0.0.1:8080', 'x-a': '1, 2', cookie: 'a=1; b=2', 'content-length': '12' }, framing: { length: 12 } });
  });
});

describe('ChunkedDecoder', () => {
  const decode = (wire: string, strict = true) => {
    const body: Buffer[] = [];
    const r = new ChunkedDecoder({ strict }).feed(Buffer.from(wire, 'latin1'), (c) => body.push(c));
    return typeof r === 'string' ? r : { body: Buffer.concat(body).toString('latin1'), rest: r?.toString('latin1') ?? null };
  };

  test('a chunk size is bare hex: a sign, 0x, whitespace, a bare LF or more than 12 digits is refused', () => {
    for (const size of ['+5', '-5', '0x5', ' 5', '5 ', '', '1234567890abc', '５']) expect(decode(`${size}\r\nhello\r\n0\r\n\r\n`)).toBe('malformed chunk size');
    expect(decode('5\nhello\r\n0\r\n\r\n')).toBe('malformed chunked body');
    expect(decode('5\r\nhello!\r\n0\r\n\r\n')).toBe('malformed chunked body');
    expect(decode('5;ext="a"\r\nhello\r\n0\r\n\r\nNEXT')).toEqual({ body: 'hello', rest: 'NEXT' });
  });

  test("read leniently (a vendor's reply), whitespace around the size and a bare LF are accepted; a size that is not bare hex still is not", () => {
    for (const size of [' 5', '5 ', '5 ;ext=1']) expect(decode(`${size}\r\nhello\r\n0\r\n\r\n`, false)).toEqual({ body: 'hello', rest: '' });
    expect(decode('5\nhello\n0\n\nNEXT', false)).toEqual({ body: 'hello', rest: 'NEXT' });
    for (const size of ['+5', '-5', '0x5', '', '1234567890abc', '５']) expect(decode(`${size}\r\nhello\r\n0\r\n\r\n`, false)).toBe('malformed chunk size');
    expect(decode('5\r\nhello!\r\n0\r\n\r\n', false)).toBe('malformed chunked body');
  });

  test('trailers are dropped, whatever they name, and bounded', () => {
    expect(decode('1\r\na\r\n0\r\nContent-Length: 99\r\nAuthorization: Bearer x\r\n\r\n')).toEqual({ body: 'a', rest: '' });
    // Before: trailer lines were never counted, so a body could go on for ever past maxRequestBytes' count.
    expect(decode(`0\r\n${'X-T: yyyyyyyyyyyyyyyyyyyyyyyyy\r\n'.repeat(1000)}\r\n`)).toBe('trailers too large');
  });
});

describe('ClientHttpServer', () => {
  const seen: { method: string; url: string; body: string }[] = [];
  let server: ClientHttpServer;
  let port = 0;
  beforeAll(async () => {
    server = new ClientHttpServer(async (req, res) => {
      const chunks: Buffer[] = [];
      try {
        for await (const c of req) chunks.push(c);
      } catch (error) {
        // A body refused mid-way: the handler sees its request fail, never a body.
        seen.push({ method: req.method, url: req.url, body: `failed: ${(error as Error).message}` });
        return;
      }
      seen.push({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`got ${req.url}`);
    });
    port = await server.listen(0, '127.0.0.1');
  });
  afterAll(() => server.close());

  const exchange = (bytes: string) =>
    new Promise<string>((resolve) => {
      const sock = connect(port, '127.0.0.1', () => sock.write(bytes));
      let text = '';
      sock.on('data', (d: Buffer) => (text += d.toString('latin1')));
      sock.on('close', () => resolve(text));
      sock.on('error', () => resolve(text));
    });

  test('a request smuggled behind Content-Length and Transfer-Encoding together is refused 400, the connection closed, nothing handled', async () => {
    const before = seen.length;
    const smuggled = 'POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    const raw = await exchange(smuggled);
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(seen.length).toBe(before);
  });

  test('a chunked body whose size a lenient parser would read (whitespace, a bare LF) is refused 400; the handler gets no body', async () => {
    const before = seen.length;
    for (const body of [' 5\r\nhello\r\n0\r\n\r\n', '5\nhello\r\n0\r\n\r\n']) {
      const raw = await exchange(`POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
      expect(raw).toMatch(/^HTTP\/1\.1 400 /);
      expect(raw.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    }
    expect(seen.slice(before).map((r) => r.body)).toEqual(['failed: malformed chunk size', 'failed: malformed chunked body']);
  });

  test('pipelined requests are answered in order, one at a time; a chunked body arrives exactly, its trailers dropped', async () => {
    const before = seen.length;
    const raw = await exchange(
      'POST /first HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n' +
        'POST /second HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nfg',
    );
    expect(raw.match(/got \/(first|second)/g)).toEqual(['got /first', 'got /second']);
    expect(seen.slice(before)).toEqual([
      { method: 'POST', url: '/first', body: 'abcde' },
      { method: 'POST', url: '/second', body: 'fg' },
    ]);
  });
});

/**
 * Attacks by a peer on the pod's loopback, over raw TCP (SECURITY.md, "Request framing is never
 * guessed"). Short deadlines so each attack is over in about a second; the server is the real one.
 */
describe('ClientHttpServer against a hostile client', () => {
  const held: { res: ClientResponse }[] = [];
  const chunkCounts: number[] = [];
  let server: ClientHttpServer;
  let port = 0;
  beforeAll(async () => {
    server = new ClientHttpServer(async (req, res) => {
      if (req.url === '/deny') {
        req.resume();
        res.writeHead(403, {});
        return res.end('denied');
      }
      let chunks = 0;
      try {
        for await (const _ of req) chunks++;
      } catch {
        return; // the connection was dropped mid-body
      }
      chunkCounts.push(chunks);
      if (req.url === '/hold') return void held.push({ res });
      res.writeHead(200, {});
      res.end('ok');
    }, { headTimeoutMs: 300, requestTimeoutMs: 600, lingerMs: 200, maxConnections: 8 });
    port = await server.listen(0, '127.0.0.1');
  });
  afterAll(() => server.close());

  /** A client that never closes its own side: only the server can end the connection. */
  const open = () =>
    new Promise<Socket>((resolve) => {
      const sock = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => resolve(sock));
      sock.on('error', () => {});
    });
  /**
   * Milliseconds until the server dropped the connection, or null if it still holds it after 3 s.
   * Once the server has ended its side, the client keeps writing: only a connection the server
   * has closed resets, one it still holds reads on.
   */
  const droppedAfter = (sock: Socket, start = Date.now()) =>
    new Promise<number | null>((resolve) => {
      const probe = setInterval(() => sock.writable && sock.write('x'), 40);
      const t = setTimeout(() => (clearInterval(probe), sock.destroy(), resolve(null)), 3000);
      sock.on('close', () => (clearInterval(probe), clearTimeout(t), resolve(Date.now() - start)));
    });
  const trickle = (sock: Socket, bytes: string) => {
    let i = 0;
    const iv = setInterval(() => (i < bytes.length && !sock.destroyed ? sock.write(bytes[i++]!) : clearInterval(iv)), 40);
    return iv;
  };

  test('no connection outlives its deadlines: a head or body sent a byte at a time, a client that keeps its side open after the reply or after a refusal', async () => {
    const [headTrickle, bodyTrickle, bodyNever, afterClose, afterDenied, afterRefused] = await Promise.all([
      open().then((s) => (trickle(s, `POST /x HTTP/1.1\r\n${'X-Slow: y\r\n'.repeat(100)}`), droppedAfter(s))),
      open().then((s) => (s.write('POST /x HTTP/1.1\r\nContent-Length: 1000\r\n\r\n'), trickle(s, 'a'.repeat(1000)), droppedAfter(s))),
      // A head announcing a body that never comes: the head's timer was cleared and none set.
      open().then((s) => (s.write('POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\n'), droppedAfter(s))),
      open().then((s) => (s.write('GET /x HTTP/1.1\r\nConnection: close\r\n\r\n'), droppedAfter(s))),
      // Refused before its body was read; the body then completes, and the client stays.
      open().then(async (s) => {
        s.write('POST /deny HTTP/1.1\r\nContent-Length: 5\r\n\r\n');
        await new Promise((r) => s.once('data', r));
        s.write('abcde');
        return droppedAfter(s);
      }),
      open().then((s) => (s.write('GET /x HTTP/1.1\r\nContent-Length: x\r\n\r\n'), droppedAfter(s))),
    ]);
    // Each byte used to restart a 30 s inactivity timer, and an ended connection had none: held for ever.
    for (const ms of [headTrickle, bodyTrickle]) expect(ms).not.toBeNull();
    expect(headTrickle!).toBeLessThan(1500);
    expect(bodyTrickle!).toBeLessThan(1500);
    expect([bodyNever, afterClose, afterDenied, afterRefused].map((ms) => ms !== null)).toEqual([true, true, true, true]);
  });

  test('bytes pipelined behind a request whose reply is pending are not read past one head: memory stays bounded', async () => {
    const s = await open();
    const before = held.length;
    s.write('POST /hold HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde');
    for (let i = 0; i < 200 && held.length === before; i++) await Bun.sleep(5);
    expect(held.length).toBe(before + 1);
    const flood = Buffer.alloc(1 << 20, 'a');
    for (let i = 0; i < 48; i++) s.write(flood);
    // The server's side of the connection (a test-only look inside: the bytes it took off the socket).
    const serverSide = () => [...(server as unknown as { sockets: Set<Socket> }).sockets].reduce((n, x) => Math.max(n, x.bytesRead), 0);
    let last = -1;
    for (let i = 0; i < 40 && serverSide() !== last; i++) {
      last = serverSide();
      await Bun.sleep(100);
    }
    // Before: the socket was resumed once the handler read the body, and every byte was buffered (48 MiB).
    expect(serverSide()).toBeLessThan(1 << 20);
    held.pop()!.res.end();
    s.destroy();
  });

  test('a chunked body of many tiny chunks reaches the handler in a few buffers, not one per chunk', async () => {
    const s = await open();
    s.write(`POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${'1\r\na\r\n'.repeat(20000)}0\r\n\r\n`);
    await droppedAfter(s);
    // One buffer per 1-byte chunk cost ~100 bytes of memory per body byte past maxRequestBytes' count.
    expect(chunkCounts.at(-1)!).toBeLessThan(50);
  });

  test('a request target with control characters (a terminal escape for the request log) is refused 400', async () => {
    const s = await open();
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.write('GET /v1/\x1b[2Jmodels HTTP/1.1\r\n\r\n');
    await droppedAfter(s);
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
  });

  test('connections past the cap are answered 503 and closed; the ones open are served, and a freed place is taken again', async () => {
    // The server's count of open connections (a test-only look inside): earlier tests' are gone first.
    const serverSide = () => (server as unknown as { sockets: Set<Socket> }).sockets.size;
    for (let i = 0; i < 200 && serverSide() > 0; i++) await Bun.sleep(10);
    const silent = await Promise.all(Array.from({ length: 8 }, () => open()));
    for (let i = 0; i < 200 && serverSide() < 8; i++) await Bun.sleep(5);
    const reply = (s: Socket) =>
      new Promise<string>((resolve) => {
        let text = '';
        s.on('data', (d: Buffer) => (text += d.toString('latin1')));
        s.on('close', () => resolve(text));
        s.write('GET /x HTTP/1.1\r\nConnection: close\r\n\r\n');
        s.end();
      });
    // Before: no bound, each connection holding up to a 16 KiB head in the sidecar's memory.
    expect(await reply(await open())).toMatch(/^HTTP\/1\.1 503 /);
    expect(await reply(silent.pop()!)).toMatch(/^HTTP\/1\.1 200 /);
    for (let i = 0; i < 200 && serverSide() > 7; i++) await Bun.sleep(5);
    expect(await reply(await open())).toMatch(/^HTTP\/1\.1 200 /);
    for (const s of silent) s.destroy();
  });
});
