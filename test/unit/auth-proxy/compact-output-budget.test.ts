/**
 * Attack: an output cap in a compaction request. OpenAI's `POST /responses/compact` takes no
 * output cap (its body is the model, the input or a previous response, instructions, the prompt
 * cache's key and options and the service tier): the summary it writes is as long as the model
 * makes it. The budget read `max_output_tokens` from every billable body alike, so a compaction
 * request carrying `"max_output_tokens": 16` was reserved at 16 output tokens, and the vendor,
 * which reads no such field there, wrote and billed a 60k-token summary: past a 50k-token cap in
 * one request.
 *
 * The bound (SECURITY.md, "A request goes out only if the budget left covers it"): a route whose
 * API takes no output cap (`uncappedOutput` in auth-proxy/api-routes.ts) is reserved at the
 * default allowance (128k), whatever output cap its body names.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test';
import { sidecarFor, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

/** A stand-in OpenAI: `/responses/compact` reads no output cap and writes a 60k-token summary; `/responses` honours `max_output_tokens`. */
const SUMMARY_TOKENS = 60_000;
let vendor: StandInVendor;
let forwarded = 0;
beforeAll(async () => {
  vendor = await startStandInVendor((req, raw, res) => {
    forwarded++;
    const doc = JSON.parse(raw.toString()) as { max_output_tokens?: number };
    const output = req.url?.endsWith('/compact') ? SUMMARY_TOKENS : Math.min(doc.max_output_tokens ?? SUMMARY_TOKENS, SUMMARY_TOKENS);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: req.url?.endsWith('/compact') ? 'response.compaction' : 'response', model: 'gpt-5.4', output: [], usage: { input_tokens: 100, output_tokens: output, input_tokens_details: { cached_tokens: 0 } } }));
  });
});
afterAll(() => vendor.close());
beforeEach(() => {
  forwarded = 0;
});

const body = { model: 'gpt-5.4', max_output_tokens: 16, input: [{ role: 'user', content: 'a long conversation to compact' }] };
const post = (url: string, path: string) =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, text: await r.text() }));

test('a compaction request naming a small output cap is reserved at the default allowance: refused unsent under a 50k-token cap', async () => {
  const sc = await sidecarFor('openai', vendor.port, { maxTokens: 50_000 });
  try {
    const r = await post(sc.s.url, '/v1/responses/compact');
    // Without the fix it went out, reserved at about 1.2k tokens, and was billed 60k.
    expect({ status: r.status, forwarded, spent: sc.s.ledger.totals.tokens }).toEqual({ status: 400, forwarded: 0, spent: 0 });
    expect(r.text).toContain('budget');
  } finally {
    await sc.close();
  }
});

test('the same body to /responses, which honours its output cap, goes out and is metered', async () => {
  const sc = await sidecarFor('openai', vendor.port, { maxTokens: 50_000 });
  try {
    const r = await post(sc.s.url, '/v1/responses');
    expect({ status: r.status, forwarded, spent: sc.s.ledger.totals.tokens }).toEqual({ status: 200, forwarded: 1, spent: 116 });
  } finally {
    await sc.close();
  }
});
