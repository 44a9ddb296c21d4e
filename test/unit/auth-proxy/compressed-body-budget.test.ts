/**
 * Attack: a billable request whose body is compressed (`Content-Encoding: zstd`, as Codex sends
 * its requests; gzip, br, deflate). The vendor decodes it and bills the whole prompt, but a
 * reservation made on the wire bytes counts a few hundred bytes for megabytes of prompt, and the
 * unreadable JSON hides `max_tokens`, so one request could spend many times the cap.
 *
 * The bound (SECURITY.md, "A request goes out only if the budget left covers it"): the
 * reservation is made on the body as the vendor reads it (auth-proxy/usage/request-body.ts); a
 * body that decodes past the size limit is refused 413, an encoding peers cannot decode 415, and
 * neither reaches the vendor.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import zlib from 'node:zlib';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { isRefusal, isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { billedReply, type StandInVendor, startEgress, startSidecar, startStandInVendor } from './sidecar-fixture.ts';

/** A vendor that decodes the body as the real ones do and bills one input token per 4 bytes of it. */
let vendor: StandInVendor;
let port: number;
let forwarded = 0;

beforeAll(async () => {
  vendor = await startStandInVendor((req, raw, res) => {
    forwarded++;
    let body = raw;
    const enc = req.headers['content-encoding'];
    if (enc === 'zstd') body = zlib.zstdDecompressSync(body);
    if (enc === 'gzip') body = zlib.gunzipSync(body);
    const usage = { input_tokens: Math.ceil(body.length / 4), output_tokens: 10 };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(billedReply(req.url!, usage));
  });
  port = vendor.port;
});
afterAll(() => vendor.close());
beforeEach(() => {
  forwarded = 0;
});

// 8 MiB of prompt: about $6 of input at GPT-5.4's rate, a few hundred bytes once compressed.
const prompt = 'all work and no play '.repeat(400_000);
const OPENAI_BODY = Buffer.from(JSON.stringify({ model: 'gpt-5.4', max_output_tokens: 100, input: prompt }));
const ANTHROPIC_BODY = Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: prompt }] }));

const post = (url: string, path: string, body: Buffer, encoding: string) =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body }).then(async (r) => ({ status: r.status, text: await r.text() }));

