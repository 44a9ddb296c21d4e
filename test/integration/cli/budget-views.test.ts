/**
 * One bill, the same everywhere: after a run whose spend the auth sidecar metered, `peers info`,
 * `peers status` and `peers report` show the budget policy `peers up` resolved (the same mode and
 * reason the loop enforced) and the ledger's figures — live in the middle of a turn — with the
 * price table's date, the CLIs' own figures where they differ, replies cut short or priced by
 * fallback, refusals, and the plan-usage signals a subscription (OAuth, warn mode) sent.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PRICE_TABLE_DATE } from '../../../auth-proxy/usage/price-table.ts';
import { resolveBudgetPolicy } from '../../../src/budget/budget-policy.ts';
import { budgetPolicyPath, writeBudgetPolicy } from '../../../src/budget/budget-policy-file.ts';
import { hostUsageLedgerPath } from '../../../src/budget/ledger-path.ts';
import { loadConfigFile } from '../../../src/config/load.ts';
import { acquireRunLock } from '../../../src/state/run-lock.ts';
import { statePaths } from '../../../src/state/paths.ts';
import { loop, makeProject, REPO_ROOT, writeConfig, type Project } from '../loop/harness.ts';

let p: Project;
let ledger: string;

const replyLine = (o: Record<string, unknown>) =>
  `${JSON.stringify({ kind: 'reply', ts: '2026-12-04T01:00:00Z', upstream: 'anthropic', status: 200, stream: true, model: 'claude-opus-5-5', input_tokens: 100, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, total_tokens: 100, usd: 0.0004, priced: 'table', ...o })}\n`;

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = Bun.spawnSync([process.execPath, join(REPO_ROOT, 'src/main.ts'), ...args], { cwd: p.repo, env: { ...process.env, PEERS_STATE_DIR: p.stateDir, XDG_CONFIG_HOME: join(p.root, 'config') } });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

beforeAll(async () => {
  p = makeProject({ peers: { alice: 'spends-via-sidecar', bob: 'spends-via-sidecar' } });
  ledger = hostUsageLedgerPath(p.stateDir);
  mkdirSync(dirname(ledger), { recursive: true });
  const env = (tokens: number, usd: number) => ({ PEERS_TEST_LEDGER: ledger, PEERS_TEST_SPEND_TOKENS: String(tokens), PEERS_TEST_SPEND_USD: String(usd) });
  writeConfig(p, { peers: { alice: 'spends-via-sidecar', bob: 'spends-via-sidecar' }, budget: { max_usd: 10, max_usd_mode: 'auto' }, peerExtra: { alice: { tool: 'claude', env: env(1000, 0.5) }, bob: { tool: 'claude', env: env(2000, 0.25) } } });
  // Subscription logins (peers up --credentials oauth-file): auto → warn.
  const config = loadConfigFile(join(p.repo, '.peers', 'config.yaml'));
  writeBudgetPolicy(budgetPolicyPath(p.stateDir), resolveBudgetPolicy({ config, credentials: 'oauth-file', env: {} }));
  // What the sidecar recorded before this run: a reply cut short, one priced by fallback, the
  // subscription's utilization headers, a request refused (max_usd is only a warning here).
  writeFileSync(ledger, [
    replyLine({ cut_short: 'client-abort', estimated: ['output'], rate_limits: { 'anthropic-ratelimit-unified-5h-utilization': '0.61', 'anthropic-ratelimit-unified-status': 'allowed' } }),
    replyLine({ model: 'claude-opus-9', priced: 'fallback', price_note: 'model "claude-opus-9" is not in the price table of 2026-12-04', usd: 0.0015, rate_limits: { 'anthropic-ratelimit-unified-5h-utilization': '0.42' } }),
    `${JSON.stringify({ kind: 'refused', ts: '2026-12-04T01:05:00Z', upstream: 'anthropic', model: 'claude-opus-5-5', cap: 'max_usd', limit: 10, spent: 0.0019, in_flight: 0, needed: 12 })}\n`,
  ].join(''));
  const out = await loop(p, { maxTicks: 2, usageLedger: ledger, budgetPolicy: budgetPolicyPath(p.stateDir) });
  expect(out.reason).toBe('max_ticks');
});
afterAll(() => p?.cleanup());

describe('info, status and report show one budget and one bill', () => {
  test('the mode `peers up` decided is what info, status and the loop show', () => {
    const info = JSON.parse(cli(['info', '--json']).stdout);
    const status = JSON.parse(cli(['status', '--json', '--state-dir', p.stateDir]).stdout);
    expect(info.usd_cap).toMatchObject({ mode: 'warn', reason: 'auto: every peer uses a subscription login (OAuth)', max_usd: 10 });
    expect(info.usd_cap.source).toStartWith('decided by peers up at ');
    expect(status.budget.usd.mode).toStartWith('warn (auto: every peer uses a subscription login (OAuth); resolved by peers up at ');
    expect(status.bill.policy).toMatchObject({ mode: 'warn', max_usd: 10, credentials: 'oauth-file' });
  }, 60_000);

  test('status: the ledger\'s spend (with the CLIs\' own figures beside it), the price date, fallback, cut short, refusal, plan usage', () => {
    const status = JSON.parse(cli(['status', '--json', '--state-dir', p.stateDir]).stdout);
    const ledgerUsd = 0.0004 + 0.0015 + 0.5 + 0.25;
    expect(status.budget.usd.spent).toBeCloseTo(ledgerUsd, 8);
    expect(status.budget.tokens.spent).toBe(200 + 3000);
    expect(status.spend).toEqual({ usd: status.budget.usd.spent, tokens: 3200, rehearsal: false }); // ls/status head line: same figures
    expect(status.bill).toMatchObject({ source: 'ledger', price_table: PRICE_TABLE_DATE, cut_short: 1, cli_reported: { tokens: 30, usd: 0 } });
    expect(status.bill.per_peer.alice).toEqual({ tokens: 1000, usd: 0.5, cli_tokens: 15, cli_usd: 0 });
    expect(status.bill.fallback).toEqual([{ model: 'claude-opus-9', note: expect.stringContaining('not in the price table'), replies: 1, usd: 0.0015 }]);
    expect(status.bill.refusals.max_usd).toMatchObject({ limit: 10, needed: 12 });
    expect(status.bill.peak_utilization).toEqual([{ upstream: 'anthropic', signal: 'anthropic-ratelimit-unified-5h-utilization', percent: 61, ts: '2026-12-04T01:00:00Z' }]);
    const text = cli(['status', '--state-dir', p.stateDir]).stdout;
    expect(text).toContain(`auth sidecar's usage ledger, 4 replies; USD at list prices of ${PRICE_TABLE_DATE}`);
    expect(text).toContain('the CLIs themselves reported $0.0000, 30 tokens');
    expect(text).toContain('max_usd is not enforced (auto: every peer uses a subscription login (OAuth))');
    expect(text).toContain('plan usage (anthropic): anthropic-ratelimit-unified-5h-utilization peak 61%');
  }, 60_000);

  test('mid-turn: status shows what the turn under way has spent already', () => {
    const lock = acquireRunLock(statePaths(p.stateDir).lock); // a loop is running
    try {
      appendFileSync(ledger, replyLine({ total_tokens: 5000, input_tokens: 5000, usd: 1.25 }));
      const status = JSON.parse(cli(['status', '--json', '--state-dir', p.stateDir]).stdout);
      expect(status.budget.tokens.spent).toBe(3200 + 5000);
      expect(status.bill.this_turn).toEqual({ tokens: 5000, usd: 1.25 });
      expect(cli(['status', '--state-dir', p.stateDir]).stdout).toContain('of which the turn under way: $1.2500, 5000 tokens');
      expect(status.spend.tokens).toBe(8200); // the head line `peers ls` also shows
    } finally {
      lock.release();
    }
  }, 60_000);

  test('status shows the requests at the vendor now (unsettled reservations) and drops them once their replies are on the ledger', () => {
    const reserved = { kind: 'reserved', ts: '2026-12-04T01:10:00Z', upstream: 'anthropic', path: '/v1/messages', model: 'claude-sonnet-4-5', input_tokens: 1100, output_tokens: 20000, usd: 0.3033 };
    appendFileSync(ledger, `${JSON.stringify({ ...reserved, id: 'r-1' })}\n${JSON.stringify({ ...reserved, id: 'r-2', usd: 0.0167 })}\n`);
    const status = JSON.parse(cli(['status', '--json', '--state-dir', p.stateDir]).stdout);
    expect(status.bill.in_flight).toEqual({ requests: 2, usd: 0.32, tokens: 42200 });
    // Not spend yet: the spent figures are the replies' alone.
    expect(status.budget.usd.spent).toBeCloseTo(0.0004 + 0.0015 + 0.5 + 0.25 + 1.25, 8);
    expect(cli(['status', '--state-dir', p.stateDir]).stdout).toContain('at the vendor now: 2 requests, reserved at up to $0.3200, 42200 tokens (spent when their replies end)');
    // One reply ends (its line names the reservation), the other request is given back unsent.
    appendFileSync(ledger, `${replyLine({ reservation: 'r-1', usd: 0.01, total_tokens: 300, input_tokens: 300 })}${JSON.stringify({ kind: 'released', ts: '2026-12-04T01:10:05Z', id: 'r-2' })}\n`);
    const after = JSON.parse(cli(['status', '--json', '--state-dir', p.stateDir]).stdout);
    expect(after.bill.in_flight).toEqual({ requests: 0, usd: 0, tokens: 0 });
    expect(cli(['status', '--state-dir', p.stateDir]).stdout).not.toContain('at the vendor now');
  }, 60_000);

  test('report: a Spend section and the CLIs\' figures per peer next to the ledger\'s', () => {
    const md = cli(['report', '--state-dir', p.stateDir]).stdout;
    expect(md).toContain('## Spend');
    expect(md).toContain(`USD at list prices of ${PRICE_TABLE_DATE}`);
    expect(md).toContain('| peer | state | handed off / turns | last turn | tokens | USD | CLI-reported tokens | CLI-reported USD |');
    expect(md).toMatch(/\| alice \| healthy \| 1\/1 \| handed off \| 1000 \| 0\.5000 \| 15 \| 0\.0000 \|/);
    expect(md).toContain('priced conservatively: claude-opus-9');
    expect(md).toContain('1 reply was cut short');
    expect(md).toContain('a request was refused at 2026-12-04T01:05:00Z (max_usd $10)');
  }, 60_000);
});
