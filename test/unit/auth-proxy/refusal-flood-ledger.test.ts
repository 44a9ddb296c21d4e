/**
 * Attack: once the budget is spent, a peer sends request after request. Each was refused (nothing
 * reached the vendor) but left a `refused` line on the ledger, fsync'd, so a flood grew the ledger
 * without bound: past its 256 MiB read cap every reader (the loop, `peers status`, a restarted
 * sidecar) fails closed and the run is held. A refusal whose model name is megabytes long did the
 * same in a handful of requests.
 *
 * The bound (SECURITY.md, "The ledger is the authority for spend"): the first refusal under a cap
 * is on the ledger at once (the run stops on it); the refusals after it under the same cap are
 * counted and written as one line per window (`requests`), and a ledger line names at most 256
 * characters of a model.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { isRefusal, readLedgerFile, UsageLedger } from '../../../auth-proxy/usage/usage-ledger.ts';
import { readLedgerSpend } from '../../../src/budget/ledger-spend.ts';
import { waitFor } from '../../wait-for.ts';
import { type Egress, startEgress, startSidecar, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

let vendor: StandInVendor;
let egress: Egress;
let reached = 0;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, _body, res) => {
    reached++;
    res.writeHead(500).end();
  });
  egress = await startEgress(vendor.port);
});
afterAll(async () => {
  await egress.close();
  await vendor.close();
});

const FLOOD = 300;

test('a flood of refused requests adds a few ledger lines, the first at once, and counts every refusal', async () => {
  const path = join(egress.dir, 'flood.jsonl');
  const ledger = new UsageLedger(path, { refusalWindowMs: 400 });
  // A one-token cap: every request is refused before it goes out.
  const s = await startSidecar({ egress, vendorPort: vendor.port, credentials: new ApiKeySource('x-api-key', 'sk-test-0000000000'), caps: { maxTokens: 1 }, ledger });
  try {
    const send = async (model: string) => {
      const r = await fetch(`${s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }) });
      await r.text();
      return r.status;
    };
    expect(await send('claude-sonnet-4-5')).toBe(402);
    // The run stops on the first refusal: it is on the ledger before its reply.
    expect(readLedgerSpend(path)!.refusals.max_tokens?.limit).toBe(1);
    const longName = 'claude-sonnet-4-5'.padEnd(4 * 1024 * 1024, 'x');
    for (let i = 1; i < FLOOD; i++) expect(await send(i % 50 === 0 ? longName : 'claude-sonnet-4-5')).toBe(402);
    const size = statSync(path).size;
    // Before: 300 lines (about 80 KB), and each 4 MiB model name a 4 MiB line (about 24 MiB).
    expect(size).toBeLessThan(8 * 1024);
    // The window's count is written when it closes: every refusal is counted, none lost.
    await waitFor('the window to close', () => {
      const lines = readLedgerFile(path).lines.filter(isRefusal);
      return lines.reduce((n, l) => n + (l.requests ?? 1), 0) === FLOOD;
    }, 5_000);
    const lines = readLedgerFile(path).lines.filter(isRefusal);
    expect(lines.length).toBeLessThanOrEqual(FLOOD / 10);
    expect(Math.max(...lines.map((l) => l.model.length))).toBeLessThanOrEqual(256);
    expect(reached).toBe(0);
    // `peers status` counts them all.
    expect(readLedgerSpend(path)!.refusals.max_tokens?.requests).toBe(FLOOD);
  } finally {
    await s.close();
  }
});

test('a refusal under a new cap is on the ledger at once, even inside the window of the old one', async () => {
  const path = join(egress.dir, 'recap.jsonl');
  const ledger = new UsageLedger(path, { refusalWindowMs: 60_000 });
  // The sidecar reads its caps for every request (the budget file can change them mid-run).
  const caps = { maxTokens: 1 };
  const s = await startSidecar({ egress, vendorPort: vendor.port, credentials: new ApiKeySource('x-api-key', 'sk-test-0000000000'), caps, ledger });
  try {
    const send = async () => (await fetch(`${s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [] }) })).status;
    expect(await send()).toBe(402);
    expect(await send()).toBe(402);
    caps.maxTokens = 2;
    expect(await send()).toBe(402);
    expect(readLedgerSpend(path)!.refusals.max_tokens?.limit).toBe(2);
  } finally {
    await s.close();
  }
});
