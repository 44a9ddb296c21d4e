/**
 * The loop as it runs in the pod: the budget policy `peers up` resolved decides the caps and
 * max_usd_mode (never the loop's own key-less environment), and the auth sidecar's usage ledger
 * is the authority for spend. The fake peers stand in for a CLI behind the sidecar: they append
 * the ledger line the sidecar would write (or the refusal it would record) and print figures of
 * their own that disagree, as codex's "$0" did.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveBudgetPolicy } from '../../../src/budget/budget-policy.ts';
import { writeBudgetPolicy } from '../../../src/budget/budget-policy-file.ts';
import { loadConfigFile } from '../../../src/config/load.ts';
import { loop, makeProject, type ProjectSpec, spawnLoopCli, state, stopReason, ticks, writeConfig, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

const ledgerOf = (p: Project) => join(p.root, 'usage.jsonl');

/** A project whose peers' settings name files in its own directory. */
function project(spec: ProjectSpec, extra: (p: Project) => ProjectSpec['peerExtra'] = () => ({})): Project {
  const made = makeProject(spec);
  writeConfig(made, { ...spec, peerExtra: extra(made) });
  return made;
}
const spender = (p: Project, tokens: number, usd: number) => ({ tool: 'claude', env: { PEERS_TEST_LEDGER: ledgerOf(p), PEERS_TEST_SPEND_TOKENS: String(tokens), PEERS_TEST_SPEND_USD: String(usd) } });
const refuser = (p: Project, cap: string, limit: number, spent: number) => ({
  tool: 'claude',
  env: { PEERS_TEST_LEDGER: ledgerOf(p), PEERS_TEST_REFUSED_CAP: cap, PEERS_TEST_REFUSED_LIMIT: String(limit), PEERS_TEST_REFUSED_SPENT: String(spent), PEERS_TEST_REFUSED_NEEDED: '0.9' },
});

/** The policy `peers up` would write for this project (API keys: auto → hard). */
function policy(p: Project, over: { maxUsd?: number; maxTokens?: number; credentials?: 'api-key' | 'oauth-file' } = {}): string {
  const config = loadConfigFile(join(p.repo, '.peers', 'config.yaml'));
  const path = join(p.root, 'budget.json');
  writeBudgetPolicy(path, resolveBudgetPolicy({ config, credentials: over.credentials ?? 'api-key', env: {}, maxUsd: over.maxUsd, maxTokens: over.maxTokens }));
  return path;
}

const line = (tokens: number, usd: number) => `${JSON.stringify({ kind: 'reply', ts: 'x', upstream: 'openai', status: 200, stream: true, model: 'gpt-5.5', input_tokens: tokens, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, total_tokens: tokens, usd, priced: 'table' })}\n`;

describe('the ledger is the authority for spend', () => {
  test('state.json spend equals the ledger; each tick carries the ledger figure and the CLI\'s own for comparison', async () => {
    const proj = (p = project({ peers: { alice: 'spends-via-sidecar', bob: 'spends-via-sidecar' } }, (x) => ({ alice: spender(x, 1200, 0.25), bob: spender(x, 800, 0.125) })));
    // Spend from an earlier run (or a turn killed with its loop) is part of the run's spend.
    writeFileSync(ledgerOf(proj), line(5000, 1));
    const out = await loop(proj, { maxTicks: 3, usageLedger: ledgerOf(proj), budgetPolicy: policy(proj) });
    expect(out.reason).toBe('max_ticks');
    const t = ticks(proj);
    expect(t.map((x) => [x.peer, x.tokens_this_tick, x.usd_this_tick, x.metered_by, x.cli_tokens, x.cli_usd])).toEqual([
      ['alice', 1200, 0.25, 'ledger', 15, 0],
      ['bob', 800, 0.125, 'ledger', 15, 0],
      ['alice', 1200, 0.25, 'ledger', 15, 0],
    ]);
    const s = state(proj);
    expect(s.budget.spent_tokens).toBe(5000 + 3200);
    expect(s.budget.spent_usd).toBeCloseTo(1.625, 8);
    expect([s.peers.alice!.tokens, s.peers.bob!.tokens]).toEqual([2400, 800]);
    expect(t.at(-1)!.spent_usd_total).toBeCloseTo(1.625, 8);
  });
});

