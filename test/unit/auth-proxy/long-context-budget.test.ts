/**
 * Attack: Anthropic's 1M-token context window (`anthropic-beta: context-1m-…`, which a peer can
 * send on any request) bills a request whose prompt passes 200k tokens at premium rates, twice
 * the input rates and 1.5 times the output rate, for the whole request. Nothing in the reply says
 * so; the meter priced such replies at the standard row, so a peer sending long prompts with the
 * beta was billed about twice what the ledger (and the USD cap) counted.
 *
 * The bound (SECURITY.md, "Nothing unmetered"): a request that asked for the 1M window is reserved
 * at the premium rates when its prompt could pass 200k tokens, and its reply priced at them when
 * its prompt did (flagged `priced: "fallback"` with the reason, as the priority tier is).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { worstCaseUsd } from '../../../auth-proxy/usage/price-table.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

const INPUT = 250_000;
const OUTPUT = 1_000;
let vendor: StandInVendor;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'message', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: INPUT, output_tokens: OUTPUT } }));
  });
});
afterAll(() => vendor.close());

const send = (url: string, beta: string | null) =>
  fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(beta ? { 'anthropic-beta': beta } : {}) },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: OUTPUT, messages: [{ role: 'user', content: 'x'.repeat(1_000_000) }] }),
  }).then(async (r) => ({ status: r.status, text: await r.text() }));

describe('the 1M context window is priced at its premium rates', () => {
  test('a reply past 200k prompt tokens with the beta is metered at 2x input and 1.5x output, and flagged', async () => {
    const sc = await sidecarFor('anthropic', vendor.port, {});
    try {
      expect((await send(sc.s.url, 'interleaved-thinking-2025-05-14, context-1m-2025-08-07')).status).toBe(200);
      expect((await send(sc.s.url, null)).status).toBe(200);
      const [withBeta, without] = readLedgerFile(sc.s.ledger.path).lines.filter(isReply);
      // Sonnet 4.5: $3 / $15 per million; past 200k with the 1M window $6 / $22.50.
      expect(withBeta!.usd).toBeCloseTo((INPUT * 6 + OUTPUT * 22.5) / 1e6, 8);
      expect(withBeta!.priced).toBe('fallback');
      expect(withBeta!.price_note).toContain('1M context');
      expect(without!.usd).toBeCloseTo((INPUT * 3 + OUTPUT * 15) / 1e6, 8);
    } finally {
      await sc.close();
    }
  });

  test('the reservation of such a request uses the premium rates when its prompt could pass 200k tokens', () => {
    const plain = worstCaseUsd('claude-sonnet-4-5', 'anthropic', 300_000, 10_000);
    const long = worstCaseUsd('claude-sonnet-4-5', 'anthropic', 300_000, 10_000, { longContext: true });
    // Every prompt token at the dearest input-side rate (the 1-hour cache write, 2x input), doubled; output 1.5x; US inference 1.1x.
    expect(long).toBeCloseTo(((300_000 * 12 + 10_000 * 22.5) / 1e6) * 1.1, 8);
    expect(plain).toBeCloseTo(((300_000 * 6 + 10_000 * 15) / 1e6) * 1.1, 8);
    expect(worstCaseUsd('claude-sonnet-4-5', 'anthropic', 150_000, 10_000, { longContext: true })).toBe(worstCaseUsd('claude-sonnet-4-5', 'anthropic', 150_000, 10_000));
  });
});
