/**
 * Attack: get the user's credential out of the auth sidecar through what the upstream sends back.
 * A compatible provider (any `provider:` base URL), a debugging front end or a vendor error page
 * may echo the request's headers: the `x-api-key` / `authorization` the sidecar injected then came
 * back to the workspace in the reply body or a reply header, relayed as sent. Also: a redirect the
 * upstream answers must not carry the key anywhere (the sidecar follows none), and the request-line
 * and framing tricks a peer can try on the sidecar's own port reach nothing.
 *
 * The property (SECURITY.md, "The real credential never comes back out"): no byte of a secret the
 * sidecar holds reaches the client, whatever the upstream sends, streamed or not, split across
 * chunks or not (auth-proxy/secret-scrubber.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { connect } from 'node:net';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

const KEY = 'sk-ant-api03-EchoedBackSecretKey0123456789abcdef';

/** A vendor that echoes every request header it got: in a header, in the body, one byte per chunk when streaming. */
let vendor: StandInVendor;
let seen = 0;
beforeAll(async () => {
  vendor = await startStandInVendor((req, _body, res) => {
    seen++;
    const echoed = JSON.stringify(req.headers);
    const key = String(req.headers['x-api-key'] ?? '');
    if (req.url?.startsWith('/v1/models')) {
      // A 302 to another host, carrying the key in the Location as some error pages do.
      res.writeHead(302, { location: `http://blocked.peers.test/steal?k=${key}`, 'x-echo-key': key });
      return res.end(`redirecting with ${key}`);
    }
    const body = JSON.parse(_body.toString('utf8') || '{}') as { stream?: boolean };
    if (!body.stream) {
      res.writeHead(401, { 'content-type': 'application/json', 'x-echo-key': key, 'www-authenticate': `Bearer realm="${key}"` });
      return res.end(JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: `bad key ${key}; you sent ${echoed}` } }));
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // The key split across many writes: a scrubber that looks at one chunk at a time misses it.
    const text = `event: ping\ndata: {"type":"ping","echo":"${key}"}\n\n`;
    let i = 0;
    const step = () => {
      if (i >= text.length) return res.end();
      res.write(text.slice(i, i + 3));
      i += 3;
      setImmediate(step);
    };
    step();
  });
});
afterAll(() => vendor.close());