describe('the policy from `peers up` decides the caps and the mode, not the loop\'s environment', () => {
  test('max_usd_mode auto resolved to hard by `up` stops the run as budget:max_usd, though the loop has no key', async () => {
    p = project({ peers: { alice: 'spends-via-sidecar', bob: 'spends-via-sidecar' }, budget: { max_usd: 0.5, max_usd_mode: 'auto' } }, (x) => ({ alice: spender(x, 100, 0.3), bob: spender(x, 100, 0.3) }));
    // Without the policy, the key-less environment decides "warn" and the run goes on past the cap…
    const warned = await loop(p, { maxTicks: 3, usageLedger: ledgerOf(p), env: {} });
    expect(warned.reason).toBe('max_ticks');
    expect(state(p).budget.usd_cap_mode).toStartWith('warn');
    // …with it, the loop enforces what `up` decided.
    const out = await loop(p, { maxTicks: 3, usageLedger: ledgerOf(p), budgetPolicy: policy(p), env: {} });
    expect(out.reason).toBe('budget:max_usd');
    expect(state(p).budget.usd_cap_mode).toStartWith('hard (auto: alice, bob bill through an API key; resolved by peers up at ');
  });

  test('a request the sidecar refused for the USD cap stops the run as budget:max_usd before the spend reaches it', async () => {
    p = project({ peers: { alice: 'refused-by-sidecar', bob: 'refused-by-sidecar' }, budget: { max_usd: 5, max_usd_mode: 'hard' } }, (x) => ({ alice: refuser(x, 'max_usd', 5, 4.5), bob: refuser(x, 'max_usd', 5, 4.5) }));
    writeFileSync(ledgerOf(p), line(1000, 4.5));
    const out = await loop(p, { maxTicks: 10, usageLedger: ledgerOf(p), budgetPolicy: policy(p) });
    expect(out.reason).toBe('budget:max_usd');
    expect(ticks(p)).toHaveLength(1); // not five failed turns until max_consecutive_failures
    expect(state(p).budget.spent_usd).toBe(4.5);
    // Raising the cap is the way on: an old refusal under a lower cap no longer stops the run.
    const raised = await loop(p, { maxTicks: 1, usageLedger: ledgerOf(p), budgetPolicy: policy(p, { maxUsd: 20 }) });
    expect(raised.reason).toBe('max_ticks');
  });

  test('a refusal for the token cap stops the run as budget:max_tokens', async () => {
    p = project({ peers: { alice: 'refused-by-sidecar', bob: 'refused-by-sidecar' }, budget: { max_tokens: 50_000 } }, (x) => ({ alice: refuser(x, 'max_tokens', 50_000, 40_000), bob: refuser(x, 'max_tokens', 50_000, 40_000) }));
    const out = await loop(p, { maxTicks: 10, usageLedger: ledgerOf(p), budgetPolicy: policy(p) });
    expect(out.reason).toBe('budget:max_tokens');
    expect(ticks(p)).toHaveLength(1);
  });
});

describe('a damaged ledger or policy holds the run', () => {
  test('at start: exit 2 naming the file and line; nothing runs', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    writeFileSync(ledgerOf(p), `${line(10, 0.1)}${line(10, 0.1).replace('"usd":0.1', '"usd":"0.1"')}`);
    const cli = spawnLoopCli(p, ['--max-ticks', '2', '--usage-ledger', ledgerOf(p), '--budget-policy', policy(p)]);
    expect(await cli.exited).toBe(2);
    const err = await new Response(cli.stderr).text();
    expect(err).toContain(`usage ledger: ${ledgerOf(p)}:2: usd:`);
    expect(ticks(p)).toHaveLength(0);
  }, 30_000);

  test('mid-run: the run stops as budget:ledger-unreadable instead of running unmetered', async () => {
    // bob's "sidecar" writes a line whose token count is a string.
    p = project({ peers: { alice: 'spends-via-sidecar', bob: 'spends-via-sidecar' } }, (x) => ({ alice: spender(x, 10, 0.01), bob: { ...spender(x, 10, 0.01), env: { ...spender(x, 10, 0.01).env, PEERS_TEST_SPEND_TOKENS: '"lots"' } } }));
    const out = await loop(p, { maxTicks: 5, usageLedger: ledgerOf(p), budgetPolicy: policy(p) });
    expect(out.reason).toBe('budget:ledger-unreadable');
    expect(stopReason(p)).toBe('budget:ledger-unreadable');
    expect(ticks(p)).toHaveLength(1);
  });

  test('a missing or invalid budget policy is bad input (exit 2), never "no cap"', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    const missing = spawnLoopCli(p, ['--max-ticks', '1', '--budget-policy', join(p.root, 'nope.json')]);
    expect(await missing.exited).toBe(2);
    expect(await new Response(missing.stderr).text()).toContain('the budget policy is missing');
    const bad = join(p.root, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...JSON.parse(readFileSync(policy(p), 'utf8')), max_usd: '50' }));
    const invalid = spawnLoopCli(p, ['--max-ticks', '1', '--budget-policy', bad]);
    expect(await invalid.exited).toBe(2);
    expect(await new Response(invalid.stderr).text()).toContain('the budget policy is invalid: max_usd');
    expect(ticks(p)).toHaveLength(0);
  }, 30_000);
});
