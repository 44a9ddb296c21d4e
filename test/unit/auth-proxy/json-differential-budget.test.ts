/**
 * Attack: a body the budget and the vendor read differently. The budget reads a request with
 * JSON.parse; a vendor's parser may keep the first of two equal keys, accept `NaN` (Python's json
 * does), or coerce `"1000000"` to a number (a lax schema). The stand-in vendor below reads that way:
 * - `{"max_tokens": 128000, …, "max_tokens": 1}` was reserved at 1 output token and billed 128k, so
 *   two of them under a 150k-token cap spent 256k;
 * - `{"background": true, …, "temperature": NaN}` failed JSON.parse, so its `background` was never
 *   seen and it went out (no cap needed): a queued reply billed later, out of the meter's sight;
 * - `"max_tokens": "1000000"` was reserved at the 128k default and billed 300k.
 *
 * The bound (SECURITY.md, "A request goes out only if the budget left covers it"): a billable body
 * that is not one JSON object, or that gives a key twice in one object, is refused whatever the
 * cap; under a cap an output cap that is not a positive integer is refused. Nothing reaches the vendor.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { sidecarFor, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

let vendor: StandInVendor;
let port: number;
let seen: string[] = [];

/** The output limit of the model the stand-in serves: what a lax reading of a huge cap bills. */
const MODEL_OUTPUT_LIMIT = 300_000;

/** A lenient reader: `NaN` accepted, the first of two equal keys kept, numeric strings coerced. */
function vendorReads(body: string): { maxTokens: number; background: boolean } {
  const first = /"max(?:_output)?_tokens"\s*:\s*"?(\d+)"?/.exec(body);
  return { maxTokens: Math.min(first ? Number(first[1]) : 4096, MODEL_OUTPUT_LIMIT), background: /"background"\s*:\s*true/.test(body) };
}

beforeAll(async () => {
  vendor = await startStandInVendor((req, raw, res) => {
    const body = raw.toString('utf8');
    seen.push(body);
    const read = vendorReads(body);
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url?.endsWith('/messages')) return res.end(JSON.stringify({ type: 'message', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 10, output_tokens: read.maxTokens } }));
    if (read.background) return res.end(JSON.stringify({ id: 'resp_1', object: 'response', model: 'gpt-5.4', status: 'queued', background: true, output: [], usage: null }));
    res.end(JSON.stringify({ object: 'response', model: 'gpt-5.4', output: [], usage: { input_tokens: 10, output_tokens: read.maxTokens, input_tokens_details: { cached_tokens: 0 } } }));
  });
  port = vendor.port;
});
afterAll(() => vendor.close());
beforeEach(() => {
  seen = [];
});

const postRaw = (url: string, path: string, body: string) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error: { type: string; code?: string; message: string } } }));

describe('a body the vendor reads differently from the budget', () => {
  test('a key given twice is refused: the budget cannot know which value the vendor keeps', async () => {
    const { s, close } = await sidecarFor('anthropic', port, { maxTokens: 150_000 }, 'sk-jsondiff-00000000');
    const body = '{"model":"claude-sonnet-4-5","max_tokens":128000,"messages":[{"role":"user","content":"write"}],"max_tokens":1}';
    for (let i = 0; i < 3; i++) {
      const r = await postRaw(s.url, '/v1/messages', body);
      expect([r.status, r.body.error.type]).toEqual([402, 'billing_error']);
      expect(r.body.error.message).toContain('"max_tokens" twice');
    }
    // Nested and escaped duplicates too: a tool's type given twice, `"type"` spelled `"\u0074ype"`.
    const nested = '{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[],"tools":[{"type":"web_search_20250305","name":"s","\\u0074ype":"custom"}]}';
    expect((await postRaw(s.url, '/v1/messages', nested)).body.error.message).toContain('"type" twice');
    expect(seen).toHaveLength(0);
    expect(s.ledger.totals.tokens).toBeLessThanOrEqual(150_000);
    await close();
  }, 30_000);

  test('a body JSON.parse refuses (NaN) is refused, cap or not, so a hidden "background" cannot pass the meter', async () => {
    const { s, close } = await sidecarFor('openai', port, {}, 'sk-jsondiff-00000000');
    for (const body of ['{"model":"gpt-5.4","background":true,"max_output_tokens":100000,"input":"write","temperature":NaN}', '\ufeff{"model":"gpt-5.4","background":true,"input":"x"}', '[{"model":"gpt-5.4"}]']) {
      const r = await postRaw(s.url, '/v1/responses', body);
      expect([r.status, r.body.error.code]).toEqual([400, 'peers_body_not_json']);
    }
    expect(seen).toHaveLength(0);
    // An ordinary body still goes out without a cap.
    expect((await postRaw(s.url, '/v1/responses', '{"model":"gpt-5.4","max_output_tokens":5,"input":"hi"}')).status).toBe(200);
    await close();
  }, 30_000);

  test('under a cap, an output cap that is not a positive integer is refused', async () => {
    const { s, close } = await sidecarFor('openai', port, { maxTokens: 200_000 }, 'sk-jsondiff-00000000');
    for (const cap of ['"1000000"', '-1', '0', '1.5', 'true', '{"n":1}']) {
      const r = await postRaw(s.url, '/v1/responses', `{"model":"gpt-5.4","max_output_tokens":${cap},"input":"write"}`);
      expect([cap, r.status, r.body.error.code]).toEqual([cap, 400, 'peers_output_cap_unreadable']);
    }
    expect(seen).toHaveLength(0);
    // `null` is the API's own "no cap": reserved at the default, it goes out.
    expect((await postRaw(s.url, '/v1/responses', '{"model":"gpt-5.4","max_output_tokens":null,"input":"hi"}')).status).toBe(200);
    expect(s.ledger.totals.tokens).toBeLessThanOrEqual(200_000);
    await close();
  }, 30_000);
});
