/**
 * Attack: a router bills above the table's price, and requests in flight together each overshoot
 * their reservation. OpenRouter charges what the provider it picks charges (`usage.cost`), which
 * may be many times the first-party price the table holds. The reply is metered at that cost, but
 * every request was reserved at the table's price, so a peer that sent its requests at once,
 * steered to a dear provider, had them all admitted against the cap and spent several times it.
 *
 * The bound (SECURITY.md, "A request goes out only if the budget left covers it"): a provider
 * upstream (a router) reserves at ROUTED_COST_MARGIN times the table's price, its first request
 * for a model goes out alone, and every upstream reserves at no less than the highest ratio of
 * stated cost to table price its replies have shown (kept on the ledger: a restart remembers it).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import type http from 'node:http';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { providerUpstream } from '../../../auth-proxy/upstreams.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type Egress, startEgress, startSidecar, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

// gpt-5.4 at the table's $2.5 / $15: 1000 in and 100 out is $0.004, and one request is reserved at
// about $0.0043 (its body's bytes + 1024 in, 100 out). The provider the router picked charged $0.05.
const USAGE = { input_tokens: 1000, input_tokens_details: { cached_tokens: 0 }, output_tokens: 100, cost: 0.05 };
const CAP = 0.2;
const held: http.ServerResponse[] = [];
let vendor: StandInVendor;
let egress: Egress;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, _body, res) => void held.push(res));
  egress = await startEgress(vendor.port);
});
afterAll(async () => {
  await egress.close();
  await vendor.close();
});

const router = { ...providerUpstream({ name: 'openrouter', kind: 'openai-compatible', base_url: 'https://openrouter.ai/api/v1', key_env: 'OPENROUTER_API_KEY', port: 8090 } as Parameters<typeof providerUpstream>[0]), pathPrefix: '' };
const answerHeld = () => {
  for (const res of held.splice(0)) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: 'openai/gpt-5.4', output: [], usage: USAGE }));
  }
};
const until = async (what: () => boolean) => {
  for (let i = 0; i < 2000 && !what(); i++) await Bun.sleep(5);
  expect(what()).toBe(true);
};

/**
 * `n` requests at once: once every one is inside the sidecar (at the vendor, refused, or waiting),
 * the vendor answers whatever it holds, as it arrives, until all are answered.
 */
async function burst(url: string, n: number, slots: { active: number }): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    void fetch(`${url}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'openai/gpt-5.4', input: 'hi', max_output_tokens: 100 }) })
      .then(async (r) => void (await r.text(), statuses.push(r.status)));
  }
  await until(() => slots.active + statuses.length === n && (held.length > 0 || statuses.length === n));
  while (statuses.length < n) {
    answerHeld();
    await until(() => held.length > 0 || statuses.length === n);
  }
  return statuses.sort();
}

test('requests sent at once through a router that bills above the table stay within the cap', async () => {
  const slots = { active: 0 };
  const open = () => startSidecar({ egress, vendorPort: vendor.port, upstream: router, credentials: new ApiKeySource('authorization', 'sk-or-test-000000'), caps: { maxUsd: CAP }, ledgerPath: `${egress.dir}/router.jsonl`, slots });
  const s = await open();
  const spent = () => readLedgerFile(s.ledger.path).lines.filter(isReply).reduce((a, l) => a + l.usd, 0);
  try {
    // Ten at once, the run's first. Reserved at the table's price (or twice it) all ten fit, and they
    // spent $0.50 at a $0.20 cap. The first goes out alone; the rest are reserved at what it cost.
    const statuses = await burst(s.url, 10, slots);
    expect(statuses.filter((x) => x === 200).length).toBe(3);
    expect(spent()).toBeLessThanOrEqual(CAP);
    await s.close();
    // A restarted sidecar reads what the router charges from the ledger: nothing more fits.
    const again = await open();
    try {
      expect(await burst(again.url, 3, slots)).toEqual([400, 400, 400]);
      expect(spent()).toBeLessThanOrEqual(CAP);
    } finally {
      await again.close();
    }
  } finally {
    for (const res of held.splice(0)) res.destroy();
    await s.close().catch(() => {});
  }
});

test('a router\'s first request for a model is reserved at ten times the table\'s price, so one that bills 12x its table price cannot pass a cap that twice would fit', async () => {
  // The first request reserved at twice the table's price ($0.0086) fits a $0.02 cap; billed at
  // $0.05 it spent 2.5 times the cap. Reserved at ten times ($0.043) it does not fit: refused, unsent.
  const s = await startSidecar({ egress, vendorPort: vendor.port, upstream: router, credentials: new ApiKeySource('authorization', 'sk-or-test-000000'), caps: { maxUsd: 0.02 }, ledgerPath: `${egress.dir}/router-first.jsonl` });
  try {
    const reply = fetch(`${s.url}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'openai/gpt-5.4', input: 'hi', max_output_tokens: 100 }) });
    let status = 0;
    void reply.then((r) => (status = r.status));
    await until(() => status !== 0 || held.length > 0);
    answerHeld();
    const r = await reply;
    expect(r.status).toBe(400);
    expect(await r.text()).toContain('budget left cannot cover this request');
    expect(readLedgerFile(s.ledger.path).lines.filter(isReply).reduce((a, l) => a + l.usd, 0)).toBeLessThanOrEqual(0.02);
  } finally {
    for (const res of held.splice(0)) res.destroy();
    await s.close();
  }
});
