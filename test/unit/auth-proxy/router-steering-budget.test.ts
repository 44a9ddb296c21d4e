/**
 * Attack on the bill: teach the sidecar a router is cheap, then steer to a dear provider. A router's
 * requests are reserved at its margin over the table, raised to the highest ratio of stated cost
 * to table price its replies have shown, and a model's first request goes out alone at 10x
 * (budget.ts, first-request-gate.ts). But "first" was per model only: OpenRouter's `provider`
 * preferences (`order`, `only`, …) pick which provider serves the same model, at that provider's
 * price. One request served cheaply made the model "seen" at a ratio of 1; ten requests steered
 * at once to a provider billing 12x the table were then all reserved at 2x, all admitted, and
 * spent 2.4 times the cap.
 *
 * The rule (SECURITY.md, "A router's requests are reserved at what it has been seen to charge"):
 * on a router, a request's routing preferences are part of what makes it a first request: a
 * model asked for with preferences no whole reply has shown goes out alone, reserved at 10x, and
 * the rest wait for what it cost.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import type http from 'node:http';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { providerUpstream } from '../../../auth-proxy/upstreams.ts';
import { usdFor } from '../../../auth-proxy/usage/price-table.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type Egress, startEgress, startSidecar, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

const CAP = 0.2;
const TABLE = usdFor({ model: 'gpt-5.4', input_tokens: 1000, output_tokens: 100, cache_read_tokens: 0, cache_write_tokens: 0 }, 'openai').usd;
const held: { res: http.ServerResponse; dear: boolean }[] = [];
let vendor: StandInVendor;
let egress: Egress;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, body, res) => {
    const doc = JSON.parse(body.toString()) as { provider?: { order?: string[] } };
    held.push({ res, dear: doc.provider?.order?.[0] === 'dear' });
  });
  egress = await startEgress(vendor.port);
});
afterAll(async () => {
  await egress.close();
  await vendor.close();
});

const router = { ...providerUpstream({ name: 'openrouter', kind: 'openai-compatible', base_url: 'https://openrouter.ai/api/v1', key_env: 'OPENROUTER_API_KEY', port: 8090 } as Parameters<typeof providerUpstream>[0]), pathPrefix: '' };
/** The provider billing 12x the table when steered to ("dear"), the table's price otherwise. */
const answerHeld = () => {
  for (const { res, dear } of held.splice(0)) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: 'openai/gpt-5.4', output: [], usage: { input_tokens: 1000, input_tokens_details: { cached_tokens: 0 }, output_tokens: 100, cost: dear ? 12 * TABLE : TABLE } }));
  }
};
const until = async (what: () => boolean) => {
  for (let i = 0; i < 2000 && !what(); i++) await Bun.sleep(5);
  expect(what()).toBe(true);
};
const send = (url: string, extra: Record<string, unknown>) =>
  fetch(`${url}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'openai/gpt-5.4', input: 'hi', max_output_tokens: 100, ...extra }) });

test('requests steered to a dear provider after a cheap reply for the same model stay within the cap', async () => {
  const slots = { active: 0 };
  const s = await startSidecar({ egress, vendorPort: vendor.port, upstream: router, credentials: new ApiKeySource('authorization', 'sk-or-test-000000'), caps: { maxUsd: CAP }, slots });
  const spent = () => readLedgerFile(s.ledger.path).lines.filter(isReply).reduce((a, l) => a + l.usd, 0);
  try {
    // The model is seen, served at the table's price.
    const first = send(s.url, {});
    await until(() => held.length === 1);
    answerHeld();
    expect((await first).status).toBe(200);
    // Ten at once, steered to the dear provider.
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) void send(s.url, { provider: { order: ['dear'], allow_fallbacks: false } }).then(async (r) => void (await r.text(), statuses.push(r.status)));
    await until(() => slots.active + statuses.length === 10 && (held.length > 0 || statuses.length === 10));
    while (statuses.length < 10) {
      answerHeld();
      await until(() => held.length > 0 || statuses.length === 10);
    }
    // Before: all ten went out at 2x the table, $0.48 spent at a $0.20 cap.
    expect(spent()).toBeLessThanOrEqual(CAP);
    expect(statuses.filter((x) => x === 200).length).toBeGreaterThan(0);
  } finally {
    for (const h of held.splice(0)) h.res.destroy();
    await s.close();
  }
});
