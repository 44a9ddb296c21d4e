/**
 * Attack: a dated snapshot priced above its alias. The price table finds a model by its id with
 * the date suffix removed, so `gpt-4o-2024-05-13` (OpenAI bills it $5 / $15 per million, the
 * alias `gpt-4o` $2.50 / $10) was reserved and metered at the alias's row: a peer asking for that
 * snapshot under a USD cap was billed twice the input the ledger counted.
 *
 * The bound (SECURITY.md, "Nothing unmetered"): a snapshot with a price of its own is a row of
 * the table, found by its exact id before the date is removed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { priceFor, worstCaseUsd } from '../../../auth-proxy/usage/price-table.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

let vendor: StandInVendor;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, body, res) => {
    const model = (JSON.parse(body.toString()) as { model: string }).model;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model, output: [], usage: { input_tokens: 1_000_000, input_tokens_details: { cached_tokens: 0 }, output_tokens: 100_000 } }));
  });
});
afterAll(() => vendor.close());

describe('a dated snapshot with its own price is priced by it', () => {
  test('gpt-4o-2024-05-13 is metered at $5 / $15, its alias at $2.50 / $10', async () => {
    const sc = await sidecarFor('openai', vendor.port, {});
    try {
      for (const model of ['gpt-4o-2024-05-13', 'gpt-4o-2024-08-06']) {
        const r = await fetch(`${sc.s.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, input: 'hi', max_output_tokens: 100_000 }) });
        expect(r.status).toBe(200);
        await r.text();
      }
      const [old, current] = readLedgerFile(sc.s.ledger.path).lines.filter(isReply);
      expect(old!.usd).toBeCloseTo(5 + 1.5, 8);
      expect(current!.usd).toBeCloseTo(2.5 + 1, 8);
    } finally {
      await sc.close();
    }
  });

  test('and reserved at it', () => {
    expect(priceFor('gpt-4o-2024-05-13', 'openai')).toMatchObject({ rates: { input: 5, output: 15 }, priced: 'table' });
    expect(worstCaseUsd('openai/gpt-4o-2024-05-13', 'openai', 1000, 1000)).toBeCloseTo((1000 * 5 + 1000 * 15) / 1e6, 10);
  });
});
