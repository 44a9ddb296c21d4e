/**
 * Attack: a premium speed, tier or inference geography asked for, served, and not stated in the reply. Anthropic says
 * in its usage which speed served a request (`usage.speed`) and OpenAI which tier
 * (`service_tier`), and a whole reply was priced by what it said only; a compatible provider that
 * honours `"speed": "fast"` or `"service_tier": "priority"` without saying so had the reply
 * metered at the standard rate: `claude-opus-4-6` fast is six times standard.
 *
 * The bound (SECURITY.md, "Nothing unmetered"): a reply silent on its speed or tier is priced at
 * the one the request was reserved at (a reply that states another, a fallback to standard, is
 * priced as it says).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { usdFor } from '../../../auth-proxy/usage/price-table.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { sidecarFor, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

const OUT = 10_000;
let vendor: StandInVendor;
let stated: string | undefined;
beforeAll(async () => {
  vendor = await startStandInVendor((req, raw, res) => {
    const doc = JSON.parse(raw.toString()) as { model: string };
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url!.endsWith('/messages')) return res.end(JSON.stringify({ type: 'message', model: doc.model, content: [], usage: { input_tokens: 10, output_tokens: OUT, ...(stated ? { speed: stated } : {}) } }));
    res.end(JSON.stringify({ object: 'response', model: doc.model, ...(stated ? { service_tier: stated } : {}), output: [], usage: { input_tokens: 10, output_tokens: OUT, input_tokens_details: { cached_tokens: 0 } } }));
  });
});
afterAll(() => vendor.close());

async function meter(vendorShape: 'anthropic' | 'openai', doc: unknown): Promise<number> {
  const sc = await sidecarFor(vendorShape, vendor.port, {});
  try {
    await fetch(`${sc.s.url}${vendorShape === 'anthropic' ? '/v1/messages' : '/v1/responses'}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) }).then((r) => r.text());
    return readLedgerFile(sc.s.ledger.path).lines.filter(isReply)[0]!.usd;
  } finally {
    await sc.close();
  }
}
const usage = (model: string, extra: Record<string, string>) => ({ model, input_tokens: 10, output_tokens: OUT, cache_read_tokens: 0, cache_write_tokens: 0, ...extra });

test('a fast request whose reply does not state its speed is metered at the fast rate', async () => {
  stated = undefined;
  const fast = usdFor(usage('claude-opus-4-6', { speed: 'fast' }), 'anthropic').usd;
  // Without the fix: $0.25 on the ledger for a $1.50 bill.
  expect(await meter('anthropic', { model: 'claude-opus-4-6', speed: 'fast', max_tokens: OUT, messages: [{ role: 'user', content: 'hi' }] })).toBeGreaterThanOrEqual(fast);
});

test('a priority request whose reply does not state its tier is metered at the priority rate', async () => {
  stated = undefined;
  const priority = usdFor(usage('gpt-5.4', { service_tier: 'priority' }), 'openai').usd;
  expect(await meter('openai', { model: 'gpt-5.4', service_tier: 'priority', max_output_tokens: OUT, input: 'hi' })).toBeGreaterThanOrEqual(priority);
});

test('a priority request whose reply says only "auto" is metered at the priority rate', async () => {
  stated = 'auto';
  const priority = usdFor(usage('gpt-5.4', { service_tier: 'priority' }), 'openai').usd;
  expect(await meter('openai', { model: 'gpt-5.4', service_tier: 'priority', max_output_tokens: OUT, input: 'hi' })).toBeGreaterThanOrEqual(priority);
});

test('a US-only request whose reply does not state where it was served is metered at the US rate', async () => {
  stated = undefined;
  const us = usdFor(usage('claude-sonnet-4-5', { inference_geo: 'us' }), 'anthropic').usd;
  // Without the fix: 1x on the ledger for a 1.1x bill, about a tenth of a cap spent past it.
  expect(us).toBeGreaterThan(usdFor(usage('claude-sonnet-4-5', {}), 'anthropic').usd);
  expect(await meter('anthropic', { model: 'claude-sonnet-4-5', inference_geo: 'us', max_tokens: OUT, messages: [{ role: 'user', content: 'hi' }] })).toBeGreaterThanOrEqual(us);
});

test('a reply that states the standard speed (fast capacity unavailable) is priced as it says', async () => {
  stated = 'standard';
  const standard = usdFor(usage('claude-opus-4-6', {}), 'anthropic').usd;
  expect(await meter('anthropic', { model: 'claude-opus-4-6', speed: 'fast', max_tokens: OUT, messages: [{ role: 'user', content: 'hi' }] })).toBe(standard);
});
