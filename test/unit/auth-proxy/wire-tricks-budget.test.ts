/**
 * Attacks on the budget through the HTTP wire itself, each sent raw to the real auth server (through
 * the real egress proxy) by a peer that wants a billed reply the ledger does not see:
 * - `Expect: 100-continue`, hoping the interim 100 is taken for the reply (unbilled) and the real
 *   reply slips by unmetered;
 * - an `Upgrade` (websocket, h2c) to the vendor, hoping for a raw tunnel the meter cannot read;
 * - a chunked body whose trailers carry what the meter did not reserve;
 * - HTTP/2 with prior knowledge.
 * Each either reaches the vendor as plain HTTP/1.1, reserved and metered like any request, or not at
 * all (SECURITY.md, "Nothing unmetered").
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import http from 'node:http';
import net from 'node:net';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type Egress, type Sidecar, startEgress, startSidecar } from './sidecar-fixture.ts';

type Seen = { method: string; url: string; headers: http.IncomingHttpHeaders; body: string };
let vendor: http.Server;
let port: number;
let seen: Seen[] = [];
let egress: Egress;
let sidecar: Sidecar;

beforeAll(async () => {
  vendor = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'message', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 40_000, output_tokens: 9_000 } }));
  });
  // Answer `Expect: 100-continue` with the interim reply first, as the vendors do.
  vendor.on('checkContinue', (req, res) => {
    res.writeContinue();
    vendor.emit('request', req, res);
  });
  await new Promise<void>((r) => vendor.listen(0, '127.0.0.1', () => r()));
  port = (vendor.address() as net.AddressInfo).port;
  egress = await startEgress(port);
  sidecar = await startSidecar({ egress, vendorPort: port, credentials: new ApiKeySource('x-api-key', 'sk-ant-wire-tricks-0000'), caps: { maxUsd: 100 } });
});
afterAll(async () => {
  await sidecar.close();
  await egress.close();
  vendor.closeAllConnections();
  await new Promise<void>((r) => vendor.close(() => r()));
});
beforeEach(() => {
  seen = [];
});

/** Sends raw bytes to the sidecar; resolves with everything it answered until it closed or went quiet. */
function raw(bytes: string | Buffer, quietMs = 600): Promise<string> {
  const url = new URL(sidecar.url);
  return new Promise((resolve) => {
    const s = net.connect(Number(url.port), url.hostname, () => s.write(bytes));
    let got = '';
    let timer = setTimeout(() => s.destroy(), quietMs * 5);
    s.on('data', (d) => {
      got += d.toString('latin1');
      clearTimeout(timer);
      timer = setTimeout(() => s.destroy(), quietMs);
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}

const BODY = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10_000, messages: [{ role: 'user', content: 'go' }] });
const head = (lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;
const replies = () => readLedgerFile(sidecar.ledger.path).lines.filter(isReply);

describe('wire tricks do not get a billed reply past the meter', () => {
  test('Expect: 100-continue: the interim 100 is not the reply; the billed reply is metered in full', async () => {
    const before = replies().length;
    const got = await raw(head(['POST /v1/messages HTTP/1.1', 'Host: x', 'Content-Type: application/json', `Content-Length: ${BODY.length}`, 'Expect: 100-continue']) + BODY);
    expect(got).toContain('HTTP/1.1 200');
    expect(seen).toHaveLength(1);
    const lines = replies().slice(before);
    expect(lines.map((l) => [l.status, l.input_tokens, l.output_tokens])).toEqual([[200, 40_000, 9_000]]);
  });

  test('Upgrade: websocket or h2c is never passed on: the vendor gets plain HTTP/1.1 (or nothing), and a billed reply is metered', async () => {
    const before = replies().length;
    // Codex's websocket transport opens GET /v1/responses; on Anthropic's port any GET upgrade is not an API path.
    const ws = await raw(head(['GET /v1/messages HTTP/1.1', 'Host: x', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']));
    expect(ws).not.toContain('101 Switching');
    const h2c = await raw(head(['POST /v1/messages HTTP/1.1', 'Host: x', 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA', 'Content-Type: application/json', `Content-Length: ${BODY.length}`]) + BODY);
    expect(h2c).not.toContain('101 Switching');
    // Without `Connection: Upgrade` naming it, the Upgrade header is still never forwarded.
    const bare = await raw(head(['POST /v1/messages HTTP/1.1', 'Host: x', 'Upgrade: websocket', 'Content-Type: application/json', `Content-Length: ${BODY.length}`]) + BODY);
    expect(bare).toContain('HTTP/1.1 200');
    expect(seen.filter((s) => s.method === 'POST')).toHaveLength(2);
    for (const s of seen) {
      expect(s.headers.upgrade).toBeUndefined();
      expect(s.headers['http2-settings']).toBeUndefined();
    }
    expect(replies().length - before).toBe(seen.filter((s) => s.method === 'POST').length);
  });

  test('a chunked body with trailers reaches the vendor as its exact bytes, reserved and metered; the trailers do not', async () => {
    const before = replies().length;
    const half = Math.floor(BODY.length / 2);
    const chunk = (s: string) => `${s.length.toString(16)}\r\n${s}\r\n`;
    const got = await raw(head(['POST /v1/messages HTTP/1.1', 'Host: x', 'Content-Type: application/json', 'Transfer-Encoding: chunked', 'Trailer: X-Extra']) + chunk(BODY.slice(0, half)) + chunk(BODY.slice(half)) + '0\r\nX-Extra: {"max_tokens": 999999}\r\n\r\n');
    expect(got).toContain('HTTP/1.1 200');
    expect(seen.map((s) => [s.body, s.headers['x-extra'], s.headers['transfer-encoding'], s.headers['content-length']])).toEqual([[BODY, undefined, undefined, String(BODY.length)]]);
    expect(replies().length - before).toBe(1);
  });

  test('HTTP/2 with prior knowledge is refused; nothing reaches the vendor', async () => {
    const got = await raw(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));
    expect(got === '' || /^HTTP\/1\.1 4\d\d/.test(got)).toBe(true);
    expect(seen).toHaveLength(0);
  });
});
