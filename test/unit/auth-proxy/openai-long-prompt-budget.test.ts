/**
 * Attack on the bill: OpenAI's 1.05M-context models (GPT-5.4, GPT-5.4 pro, GPT-5.5, GPT-5.5 pro)
 * bill a request whose input passes 272K tokens at 2x the input-side rates and 1.5x the output
 * rate, for the whole request (OpenAI's model pages: "prompts with >272K input tokens are priced at
 * 2x input and 1.5x output for the full session"). The price table gave them flat rows, so such a
 * request was reserved and metered at the standard rates: a peer sending 300K-token prompts to
 * gpt-5.4 was billed about twice what the ledger counted, request after request, and under a USD
 * cap one request the reservation fitted spent past it.
 *
 * The rule (auth-proxy/usage/price-table.ts; SECURITY.md, "Nothing unmetered"): these rows carry
 * their long-prompt rates like the GPT-6 family's; a reply whose prompt passed the line is priced
 * at them, and a request whose prompt could pass it is reserved at them. The stand-in vendor bills
 * by OpenAI's rule from the body it is sent (every byte a token, the most a tokenizer can make).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { priceFor, usdFor, worstCaseUsd } from '../../../auth-proxy/usage/price-table.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

/** What OpenAI lists for each model: input, output, cached input (USD per million tokens, up to 272K input tokens). */
const LONG_CONTEXT_MODELS: [string, number, number, number][] = [['gpt-5.4', 2.5, 15, 0.25], ['gpt-5.4-pro', 30, 180, 30], ['gpt-5.5', 5, 30, 0.5], ['gpt-5.5-pro', 30, 180, 30]];
const LINE = 272_000;
const M = 1_000_000;
const round8 = (x: number) => Math.round(x * 1e8) / 1e8;
/** OpenAI's bill for `input` uncached input tokens and `output` output tokens. */
const billed = (input: number, output: number, [_, i, o]: [string, number, number, number]) => round8(input > LINE ? (input * i * 2 + output * o * 1.5) / M : (input * i + output * o) / M);

let vendor: StandInVendor;
let vendorBilled = 0;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, body, res) => {
    const doc = JSON.parse(body.toString()) as { model: string; max_output_tokens: number };
    const input = body.length;
    const output = doc.max_output_tokens;
    vendorBilled += billed(input, output, LONG_CONTEXT_MODELS.find(([m]) => m === doc.model)!);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: doc.model, output: [], usage: { input_tokens: input, input_tokens_details: { cached_tokens: 0 }, output_tokens: output } }));
  });
});
afterAll(() => vendor.close());

const send = (url: string, doc: Record<string, unknown>) => fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) });
/** A Responses body of about `bytes` bytes (one input string). */
const bodyOf = (model: string, bytes: number, maxOutput: number) => ({ model, input: 'x'.repeat(bytes), max_output_tokens: maxOutput });

describe("OpenAI's 1M-context models past 272K input tokens", () => {
  test('a 300K-token prompt to gpt-5.4 is metered at what OpenAI bills (2x input, 1.5x output), not the standard rates', async () => {
    vendorBilled = 0;
    const sc = await sidecarFor('openai', vendor.port, {});
    try {
      const r = await send(sc.s.url, bodyOf('gpt-5.4', 300_000, 1000));
      expect(r.status).toBe(200);
      await r.text();
      const [line] = readLedgerFile(sc.s.ledger.path).lines.filter(isReply);
      expect(line!.input_tokens).toBeGreaterThan(LINE);
      // Before: $0.765 on the ledger for a $1.5225 bill.
      expect(line!.usd).toBe(vendorBilled);
    } finally {
      await sc.close();
    }
  });

  test('under a USD cap that covers the standard rates but not the long-prompt ones, a request whose prompt could pass the line is refused unsent', async () => {
    vendorBilled = 0;
    const doc = bodyOf('gpt-5.4', 280_000, 1000);
    const bytes = Buffer.byteLength(JSON.stringify(doc));
    // What the request could cost: every byte and the vendor's overhead a token, at 2x and 1.5x past the line.
    const atStandard = ((bytes + 1024) * 2.5 + 1000 * 15) / M;
    const cap = atStandard * 1.3;
    expect(billed(bytes, 1000, LONG_CONTEXT_MODELS[0]!)).toBeGreaterThan(cap);
    const sc = await sidecarFor('openai', vendor.port, { maxUsd: cap });
    try {
      const r = await send(sc.s.url, doc);
      // Before: it went out, reserved at $0.72, and the vendor billed $1.43 past a $0.94 cap.
      expect(r.status).toBe(400);
      expect(await r.text()).toContain('budget');
      expect(vendorBilled).toBe(0);
      // A prompt that cannot pass the line is reserved at the standard rates and goes out.
      const small = await send(sc.s.url, bodyOf('gpt-5.4', 1000, 1000));
      expect(small.status).toBe(200);
      await small.text();
    } finally {
      await sc.close();
    }
  });

  test('each such model carries its long-prompt rates; the reservation takes them when the prompt could pass the line', () => {
    for (const row of LONG_CONTEXT_MODELS) {
      const [model, input, output, cached] = row;
      expect([model, priceFor(model, 'openai').longPrompt]).toEqual([model, { aboveTokens: LINE, rates: { input: input * 2, output: output * 1.5, cacheRead: cached * 2, cacheWrite: input * 2, cacheWrite1h: input * 2 } }]);
      const usage = { model, input_tokens: 300_000, output_tokens: 10_000, cache_read_tokens: 0, cache_write_tokens: 0 };
      expect([model, usdFor(usage, 'openai').usd]).toEqual([model, billed(300_000, 10_000, row)]);
      expect([model, usdFor({ ...usage, input_tokens: 200_000 }, 'openai').usd]).toEqual([model, billed(200_000, 10_000, row)]);
      expect([model, worstCaseUsd(model, 'openai', 300_000, 10_000)]).toEqual([model, billed(300_000, 10_000, row)]);
      // Short prompts keep the standard rates; the dated snapshot too.
      expect([model, worstCaseUsd(`${model}-2026-03-05`, 'openai', 100_000, 0)]).toEqual([model, round8(100_000 * input / M)]);
    }
  });
});
