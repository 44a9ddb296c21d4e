/**
 * Attack on the run: grow the ledger cheaply until its readers' 256 MiB cap holds the run. The
 * cheapest request wrote about 1.2 KB: a `reserved` line, a reply line, and on the reply line some
 * 840 bytes of Anthropic's twelve rate-limit headers, copied on every reply; a dollar of the
 * cheapest requests was enough. Now an upstream's signals go on the ledger when they say something
 * new (the first after a start, a minute after the last kept, a status or limit changing, a new
 * utilization peak: `PlanSignalSampler`, auth-proxy/usage/plan-usage.ts), and reservation ids are
 * 16 characters, not a UUID's 36. What the ledger's readers show is unchanged: spend, the last
 * status each upstream reported, the peak utilization (SECURITY.md, "A flood of refusals cannot
 * hold the run").
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { statSync } from 'node:fs';
import { PlanSignalSampler } from '../../../auth-proxy/usage/plan-usage.ts';
import { readLedgerSpend } from '../../../src/budget/ledger-spend.ts';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

const REQUESTS = 100;
/** The utilization the vendor reports for request i: 0.70, rising a point every ten requests to 0.73 at request 30, then back to 0.05 (a window reset). */
const utilization = (i: number) => (i <= 30 ? 0.7 + Math.floor(i / 10) / 100 : 0.05).toFixed(2);
let served = 0;
let vendor: StandInVendor;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, _raw, res) => {
    const i = ++served;
    const h: Record<string, string> = { 'content-type': 'application/json' };
    // What an API key's reply carries: limit, remaining (moving every request) and reset, for four limits.
    for (const k of ['requests', 'tokens', 'input-tokens', 'output-tokens']) {
      h[`anthropic-ratelimit-${k}-limit`] = '4000000';
      h[`anthropic-ratelimit-${k}-remaining`] = String(4_000_000 - 9 * i);
      h[`anthropic-ratelimit-${k}-reset`] = new Date(Date.UTC(2026, 11, 7, 22, 0, i)).toISOString().replace('.000', '');
    }
    h['anthropic-ratelimit-unified-5h-utilization'] = utilization(i);
    h['anthropic-ratelimit-unified-status'] = i >= 40 ? 'allowed_warning' : 'allowed';
    res.writeHead(200, h);
    res.end(JSON.stringify({ type: 'message', model: 'claude-haiku-4-5-20251001', content: [], usage: { input_tokens: 8, output_tokens: 1 } }));
  });
});
afterAll(() => vendor.close());

test(`${REQUESTS} of the cheapest requests write under 650 bytes each, and the readers still see the last status and the peak`, async () => {
  const sc = await sidecarFor('anthropic', vendor.port, { maxUsd: 100 });
  try {
    for (let i = 0; i < REQUESTS; i++) {
      const r = await fetch(`${sc.s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] }) });
      expect(r.status).toBe(200);
      await r.text();
    }
    const perRequest = Math.round(statSync(sc.s.ledger.path).size / REQUESTS);
    console.log(`ledger bytes per request: ${perRequest}`);
    // Before: 1,223 bytes a request (the signals on every reply line, a UUID twice).
    expect(perRequest).toBeLessThan(650);
    const spend = readLedgerSpend(sc.s.ledger.path)!;
    expect({ replies: spend.replies, tokens: spend.tokens }).toEqual({ replies: REQUESTS, tokens: REQUESTS * 9 });
    expect(spend.peakUtilization).toEqual([expect.objectContaining({ upstream: 'anthropic', signal: 'anthropic-ratelimit-unified-5h-utilization', percent: 73 })]);
    expect(spend.planUsage.map((p) => p.signals['anthropic-ratelimit-unified-status'])).toEqual(['allowed_warning']);
  } finally {
    await sc.close();
  }
});

test("an upstream's signals are kept when new: first, a minute later, a status change, a new peak; not a counter moving", () => {
  const s = new PlanSignalSampler(60_000);
  const sig = (remaining: number, status = 'allowed', util = '0.10') => ({ 'anthropic-ratelimit-tokens-remaining': String(remaining), 'anthropic-ratelimit-unified-status': status, 'anthropic-ratelimit-unified-5h-utilization': util });
  expect([
    s.keep(sig(100), 0),
    s.keep(sig(99), 1_000),
    s.keep(sig(98), 61_000),
    s.keep(sig(97, 'rejected'), 62_000),
    s.keep(sig(96, 'rejected', '0.09'), 63_000),
    s.keep(sig(95, 'rejected', '0.11'), 64_000),
    s.keep({ 'anthropic-ratelimit-tokens-remaining': '94' }, 65_000),
    s.keep(undefined, 66_000),
  ]).toEqual([true, false, true, true, false, true, true, false]);
});