describe('compressed request bodies are reserved as the vendor reads them', () => {
  test('a zstd body (as Codex sends) whose prompt cannot fit the token cap is refused and reaches no one', async () => {
    const egress = await startEgress(port);
    // On the wire the request reserves ~130k tokens (860 bytes and the default output cap): it fit
    // a 1M-token cap, and the vendor billed 2.1M.
    const o = await startSidecar({ egress, vendorPort: port, upstream: UPSTREAMS.openai, credentials: new ApiKeySource('authorization', 'sk-zstd-openai-000000'), caps: { maxTokens: 1_000_000 } });
    const wire = zlib.zstdCompressSync(OPENAI_BODY);
    expect(wire.length).toBeLessThan(OPENAI_BODY.length / 1000);
    const r = await post(o.url, '/v1/responses', wire, 'zstd');
    expect({ status: r.status, forwarded, withinCap: o.ledger.totals.tokens <= 1_000_000 }).toEqual({ status: 400, forwarded: 0, withinCap: true });
    expect(r.text).toContain('budget left cannot cover this request');
    expect(readLedgerFile(o.ledger.path).lines.filter(isRefusal)).toHaveLength(1);
    await o.close();
    await egress.close();
  }, 30_000);

  test('the same for a gzip body to Anthropic; one that fits goes out and is billed in full', async () => {
    const egress = await startEgress(port);
    const a = await startSidecar({ egress, vendorPort: port, credentials: new ApiKeySource('x-api-key', 'sk-ant-gzip-00000000'), caps: { maxTokens: 1_000_000 } });
    expect((await post(a.url, '/v1/messages', zlib.gzipSync(ANTHROPIC_BODY), 'gzip')).status).toBe(402);
    expect(forwarded).toBe(0);
    const small = Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'go '.repeat(1000) }] }));
    expect((await post(a.url, '/v1/messages', zlib.gzipSync(small), 'gzip')).status).toBe(200);
    expect(forwarded).toBe(1);
    expect(readLedgerFile(a.ledger.path).lines.filter(isReply)).toHaveLength(1);
    expect(a.ledger.totals.tokens).toBeLessThanOrEqual(1_000_000);
    await a.close();
    await egress.close();
  }, 30_000);

  test('a body that decodes past the size limit is refused 413, an unknown encoding or data after the end of the stream 415; none reaches the vendor', async () => {
    const egress = await startEgress(port);
    const a = await startSidecar({ egress, vendorPort: port, credentials: new ApiKeySource('x-api-key', 'sk-ant-bomb-00000000'), caps: { maxUsd: 1000 }, limits: { maxRequestBytes: 1024 * 1024 } });
    const bomb = zlib.zstdCompressSync(Buffer.alloc(4 * 1024 * 1024, 32));
    expect((await post(a.url, '/v1/messages', bomb, 'zstd')).status).toBe(413);
    expect((await post(a.url, '/v1/messages', Buffer.from('{}'), 'compress')).status).toBe(415);
    expect((await post(a.url, '/v1/messages', Buffer.from('not zstd at all'), 'zstd')).status).toBe(415);
    // Only the first deflate stream would be measured: a decoder that reads on sees the rest too.
    const small = Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [] }));
    expect((await post(a.url, '/v1/messages', Buffer.concat([zlib.deflateSync(small), zlib.deflateSync(Buffer.alloc(512 * 1024, 32))]), 'deflate')).status).toBe(415);
    expect((await post(a.url, '/v1/messages', Buffer.concat([zlib.brotliCompressSync(small), zlib.brotliCompressSync(Buffer.alloc(512 * 1024, 32))]), 'br')).status).toBe(415);
    expect(forwarded).toBe(0);
    await a.close();
    await egress.close();
  }, 30_000);

  // Each coding is decoded synchronously, on the thread every peer's requests and replies share:
  // a head of 16 KiB lists 2,000 `deflate`, each undoing a stored (level 0) layer of 16 MiB, about
  // 7 ms each here, so one request held the sidecar 14 s, and a loop of them held it for good.
  test('a body in more than one coding is refused 415 before any decoding: one request cannot hold the sidecar for seconds', async () => {
    const egress = await startEgress(port);
    const a = await startSidecar({ egress, vendorPort: port, credentials: new ApiKeySource('x-api-key', 'sk-ant-layers-00000000'), caps: { maxUsd: 1000 } });
    let layered = Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x'.repeat(1 << 20) }] }));
    for (let i = 0; i < 100; i++) layered = zlib.deflateSync(layered, { level: 0 });
    const chained = await post(a.url, '/v1/messages', layered, Array(100).fill('deflate').join(', '));
    expect(chained.status).toBe(415);
    expect(chained.text).toContain('more than one Content-Encoding');
    // The same in two headers, and with identity between them.
    const twice = await fetch(`${a.url}/v1/messages`, { method: 'POST', headers: [['content-type', 'application/json'], ['content-encoding', 'gzip'], ['content-encoding', 'gzip']], body: zlib.gzipSync(zlib.gzipSync(ANTHROPIC_BODY)) });
    expect(twice.status).toBe(415);
    expect((await post(a.url, '/v1/messages', zlib.gzipSync(zlib.gzipSync(ANTHROPIC_BODY)), 'gzip, identity, gzip')).status).toBe(415);
    expect(forwarded).toBe(0);
    // One coding, as the CLIs send it, still goes out.
    expect((await post(a.url, '/v1/messages', zlib.gzipSync(Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [] }))), 'identity, gzip')).status).toBe(200);
    await a.close();
    await egress.close();
  }, 60_000);
});
