/**
 * Attack: cache writes asked for with a one-hour lifetime, metered at the five-minute rate. Anthropic
 * bills a token written with `cache_control: {"type": "ephemeral", "ttl": "1h"}` at 2x input, one
 * written for 5 minutes at 1.25x, and says which in its usage (`cache_creation.ephemeral_1h_input_tokens`);
 * a compatible provider that bills the same but gives only the total (`cache_creation_input_tokens`)
 * had every written token metered at the five-minute rate: a peer marking a fresh prefix for one
 * hour on every request was billed 60% more than the ledger counted.
 *
 * The bound (SECURITY.md, "Nothing unmetered"): when the request asked for a lifetime above five
 * minutes and the reply does not split its writes by lifetime, they are priced at the one-hour
 * rate, flagged.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { usdFor } from '../../../auth-proxy/usage/price-table.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { sidecarFor, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

const WRITTEN = 100_000;
/** What a provider billing one-hour writes charges for such a reply. */
const billed = usdFor({ model: 'claude-sonnet-4-5', input_tokens: 10, output_tokens: 10, cache_read_tokens: 0, cache_write_tokens: WRITTEN, cache_write_1h_tokens: WRITTEN }, 'anthropic').usd;

let vendor: StandInVendor;
let split = false;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, _raw, res) => {
    const usage = { input_tokens: 10, output_tokens: 10, cache_read_input_tokens: 0, cache_creation_input_tokens: WRITTEN, ...(split ? { cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: WRITTEN } } : {}) };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'message', model: 'claude-sonnet-4-5', content: [], usage }));
  });
});
afterAll(() => vendor.close());

const body = (ttl?: string) => ({ model: 'claude-sonnet-4-5', max_tokens: 10, system: [{ type: 'text', text: 'a long fresh prefix', cache_control: { type: 'ephemeral', ...(ttl ? { ttl } : {}) } }], messages: [{ role: 'user', content: 'hi' }] });
async function meter(doc: unknown): Promise<number> {
  const sc = await sidecarFor('anthropic', vendor.port, {});
  try {
    await fetch(`${sc.s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) }).then((r) => r.text());
    return readLedgerFile(sc.s.ledger.path).lines.filter(isReply)[0]!.usd;
  } finally {
    await sc.close();
  }
}

test('one-hour writes from a reply that does not split them are metered at the one-hour rate', async () => {
  split = false;
  // Without the fix: $0.375 on the ledger for a $0.60 bill.
  expect(await meter(body('1h'))).toBeGreaterThanOrEqual(billed);
});

test('a reply that splits its writes is priced as it says; a request asking for five minutes at the five-minute rate', async () => {
  split = true;
  expect(await meter(body('1h'))).toBe(billed);
  split = false;
  expect(await meter(body())).toBeLessThan(billed);
});
