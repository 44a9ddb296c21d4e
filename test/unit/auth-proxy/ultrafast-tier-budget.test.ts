/**
 * Attack on the bill: the tier peers took for the dearest is not. OpenAI's Ultrafast service tier
 * bills 6x the standard rate (its price page: "Ultrafast mode prices are 6x Standard"; GPT-6 Astra
 * $60 / $300 per million for $10 / $50), but a tier the table did not know was priced at "the
 * dearest known factor", priority's 2.5x. A project set to Ultrafast bills every request that names
 * no tier at 6x, and its replies (which say `"service_tier": "ultrafast"`) were metered at 2.5x:
 * the ledger counted 42% of the bill, and the project's tier was never learned for reservations
 * (project-tier.ts learns only priced tiers), so requests were reserved at 1x.
 *
 * The rule (auth-proxy/usage/price-table.ts, `tierFactor`; SECURITY.md, "A service tier is priced
 * only if the table knows it"): `ultrafast` is priced at 6x and `fast` (priority's new name) at
 * priority's 2.5x; any other tier at the dearest, 6x.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { tierFactor, ULTRAFAST_TIER_FACTOR, usdFor } from '../../../auth-proxy/usage/price-table.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

let vendor: StandInVendor;
let billed = 0;
const usage = { input_tokens: 100_000, output_tokens: 10_000 };
beforeAll(async () => {
  // A project whose default tier is Ultrafast, billing it at 6x GPT-6 Astra's standard $10 / $50.
  vendor = await startStandInVendor((_req, body, res) => {
    const doc = JSON.parse(body.toString()) as { model: string; service_tier?: string };
    const tier = doc.service_tier ?? 'ultrafast';
    billed = ((usage.input_tokens * 10 + usage.output_tokens * 50) / 1e6) * (tier === 'ultrafast' ? 6 : 1);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: doc.model, service_tier: tier, output: [], usage: { ...usage, input_tokens_details: { cached_tokens: 0 } } }));
  });
});
afterAll(() => vendor.close());

describe('OpenAI Ultrafast', () => {
  test('a reply served at Ultrafast is metered at 6x, what OpenAI bills, not at priority\'s 2.5x', async () => {
    const sc = await sidecarFor('openai', vendor.port, {});
    try {
      const r = await fetch(`${sc.s.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-6-astra', input: 'hi', max_output_tokens: 10_000 }) });
      expect(r.status).toBe(200);
      await r.text();
      const [line] = readLedgerFile(sc.s.ledger.path).lines.filter(isReply);
      expect(line!.service_tier).toBe('ultrafast');
      // Before: $3.75 on the ledger for a $9.00 bill.
      expect(line!.usd).toBeGreaterThanOrEqual(billed);
    } finally {
      await sc.close();
    }
  });

  test('the pure rule: ultrafast 6x, fast as priority, an unknown tier at the dearest', () => {
    expect(tierFactor('ultrafast')).toEqual({ factor: ULTRAFAST_TIER_FACTOR, known: true });
    expect(tierFactor('fast')).toEqual(tierFactor('priority'));
    expect(tierFactor('turbo')).toEqual({ factor: ULTRAFAST_TIER_FACTOR, known: false });
    // 100K input tokens of GPT-6 Astra ($10 per million, under its 272K long-prompt line) at Ultrafast: $6.
    expect(usdFor({ model: 'gpt-6-astra', input_tokens: 100_000, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, service_tier: 'ultrafast' }, 'openai').usd).toBe(6);
  });
});
