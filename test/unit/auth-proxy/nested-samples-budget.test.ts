/**
 * Attack: several replies billed against one reservation, asked for where the screen did not look.
 * Under a cap `n` and `best_of` other than 1 are refused at the top of the body; but a gateway
 * merges provider-specific settings (`extra_body`, LiteLLM and the OpenAI SDKs' convention) into
 * the request it sends on, and other servers name the same thing `num_return_sequences` (Hugging
 * Face) or `candidate_count` (Gemini). `{"extra_body": {"n": 4}}` was reserved as one reply and
 * billed four, past a token cap in one request.
 *
 * The rule (SECURITY.md, "Under a cap (tokens or USD), a request that would be billed … for more
 * than one sampling pass, is refused"): any such field anywhere in the body's settings (JSON
 * Schemas and tool-call arguments are data, not read) other than 1 is refused under a cap.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

let vendor: StandInVendor;
let forwarded = 0;
beforeAll(async () => {
  // A gateway that merges extra_body into the request and bills every sample it was asked for.
  vendor = await startStandInVendor((_req, raw, res) => {
    forwarded++;
    const sent = JSON.parse(raw.toString()) as Record<string, unknown>;
    const doc = { ...sent, ...(sent.extra_body as Record<string, unknown> | undefined) };
    const samples = [doc.n, doc.num_return_sequences, doc.candidate_count].find((v) => typeof v === 'number') as number | undefined;
    const usage = { input_tokens: 10, output_tokens: (samples ?? 1) * (doc.max_output_tokens as number) };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: 'gpt-5.4', output: [], usage: { ...usage, input_tokens_details: { cached_tokens: 0 } } }));
  });
});
afterAll(() => vendor.close());
beforeEach(() => {
  forwarded = 0;
});

const CAP = 50_000;
const base = { model: 'gpt-5.4', input: 'hi', max_output_tokens: 20_000 };
const post = (url: string, body: unknown) => fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, text: await r.text() }));

describe('several samples asked for below the top of the body', () => {
  for (const extra of [{ n: 4 }, { best_of: 4 }, { num_return_sequences: 4 }, { candidate_count: 4 }]) {
    test(`extra_body ${JSON.stringify(extra)} is refused under a ${CAP}-token cap`, async () => {
      const sc = await sidecarFor('openai', vendor.port, { maxTokens: CAP });
      try {
        const r = await post(sc.s.url, { ...base, extra_body: extra });
        // Without the rule it went out, reserved at ~21k tokens and billed 80k.
        expect({ status: r.status, forwarded, tokens: sc.s.ledger.totals.tokens }).toEqual({ status: 400, forwarded: 0, tokens: 0 });
        expect(r.text).toContain('peers_multiple_samples');
      } finally {
        await sc.close();
      }
    });
  }

  test('a top-level num_return_sequences too; one sample anywhere still goes out', async () => {
    const sc = await sidecarFor('openai', vendor.port, { maxTokens: CAP });
    try {
      expect((await post(sc.s.url, { ...base, num_return_sequences: 2 })).status).toBe(400);
      expect((await post(sc.s.url, { ...base, extra_body: { n: 1 } })).status).toBe(200);
      expect(forwarded).toBe(1);
    } finally {
      await sc.close();
    }
  });
});
