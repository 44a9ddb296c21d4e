/**
 * Attack: many requests raced at once, across both vendors, so that each is admitted while the
 * others are still in flight and unmetered, and together they blow through the cap.
 *
 * The bound (SECURITY.md): every billable request reserves the most it can cost (its body bytes
 * plus a margin as prompt tokens at the highest input rate, its max_tokens at the output rate)
 * while in flight, and is admitted only if spent + reserved + its own reservation fits the cap.
 * So spend ≤ cap + Σ (actual − reservation)⁺ over the requests in flight, which is zero unless the
 * vendor bills input the request did not carry (server-side tool results).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import http from 'node:http';
import type net from 'node:net';
import { join } from 'node:path';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { Reservations } from '../../../auth-proxy/usage/budget.ts';
import { requestFacts, worstCase } from '../../../auth-proxy/usage/request-cost.ts';
import { isRefusal, isReply, readLedgerFile, UsageLedger } from '../../../auth-proxy/usage/usage-ledger.ts';
import { billedReply, type Egress, type Sidecar, startEgress, startSidecar } from './sidecar-fixture.ts';
import { waitFor } from '../../wait-for.ts';

/** Holds every model request until released, then answers JSON with the usage it is told to bill. */
let server: http.Server;
let port: number;
let held: (() => void)[] = [];
let forwarded = 0;
let billedInput = 100;

beforeAll(async () => {
  server = http.createServer(async (req, res) => {
    for await (const _ of req);
    forwarded++;
    await new Promise<void>((r) => held.push(r));
    const usage = { input_tokens: billedInput, output_tokens: 200 };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(billedReply(req.url!, usage));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const r of held) r();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  for (const r of held.splice(0)) r();
  forwarded = 0;
  billedInput = 100;
});


const ANTHROPIC_BODY = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user', content: 'go' }] });
// Names its tier: one left to the project is reserved at priority until a reply says it (project-tier-budget.test.ts).
const OPENAI_BODY = JSON.stringify({ model: 'gpt-5.4', max_output_tokens: 1000, input: 'go', service_tier: 'default' });
const reserveOf = (body: string, vendor: 'anthropic' | 'openai') => worstCase(requestFacts(Buffer.from(body), vendor), vendor).usd;

async function twoSidecars(cap: number): Promise<{ egress: Egress; a: Sidecar; o: Sidecar; ledger: UsageLedger; close(): Promise<void> }> {
  const egress = await startEgress(port);
  // One ledger and one set of reservations for both vendors, as in `peers sidecar auth`.
  // Refusals after the first are counted per window (refusal-lines.ts): a short one, so the test reads their count.
  const ledger = new UsageLedger(join(egress.dir, 'usage.jsonl'), { refusalWindowMs: 50 });
  const reservations = new Reservations();
  const caps = { maxUsd: cap };
  const a = await startSidecar({ egress, vendorPort: port, credentials: new ApiKeySource('x-api-key', 'sk-ant-race-00000000'), caps, ledger, reservations });
  const o = await startSidecar({ egress, vendorPort: port, upstream: UPSTREAMS.openai, credentials: new ApiKeySource('authorization', 'sk-race-openai-000000'), caps, ledger, reservations });
  return { egress, a, o, ledger, close: async () => void (await Promise.all([a.close(), o.close()]), await egress.close()) };
}

const post = (url: string, path: string, body: string) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async (r) => ({ status: r.status, text: await r.text() }));

async function untilForwarded(n: number): Promise<void> {
  const end = Date.now() + 5000;
  while (forwarded < n) {
    if (Date.now() > end) throw new Error(`only ${forwarded} of ${n} requests reached the vendor`);
    await Bun.sleep(10);
  }
}

