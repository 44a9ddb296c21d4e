/**
 * Attack on the bill: steer a router to a dear provider by the request's size. OpenRouter passes
 * over the providers whose context window or output limit is too small for a request, so a short
 * request goes to a cheap provider and one with a large `max_tokens` (or prompt) to whichever
 * serves it, at its price. A router's first request for a model goes out alone at 10x the table;
 * but "first" was per model and routing preferences only: one short request answered at the
 * table's price made the model seen, at a ratio of 1, and then ten large ones sent at once were
 * all reserved at 2x and billed at the dear provider's 12x, far past the cap.
 *
 * The rule (SECURITY.md, "Routing preferences make a first request too"): a whole reply shows
 * what a router charges only for requests no larger than its own (output cap and prompt bound,
 * read from its `reserved` line); a larger one is a first request, alone at 10x, and what it
 * cost sets the reservations after it.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import type http from 'node:http';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { providerUpstream } from '../../../auth-proxy/upstreams.ts';
import { usdFor } from '../../../auth-proxy/usage/price-table.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type Egress, startEgress, startSidecar, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

const SMALL = 100;
const LARGE = 4000;
const table = (out: number) => usdFor({ model: 'gpt-5.4', input_tokens: 1000, output_tokens: out, cache_read_tokens: 0, cache_write_tokens: 0 }, 'openai').usd;
/** Room for the large request's lone first (10x) and nothing after it at the 12x it shows. */
const CAP = 14 * table(LARGE);
/** Held replies, each with what its provider bills: the cheap one serves up to 1000 output tokens at the table's price, a dear one the rest at 12x. */
const held: { res: http.ServerResponse; out: number }[] = [];
let vendor: StandInVendor;
let egress: Egress;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, body, res) => {
    const doc = JSON.parse(body.toString()) as { max_output_tokens: number };
    held.push({ res, out: doc.max_output_tokens });
  });
  egress = await startEgress(vendor.port);
});
afterAll(async () => {
  await egress.close();
  await vendor.close();
});

const router = { ...providerUpstream({ name: 'openrouter', kind: 'openai-compatible', base_url: 'https://openrouter.ai/api/v1', key_env: 'OPENROUTER_API_KEY', port: 8090 } as Parameters<typeof providerUpstream>[0]), pathPrefix: '' };
const answerHeld = () => {
  for (const { res, out } of held.splice(0)) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: 'openai/gpt-5.4', output: [], usage: { input_tokens: 1000, input_tokens_details: { cached_tokens: 0 }, output_tokens: out, cost: (out > 1000 ? 12 : 1) * table(out) } }));
  }
};
const until = async (what: () => boolean) => {
  for (let i = 0; i < 2000 && !what(); i++) await Bun.sleep(5);
  expect(what()).toBe(true);
};
const send = (url: string, maxOut: number) =>
  fetch(`${url}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'openai/gpt-5.4', input: 'hi', max_output_tokens: maxOut }) });

test('large requests routed to a dear provider after a small one served cheaply stay within the cap', async () => {
  const slots = { active: 0 };
  const s = await startSidecar({ egress, vendorPort: vendor.port, upstream: router, credentials: new ApiKeySource('authorization', 'sk-or-test-000000'), caps: { maxUsd: CAP }, slots });
  const spent = () => readLedgerFile(s.ledger.path).lines.filter(isReply).reduce((a, l) => a + l.usd, 0);
  try {
    // The model is seen, served small at the table's price.
    const first = send(s.url, SMALL);
    await until(() => held.length === 1);
    answerHeld();
    expect((await first).status).toBe(200);
    // Ten large ones at once: only a provider with a large output limit (12x) serves them.
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) void send(s.url, LARGE).then(async (r) => void (await r.text(), statuses.push(r.status)));
    await until(() => slots.active + statuses.length === 10 && (held.length > 0 || statuses.length === 10));
    while (statuses.length < 10) {
      answerHeld();
      await until(() => held.length > 0 || statuses.length === 10);
    }
    // Before: six went out at 2x the table and spent 72 times a large request's table price at a 14x cap.
    expect(spent()).toBeLessThanOrEqual(CAP);
    expect(statuses.filter((x) => x === 200).length).toBe(1);
    // A small request is still seen: it goes out at once, reserved at the router's dearest ratio.
    const again = send(s.url, SMALL);
    await until(() => held.length === 1);
    answerHeld();
    expect((await again).status).toBe(200);
  } finally {
    for (const h of held.splice(0)) h.res.destroy();
    await s.close();
  }
});

test('a sidecar started on the ledger knows which output caps a whole reply has shown the price of', async () => {
  const { UsageLedger, servedKey } = await import('../../../auth-proxy/usage/usage-ledger.ts');
  const { appendFileSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const path = join(mkdtempSync(join(egress.dir, 'ledger-')), 'usage.jsonl');
  const ts = '2026-12-07T00:00:00Z';
  appendFileSync(path, `${JSON.stringify({ kind: 'reserved', ts, id: 'r1', upstream: 'openrouter', model: 'openai/gpt-5.4', input_tokens: 1100, output_tokens: SMALL, usd: 0.01 })}\n`);
  appendFileSync(path, `${JSON.stringify({ kind: 'reply', ts, upstream: 'openrouter', status: 200, stream: false, model: 'openai/gpt-5.4', input_tokens: 1000, output_tokens: SMALL, cache_read_tokens: 0, cache_write_tokens: 0, total_tokens: 1000 + SMALL, usd: table(SMALL), priced: 'table', reservation: 'r1' })}\n`);
  const ledger = new UsageLedger(path);
  const key = servedKey('openrouter', 'openai/gpt-5.4');
  expect({ small: ledger.servedModels.has(key, SMALL), large: ledger.servedModels.has(key, LARGE) }).toEqual({ small: true, large: false });
});