/** One raw exchange with the sidecar's port: the first reply (head and a Content-Length body), or what came before it closed or 2 s passed. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    const done = () => {
      clearTimeout(t);
      s.destroy();
      resolve(text);
    };
    const t = setTimeout(done, 2000);
    s.on('data', (d) => {
      text += d.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, end));
      if (end >= 0 && ((length && text.length >= end + 4 + Number(length[1])) || text.endsWith('\r\n0\r\n\r\n'))) done();
    });
    s.on('close', done);
    s.on('error', () => {});
    s.write(bytes);
  });
}

describe('the key the sidecar injects never comes back out', () => {
  test('an upstream that echoes the key in an error body and in reply headers: the client sees [redacted]', async () => {
    const sc = await sidecarFor('anthropic', vendor.port, {}, KEY);
    try {
      const r = await fetch(`${sc.s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'placeholder' }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }) });
      const text = await r.text();
      expect(r.status).toBe(401);
      const everything = `${[...r.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${text}`;
      expect(everything).not.toContain(KEY);
      expect(everything).toContain('[redacted]');
      // The body is still the vendor's error, readable by the CLI.
      expect((JSON.parse(text) as { error: { type: string } }).error.type).toBe('authentication_error');
    } finally {
      await sc.close();
    }
  });

  test('a streamed reply that carries the key split across many chunks: scrubbed, and the stream still arrives whole', async () => {
    const sc = await sidecarFor('anthropic', vendor.port, {}, KEY);
    try {
      const r = await fetch(`${sc.s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] }) });
      const text = await r.text();
      expect(text).not.toContain(KEY);
      expect(text).toBe('event: ping\ndata: {"type":"ping","echo":"[redacted]"}\n\n');
    } finally {
      await sc.close();
    }
  });

  test('a redirect is passed back, never followed, and its Location no longer names the key', async () => {
    const sc = await sidecarFor('anthropic', vendor.port, {}, KEY);
    try {
      const before = seen;
      const r = await fetch(`${sc.s.url}/v1/models`, { redirect: 'manual' });
      const text = await r.text();
      expect(r.status).toBe(302);
      expect(seen - before).toBe(1);
      expect(r.headers.get('location')).toBe('http://blocked.peers.test/steal?k=[redacted]');
      expect(`${text}${r.headers.get('x-echo-key')}`).not.toContain(KEY);
      expect(sc.egress.audit.records.map((a) => a.host)).not.toContain('blocked.peers.test');
    } finally {
      await sc.close();
    }
  });
});

describe("tricks on the sidecar's own port reach no vendor", () => {
  const port = (url: string) => Number(new URL(url).port);
  const post = (target: string, extra = '') => `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${extra}Content-Length: 2\r\n\r\n{}`;
  const CASES: [string, string][] = [
    ['TRACE', 'TRACE /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'],
    ['OPTIONS', 'OPTIONS /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'],
    ['CONNECT', 'CONNECT api.anthropic.com:443 HTTP/1.1\r\nHost: api.anthropic.com:443\r\n\r\n'],
    ['absolute form', post('http://api.anthropic.com/v1/messages')],
    ['dot segments', post('/v1/messages/../files')],
    ['encoded dot segments', post('/v1/%2e%2e/v1/files')],
    ['encoded slash', post('/v1%2fmessages')],
    ['network-path reference', post('//blocked.peers.test/v1/messages')],
    ['backslashes', post('\\v1\\messages')],
    ['a second slash', post('/v1//messages')],
    ['CL and TE together', 'POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['two Content-Lengths', 'POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x'],
    ['obs-fold', 'POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\r\n Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}'],
    ['a denied request with a pipelined one behind it', `GET /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n${'GET /v1/files/x/content HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'}`],
  ];

  test('methods, request targets and framing a lenient server would read otherwise: 4xx, nothing at the vendor', async () => {
    // A head with bare LF line ends is never a head: no reply (the head deadline closes it), nothing sent.
    CASES.push(['bare LF', 'POST /v1/messages HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 2\n\n{}']);
    const sc = await sidecarFor('anthropic', vendor.port, {}, KEY);
    try {
      const before = seen;
      const got: string[] = [];
      for (const [name, bytes] of CASES) {
        const reply = await raw(port(sc.s.url), bytes);
        const refused = (/^HTTP\/1\.1 4\d\d/.test(reply) || (name === 'bare LF' && reply === '')) && !/HTTP\/1\.1 [^4]/.test(reply);
        got.push(`${name}: ${refused ? '4xx' : reply.split('\r\n')[0]}`);
        expect(reply).not.toContain(KEY);
      }
      expect(got).toEqual(CASES.map(([name]) => `${name}: 4xx`));
      expect(seen - before).toBe(0);
    } finally {
      await sc.close();
    }
  });

  test('Upgrade (websocket, h2c) and a Host naming another server do not change where or how the request goes', async () => {
    const seenHeaders: Record<string, unknown>[] = [];
    const echo = await startStandInVendor((req, _b, res) => {
      seenHeaders.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [] }));
    });
    const sc = await sidecarFor('anthropic', echo.port, {}, KEY);
    try {
      const reply = await raw(port(sc.s.url), 'GET /v1/models HTTP/1.1\r\nHost: blocked.peers.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c, websocket\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
      expect(reply.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
      const h = seenHeaders[0]!;
      expect(h.upgrade).toBeUndefined();
      expect(h['http2-settings']).toBeUndefined();
      expect(String(h.host)).toBe(`api.peers.test:${echo.port}`);
    } finally {
      await sc.close();
      await echo.close();
    }
    expect(sc.egress.audit.records.map((a) => a.host)).toEqual(['api.peers.test']);
  });
});
