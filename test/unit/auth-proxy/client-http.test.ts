/**
 * The sidecar's own HTTP/1.1 server (auth-proxy/client-http.ts): a head whose framing two parsers
 * could read differently is refused, never guessed; requests on one connection run one at a time.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { connect } from 'node:net';
import { ClientHttpServer, parseRequestHead } from '../../../auth-proxy/client-http.ts';

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

describe('ClientHttpServer', () => {
  const seen: { method: string; url: string; body: string }[] = [];
  let server: ClientHttpServer;
  let port = 0;
  beforeAll(async () => {
    server = new ClientHttpServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c);
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