describe('concurrent requests racing past the cap', () => {
  test('20 requests at once over both vendors: only those whose reservations fit go out; spend stays under the cap', async () => {
    const ra = reserveOf(ANTHROPIC_BODY, 'anthropic');
    const ro = reserveOf(OPENAI_BODY, 'openai');
    const cap = 2 * ra + 2 * ro + 0.001;
    const s = await twoSidecars(cap);
    const bodies = Array.from({ length: 20 }, (_, i) => (i % 2 ? [s.o.url, '/v1/responses', OPENAI_BODY] : [s.a.url, '/v1/messages', ANTHROPIC_BODY]) as [string, string, string]);
    let answered = 0;
    const replies = bodies.map(([url, path, body]) => post(url, path, body).finally(() => answered++));
    // The refused ones answer at once; the admitted ones are held by the vendor, unmetered: every
    // request is accounted for once the answered and the forwarded make 20.
    await waitFor('every request to be either refused or held at the vendor', () => answered + forwarded === bodies.length, 10_000);
    const out = forwarded;
    expect(out).toBeGreaterThanOrEqual(3); // how many fit depends on which vendor's requests came first
    expect(out).toBeLessThanOrEqual(4);
    for (const r of held.splice(0)) r();
    const done = await Promise.all(replies);
    const lines = readLedgerFile(s.ledger.path).lines;
    const paid = lines.filter(isReply);
    expect(paid).toHaveLength(out);
    // What was in flight together never held more than the cap…
    expect(paid.reduce((t, l) => t + (l.upstream === 'anthropic' ? ra : ro), 0)).toBeLessThanOrEqual(cap);
    // …so what it cost cannot exceed it either.
    expect(paid.reduce((t, l) => t + l.usd, 0)).toBeLessThanOrEqual(cap);
    expect(done.filter((r) => r.status !== 200)).toHaveLength(20 - out);
    expect(done.filter((r) => r.status !== 200).every((r) => r.text.includes('budget left cannot cover this request'))).toBe(true);
    // Every refusal is counted on the ledger once its window closes (one line per upstream at first).
    await waitFor('every refusal to be counted', () => readLedgerFile(s.ledger.path).lines.filter(isRefusal).reduce((n, l) => n + (l.requests ?? 1), 0) === 20 - out, 5_000);
    expect(lines.filter(isRefusal).length).toBeGreaterThanOrEqual(1);
    expect(lines.filter(isRefusal).every((l) => l.cap === 'max_usd' && l.in_flight > 0)).toBe(true);
    await s.close();
  }, 30_000);

  test('one request at a time: the run ends at the cap, never above it', async () => {
    const s = await twoSidecars(0.05);
    let refused = 0;
    for (let i = 0; i < 40 && refused === 0; i++) {
      const before = forwarded;
      const reply = post(s.a.url, '/v1/messages', ANTHROPIC_BODY);
      const r = await Promise.race([reply, untilForwarded(before + 1).then(() => null)]);
      if (r) {
        expect(r.status).toBe(402);
        refused++;
      } else {
        await waitFor('the admitted request to be held at the vendor', () => held.length > 0, 5_000);
        for (const h of held.splice(0)) h();
        expect((await reply).status).toBe(200);
      }
    }
    expect(refused).toBe(1);
    expect(s.ledger.totals.usd).toBeLessThanOrEqual(0.05);
    // It stopped because the next reservation no longer fit, not before.
    expect(s.ledger.totals.usd + reserveOf(ANTHROPIC_BODY, 'anthropic')).toBeGreaterThan(0.05);
    await s.close();
  }, 30_000);

  test('when the vendor bills input the request did not carry, the overshoot is at most the excess over the reservations in flight', async () => {
    const ra = reserveOf(ANTHROPIC_BODY, 'anthropic');
    const cap = 3 * ra + 0.0001;
    const s = await twoSidecars(cap);
    billedInput = 20_000; // e.g. web search results the vendor added server-side
    let answered = 0;
    const replies = Array.from({ length: 6 }, () => post(s.a.url, '/v1/messages', ANTHROPIC_BODY).finally(() => answered++));
    await untilForwarded(3);
    // The three that no longer fit are refused while the first three are still held at the vendor.
    await waitFor('the three requests over the cap to be refused', () => answered === 3, 5_000);
    expect(forwarded).toBe(3);
    for (const r of held.splice(0)) r();
    await Promise.all(replies);
    const paid = readLedgerFile(s.ledger.path).lines.filter(isReply);
    expect(paid).toHaveLength(3);
    const spent = paid.reduce((t, l) => t + l.usd, 0);
    const excess = paid.reduce((t, l) => t + Math.max(0, l.usd - ra), 0);
    expect(spent).toBeGreaterThan(cap); // the cap was overshot…
    expect(spent - cap).toBeLessThanOrEqual(excess + 1e-9); // …by no more than the stated bound
    // and nothing goes out once the cap is passed.
    expect((await post(s.a.url, '/v1/messages', ANTHROPIC_BODY)).text).toContain("the run's USD budget is spent");
    await s.close();
  }, 30_000);
});
