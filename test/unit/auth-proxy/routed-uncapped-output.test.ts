/**
 * Attack: a request with no output cap through a router, to a model that can write more than the
 * 128k tokens such a request is reserved at. The first parties' models write at most 128k, but a
 * router serves models whose limit is higher (DeepSeek R1 through OpenRouter: 163,840), so one
 * capless request (Codex sends no output cap at all) was reserved at 128k output tokens and wrote
 * 160k under a 150k-token cap.
 *
 * The bound (SECURITY.md, "A request goes out only if the budget left covers it"): under a cap, a
 * billable request to a `provider:` upstream that names no output cap of its API's own is
 * forwarded with one (ROUTED_OUTPUT_CAP_TOKENS, auth-proxy/usage/routed-output-cap.ts), as JSON
 * (a compressed body is decoded first), and reserved at it; a compaction request through a router
 * (whose path reads no output cap) is refused.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test';
import zlib from 'node:zlib';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { UPSTREAMS, type UpstreamSpec } from '../../../auth-proxy/upstreams.ts';
import type { BudgetCaps } from '../../../auth-proxy/usage/budget.ts';
import { ROUTED_OUTPUT_CAP_TOKENS } from '../../../auth-proxy/usage/routed-output-cap.ts';
import { type Egress, startEgress, startSidecar, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

/** What DeepSeek R1 through a router writes when the request lets it: up to its own limit. */
const MODEL_OUTPUT_LIMIT = 163_840;
const WRITES = 160_000;
type Seen = { url: string; encoding: string | undefined; raw: Buffer; doc: Record<string, unknown> };
let seen: Seen[] = [];
let vendor: StandInVendor;
let egress: Egress;

beforeAll(async () => {
  // A stand-in router: honours the output cap of the shape it serves, else writes until the model's limit.
  vendor = await startStandInVendor((req, raw, res) => {
    const encoding = req.headers['content-encoding'];
    const text = encoding === 'zstd' ? zlib.zstdDecompressSync(raw) : raw;
    const doc = JSON.parse(text.toString()) as Record<string, unknown>;
    seen.push({ url: req.url ?? '', encoding, raw, doc });
    const messages = req.url!.includes('/messages');
    const cap = doc[messages ? 'max_tokens' : 'max_output_tokens'];
    const output = Math.min(typeof cap === 'number' ? cap : MODEL_OUTPUT_LIMIT, WRITES);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(messages
      ? JSON.stringify({ type: 'message', model: 'deepseek/deepseek-r1', content: [], usage: { input_tokens: 20, output_tokens: output } })
      : JSON.stringify({ object: 'response', model: 'deepseek/deepseek-r1', output: [], usage: { input_tokens: 20, output_tokens: output, input_tokens_details: { cached_tokens: 0 } } }));
  });
  egress = await startEgress(vendor.port);
});
afterAll(async () => {
  await egress.close();
  await vendor.close();
});
beforeEach(() => {
  seen = [];
});

const ROUTER: UpstreamSpec = { ...UPSTREAMS.openai, id: 'openrouter', routed: true };
const MESSAGES_ROUTER: UpstreamSpec = { ...UPSTREAMS.anthropic, id: 'messages-router', routed: true };
const CAP: BudgetCaps = { maxTokens: 150_000 };

async function through(upstream: UpstreamSpec, caps: BudgetCaps, path: string, body: Buffer, headers: Record<string, string> = {}) {
  const s = await startSidecar({ egress, vendorPort: vendor.port, upstream, credentials: new ApiKeySource(upstream.errorShape === 'anthropic' ? 'x-api-key' : 'authorization', 'sk-or-0000000000'), caps, ledgerPath: `${egress.dir}/usage-${Math.random().toString(36).slice(2)}.jsonl` });
  try {
    const r = await fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: r.status, text: await r.text(), tokens: s.ledger.totals.tokens };
  } finally {
    await s.close();
  }
}

const responsesBody = { model: 'deepseek/deepseek-r1', input: 'think very hard', reasoning: { effort: 'high' } };

test('a capless request through a router cannot write past a 150k-token cap: it goes out with an output cap and is metered within the cap', async () => {
  const r = await through(ROUTER, CAP, '/v1/responses', Buffer.from(JSON.stringify(responsesBody)));
  expect(r.status).toBe(200);
  expect(r.tokens).toBeLessThanOrEqual(150_000);
  expect(seen.length).toBe(1);
  expect(seen[0]!.doc.max_output_tokens).toBe(ROUTED_OUTPUT_CAP_TOKENS);
  // Everything else the client sent goes out as it was sent.
  expect(seen[0]!.doc).toEqual({ ...responsesBody, max_output_tokens: ROUTED_OUTPUT_CAP_TOKENS });
});

test('the same as a zstd-compressed body (as Codex sends one): decoded, capped, forwarded as plain JSON', async () => {
  const r = await through(ROUTER, { maxUsd: 50 }, '/v1/responses', zlib.zstdCompressSync(Buffer.from(JSON.stringify({ ...responsesBody, model: 'openai/gpt-5.4' }))), { 'content-encoding': 'zstd' });
  expect(r.status).toBe(200);
  expect(seen.length).toBe(1);
  expect(seen[0]!.encoding).toBeUndefined();
  expect(seen[0]!.doc.max_output_tokens).toBe(ROUTED_OUTPUT_CAP_TOKENS);
});

test('an output cap given as null, or only in a spelling the API does not read, is no cap: the router gets one', async () => {
  await through(ROUTER, CAP, '/v1/responses', Buffer.from(JSON.stringify({ ...responsesBody, max_output_tokens: null })));
  await through(ROUTER, CAP, '/v1/responses', Buffer.from(JSON.stringify({ ...responsesBody, max_tokens: 1000 })));
  await through(MESSAGES_ROUTER, CAP, '/v1/messages', Buffer.from(JSON.stringify({ model: 'deepseek/deepseek-r1', messages: [{ role: 'user', content: 'think' }] })));
  expect(seen.map((s) => s.doc.max_output_tokens ?? s.doc.max_tokens)).toEqual([ROUTED_OUTPUT_CAP_TOKENS, ROUTED_OUTPUT_CAP_TOKENS, ROUTED_OUTPUT_CAP_TOKENS]);
  expect(seen[1]!.doc.max_tokens).toBe(1000);
});

test('a compaction request through a router (its path reads no output cap) is refused under a cap and reaches no one', async () => {
  const r = await through(ROUTER, CAP, '/v1/responses/compact', Buffer.from(JSON.stringify(responsesBody)));
  expect(r.status).toBe(400);
  expect(r.text).toContain('peers_output_unbounded');
  expect(seen.length).toBe(0);
});

test('a request that names its own cap, one without a run cap, and one to a first-party API go out byte for byte as sent', async () => {
  const capped = Buffer.from(JSON.stringify({ ...responsesBody, max_output_tokens: 2000 }));
  const capless = Buffer.from(` ${JSON.stringify(responsesBody)}`);
  await through(ROUTER, CAP, '/v1/responses', capped);
  await through(ROUTER, {}, '/v1/responses', capless);
  await through({ ...UPSTREAMS.openai }, CAP, '/v1/responses', Buffer.from(JSON.stringify({ ...responsesBody, model: 'gpt-5.4' })));
  expect(seen.length).toBe(3);
  expect(seen[0]!.raw.equals(capped)).toBe(true);
  expect(seen[1]!.raw.equals(capless)).toBe(true);
  expect(seen[2]!.doc.max_output_tokens).toBeUndefined();
});
