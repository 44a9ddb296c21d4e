/**
 * Attack: OpenAI cache writes metered as plain input. The GPT-6 family (Codex's default model)
 * bills input written to the prompt cache at 1.25x the input rate, and its replies say how much
 * was written (`usage.input_tokens_details.cache_write_tokens`, part of `input_tokens` as the
 * cached tokens are). The meter read only `cached_tokens`, so every written token was priced at
 * the input rate: a peer sending a fresh long prefix each request (all of it written) was billed a
 * quarter more than the ledger counted, and so, less, was every honest Codex turn.
 *
 * The rule (SECURITY.md, "Nothing unmetered"): written tokens are split out of input and priced
 * at the model's cache-write rate; a reply claiming more cached and written tokens than its input
 * is no true figure (metered like one whose usage never came).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { UsageAccumulator } from '../../../auth-proxy/usage/usage-extract.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

const WRITTEN = 200_000; // under the 272K long-prompt line
let vendor: StandInVendor;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, body, res) => {
    const doc = JSON.parse(body.toString()) as { model: string };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: doc.model, output: [], usage: { input_tokens: WRITTEN, input_tokens_details: { cached_tokens: 0, cache_write_tokens: WRITTEN }, output_tokens: 0 } }));
  });
});
afterAll(() => vendor.close());

describe('OpenAI cache writes are priced as cache writes', () => {
  test('200k tokens written on gpt-6.1-sol cost $0.50 on the ledger ($2 x 1.25 per million), not $0.40', async () => {
    const sc = await sidecarFor('openai', vendor.port, {});
    try {
      const r = await fetch(`${sc.s.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-6.1-sol', input: 'hi', max_output_tokens: 10 }) });
      expect(r.status).toBe(200);
      await r.text();
      const [line] = readLedgerFile(sc.s.ledger.path).lines.filter(isReply);
      expect(line!.cache_write_tokens).toBe(WRITTEN);
      expect(line!.input_tokens).toBe(0);
      expect(line!.usd).toBeCloseTo(0.5, 8);
    } finally {
      await sc.close();
    }
  });

  test('the extractor splits written and cached tokens out of input; more of both than input is unreadable', () => {
    const acc = new UsageAccumulator();
    acc.observe({ object: 'response', model: 'gpt-6.1-sol', usage: { input_tokens: 1000, input_tokens_details: { cached_tokens: 600, cache_write_tokens: 300 }, output_tokens: 5 } });
    expect(acc.usage).toMatchObject({ input_tokens: 100, cache_read_tokens: 600, cache_write_tokens: 300, output_tokens: 5 });
    expect(acc.unreadable).toBe(false);
    const bad = new UsageAccumulator();
    bad.observe({ object: 'response', model: 'gpt-6.1-sol', usage: { input_tokens: 1000, input_tokens_details: { cached_tokens: 600, cache_write_tokens: 600 }, output_tokens: 5 } });
    expect(bad.unreadable).toBe(true);
    const chat = new UsageAccumulator();
    chat.observe({ model: 'gpt-6.1-sol', usage: { prompt_tokens: 1000, prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 200 }, completion_tokens: 5 } });
    expect(chat.usage).toMatchObject({ input_tokens: 700, cache_read_tokens: 100, cache_write_tokens: 200 });
  });
});
