/**
 * Attack: a model named after a property every JavaScript object inherits. The price table was
 * looked up with `PRICE_TABLE[id]`, so `constructor` and `__proto__` (after lowercasing, the only
 * inherited names a normalized id can be) found Object's constructor or prototype as their "row":
 * priced `table`, at NaN dollars. Under a USD cap the request was refused as an exhausted budget
 * with a `refused` line whose figures were null, and under a token cap its `reserved` and reply
 * lines said `"usd": null`: either way the ledger held a line no reader accepts, so one request
 * held the run (the loop stops as budget:ledger-unreadable, a restarted sidecar refuses to start).
 *
 * The rule (SECURITY.md, "Nothing unmetered"): a model is a row only if the table (or the user's
 * `budget.prices`) has it as its own key; anything else is unpriced, refused under a USD cap and
 * priced at the dearest row without one.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { FALLBACK_RATES, priceFor, usdFor, worstCaseUsd } from '../../../auth-proxy/usage/price-table.ts';
import { isRefusal, isReply, readLedgerFile, UsageLedger } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

const INHERITED = ['constructor', '__proto__', 'CONSTRUCTOR', 'openai/constructor', 'constructor-latest', '__proto__-20250101'];

let vendor: StandInVendor;
beforeAll(async () => {
  // A compatible provider serves whatever model it is asked for and names it in the reply.
  vendor = await startStandInVendor((_req, body, res) => {
    const model = (JSON.parse(body.toString()) as { model: string }).model;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model, output: [], usage: { input_tokens: 1000, input_tokens_details: { cached_tokens: 0 }, output_tokens: 1000 } }));
  });
});
afterAll(() => vendor.close());

const send = (url: string, model: string) =>
  fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, input: 'hi', max_output_tokens: 1000 }) });

describe('a model named after an inherited property is an unknown model', () => {
  test('under a USD cap it is refused as unpriced, and the ledger stays readable', async () => {
    const sc = await sidecarFor('openai', vendor.port, { maxUsd: 5 });
    try {
      for (const model of INHERITED) {
        const r = await send(sc.s.url, model);
        const text = await r.text();
        expect(r.status).toBe(400);
        expect(text).toContain('peers_model_not_priced');
      }
      const read = readLedgerFile(sc.s.ledger.path);
      expect(read.lines.filter(isRefusal)).toHaveLength(0);
      expect(sc.s.ledger.totals.usd).toBe(0);
      expect(() => new UsageLedger(sc.s.ledger.path)).not.toThrow();
    } finally {
      await sc.close();
    }
  });

  test('without a USD cap it is metered at the dearest row, flagged, and a restarted sidecar reads the ledger', async () => {
    const sc = await sidecarFor('openai', vendor.port, { maxTokens: 10_000_000 });
    try {
      const r = await send(sc.s.url, 'constructor');
      expect(r.status).toBe(200);
      await r.text();
      const [line] = readLedgerFile(sc.s.ledger.path).lines.filter(isReply);
      expect(line!.priced).toBe('fallback');
      expect(line!.usd).toBeCloseTo((1000 * FALLBACK_RATES.openai.input + 1000 * FALLBACK_RATES.openai.output) / 1e6, 8);
      expect(Number.isFinite(sc.s.ledger.totals.usd)).toBe(true);
      expect(new UsageLedger(sc.s.ledger.path).totals.usd).toBeCloseTo(line!.usd, 8);
    } finally {
      await sc.close();
    }
  });

  test('the pure rule: no inherited name is a row, of the table or of the user\'s prices', () => {
    for (const model of INHERITED) {
      for (const vendor of ['anthropic', 'openai'] as const) {
        expect(priceFor(model, vendor).priced).toBe('fallback');
        expect(priceFor(model, vendor, 'fast').priced).toBe('fallback');
        expect(priceFor(model, vendor, undefined, { other: FALLBACK_RATES.openai }).priced).toBe('fallback');
        expect(Number.isFinite(worstCaseUsd(model, vendor, 1000, 1000))).toBe(true);
        expect(Number.isFinite(usdFor({ model, input_tokens: 1, output_tokens: 1, cache_read_tokens: 0, cache_write_tokens: 0 }, vendor).usd)).toBe(true);
      }
    }
  });
});
