/**
 * Attacks on the bill through an OpenAI project's tier (auth-proxy/usage/project-tier.ts): a request
 * naming no service tier is billed at the tier its API project is set to, which only the replies
 * report, so the sidecar reserves such requests at the dearest tier the project's replies reported.
 *
 * - What the replies taught lived in one sidecar's memory: a sidecar started on the same ledger
 *   (`peers up` resuming a run, a dead sidecar repaired) reserved at 1x again, and four requests
 *   at once, billed at priority's 2.5x, passed the cap by two thirds.
 * - A tier the price table does not know was never learned: reserved at 1x for the whole run, its
 *   replies metered at 6x; eight requests at once spent 2.7 times the cap.
 *
 * The stand-in vendor plays a project whose default tier the test sets, reporting it in each reply
 * as OpenAI does, and a reasoning model that spends its whole output allowance.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { requestFactsOf, worstCase } from '../../../auth-proxy/usage/request-cost.ts';
import { isReply, readLedgerFile, UsageLedger } from '../../../auth-proxy/usage/usage-ledger.ts';
import { startEgress, startSidecar, startStandInVendor, type StandInVendor } from './sidecar-fixture.ts';

let vendor: StandInVendor;
let projectDefault = 'priority';
const dirs: string[] = [];
beforeAll(async () => {
  vendor = await startStandInVendor((_req, body, res) => {
    const doc = JSON.parse(body.toString()) as { model: string; service_tier?: string; max_output_tokens: number };
    const tier = doc.service_tier && doc.service_tier !== 'auto' ? doc.service_tier : projectDefault;
    // Held a moment, so requests sent at once are all in flight together.
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'response', model: doc.model, service_tier: tier, output: [], usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: doc.max_output_tokens } }));
    }, 150);
  });
});
afterAll(() => {
  vendor.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const LARGE = { model: 'gpt-5.4', input: 'hi', max_output_tokens: 50_000 };
/** What the sidecar reserves for LARGE at the standard rate. */
const STANDARD = worstCase(requestFactsOf(LARGE, Buffer.byteLength(JSON.stringify(LARGE)), 'openai'), 'openai').usd;

function ledgerPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'peers-tier-'));
  dirs.push(dir);
  return join(dir, 'usage.jsonl');
}

async function openaiSidecar(ledger: string, maxUsd: number) {
  const egress = await startEgress(vendor.port);
  const s = await startSidecar({ egress, vendorPort: vendor.port, upstream: UPSTREAMS.openai, credentials: new ApiKeySource('authorization', 'sk-test-0000000000'), caps: { maxUsd }, ledger: new UsageLedger(ledger) });
  const send = async () => (await fetch(`${s.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(LARGE) })).status;
  return { send, close: async () => void (await s.close(), await egress.close()) };
}

test('a sidecar started on the ledger of one that learned the project bills at priority reserves at priority: four requests at once stay under the cap', async () => {
  projectDefault = 'priority';
  const ledger = ledgerPath();
  // Room for one reply at priority, then four more at the standard rate, not at priority's.
  const cap = 6 * STANDARD;
  const first = await openaiSidecar(ledger, cap);
  expect(await first.send()).toBe(200);
  await first.close();
  expect(readLedgerFile(ledger).lines.filter(isReply).map((l) => [l.service_tier, l.tier_from_project])).toEqual([['priority', true]]);

  const second = await openaiSidecar(ledger, cap);
  const statuses = await Promise.all([1, 2, 3, 4].map(() => second.send()));
  await second.close();
  expect(new UsageLedger(ledger).totals.usd).toBeLessThanOrEqual(cap);
  // At priority's reservation one more fits beside the first reply: the rest are refused for the cap.
  expect(statuses.filter((s) => s === 200)).toHaveLength(1);
});

test('a reply in a tier the price table does not know teaches it: no-tier requests are reserved at the 6x it is metered at, and the cap holds', async () => {
  projectDefault = 'scale';
  const ledger = ledgerPath();
  const cap = 20 * STANDARD;
  const sidecar = await openaiSidecar(ledger, cap);
  expect(await sidecar.send()).toBe(200);
  const statuses = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(() => sidecar.send()));
  await sidecar.close();
  expect(new UsageLedger(ledger).totals.usd).toBeLessThanOrEqual(cap);
  expect(statuses.filter((s) => s === 200)).toHaveLength(2);
  // Each reply is metered at that 6x and says why.
  const replies = readLedgerFile(ledger).lines.filter(isReply);
  expect(replies.every((l) => l.priced === 'fallback' && /service tier "scale", which peers has no price for/.test(l.price_note ?? ''))).toBe(true);
});

test('a request that names its own tier teaches nothing of the project, on the ledger either', async () => {
  projectDefault = 'default';
  const ledger = ledgerPath();
  const egress = await startEgress(vendor.port);
  const s = await startSidecar({ egress, vendorPort: vendor.port, upstream: UPSTREAMS.openai, credentials: new ApiKeySource('authorization', 'sk-test-0000000000'), caps: { maxUsd: 100 }, ledger: new UsageLedger(ledger) });
  const status = (await fetch(`${s.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...LARGE, service_tier: 'priority' }) })).status;
  await s.close();
  await egress.close();
  expect(status).toBe(200);
  expect(readLedgerFile(ledger).lines.filter(isReply).map((l) => [l.service_tier, l.tier_from_project])).toEqual([['priority', false]]);
  expect(new UsageLedger(ledger).projectTiers.get('openai')).toBeUndefined();
  // A line written before the flag existed is taken as the project's: reserving dearer is the safe side.
  const old = readLedgerFile(ledger).lines.filter(isReply).map(({ tier_from_project: _, ...l }) => l);
  const older = ledgerPath();
  await Bun.write(older, old.map((l) => JSON.stringify(l)).join('\n') + '\n');
  expect(new UsageLedger(older).projectTiers.get('openai')).toBe('priority');
});
