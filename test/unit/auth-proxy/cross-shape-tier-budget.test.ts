/**
 * Attack: a service tier asked for through the other vendor's API shape. A router speaking the
 * Anthropic Messages shape serves OpenAI's models, and passes their `service_tier` on; the
 * reservation applied a tier only on OpenAI's shape (Anthropic's own tiers cost nothing extra), so
 * `"service_tier": "ultrafast"` to `openai/gpt-5.4` there was reserved at the standard rate and
 * billed six times it: one request after another passed the run's USD cap. An unknown tier was not
 * refused there either.
 *
 * The bound (SECURITY.md, "A service tier is priced only if the table knows it"): the tier a request
 * names is reserved at its factor on either shape, and under a USD cap a tier the table does not
 * know is refused on either.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { providerUpstream } from '../../../auth-proxy/upstreams.ts';
import { ULTRAFAST_TIER_FACTOR } from '../../../auth-proxy/usage/price-table.ts';
import { requestFactsOf, unpricedReason, worstCase } from '../../../auth-proxy/usage/request-cost.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type Egress, type Sidecar, startEgress, startSidecar, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

const OUTPUT = 100_000;
const body = (tier?: string) => ({ model: 'openai/gpt-5.4', max_tokens: OUTPUT, ...(tier ? { service_tier: tier } : {}), messages: [{ role: 'user', content: 'write at length' }] });
const factsOf = (doc: Record<string, unknown>) => requestFactsOf(doc, Buffer.byteLength(JSON.stringify(doc)), 'anthropic');
/** The reservation of the request at the standard rate, the router's margin aside. */
const standard = worstCase(factsOf(body()), 'anthropic').usd;

let vendor: StandInVendor;
let egress: Egress;
let s: Sidecar;
let forwarded = 0;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, raw, res) => {
    forwarded++;
    const doc = JSON.parse(raw.toString()) as { model: string; service_tier?: string };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'message', model: doc.model, content: [], usage: { input_tokens: 10, output_tokens: OUTPUT, service_tier: doc.service_tier ?? 'standard' } }));
  });
  egress = await startEgress(vendor.port);
  const router = { ...providerUpstream({ name: 'openrouter', kind: 'anthropic-compatible', base_url: 'https://openrouter.ai/api', key_env: 'OPENROUTER_API_KEY', port: 8090 } as Parameters<typeof providerUpstream>[0]), pathPrefix: '' };
  // Room for the router's first request at its 10x margin of the standard rate.
  s = await startSidecar({ egress, vendorPort: vendor.port, upstream: router, credentials: new ApiKeySource('x-api-key', 'sk-or-cross-tier-0000'), caps: { maxUsd: 10.5 * standard } });
});
afterAll(async () => {
  await s.close();
  await egress.close();
  await vendor.close();
});

test('"ultrafast" on an Anthropic-shaped router is reserved at its factor, so the USD cap holds', async () => {
  for (let i = 0; i < 3; i++) await fetch(`${s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body('ultrafast')) }).then((r) => r.text());
  const spent = readLedgerFile(s.ledger.path).lines.filter(isReply).reduce((sum, l) => sum + l.usd, 0);
  // Without the fix two went out, reserved at 10x and 2x the standard rate and billed 6x each.
  expect({ spent, withinCap: spent <= 10.5 * standard }).toMatchObject({ withinCap: true });
});

test('the reservation takes the tier on either shape; an unknown tier is unpriced on either', () => {
  expect(worstCase(factsOf(body('ultrafast')), 'anthropic').usd).toBeGreaterThanOrEqual(ULTRAFAST_TIER_FACTOR * standard * 0.999);
  // Anthropic's own tiers cost nothing extra (the few more bytes of the field aside).
  expect(worstCase(factsOf(body('standard_only')), 'anthropic').usd / standard).toBeLessThan(1.001);
  expect(unpricedReason(factsOf(body('warp')), 'anthropic')).toContain('service tier');
  expect(unpricedReason(factsOf(body('auto')), 'anthropic')).toBeNull();
});
