/**
 * Subscription logins overnight, with the real `claude` and `codex` CLIs behind the auth sidecar
 * (and the real egress proxy), as in the pod:
 *  - claude's login file holds an expired token: the sidecar refreshes it at a local OAuth token
 *    endpoint (grant_type=refresh_token, through the egress proxy) and writes the new one back; the
 *    CLI only ever holds a placeholder;
 *  - claude hits its usage limit (Anthropic's unified rate-limit headers): only claude sleeps
 *    until the reset, while codex keeps working;
 *  - codex hits its own limit (usage_limit_reached): now every peer sleeps, so the run waits for
 *    the first to wake (within max_runtime_s) instead of stopping; claude wakes and works, then
 *    hits its limit again, and the run waits for codex, which wakes and works: both finished a
 *    handoff after their limit.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { claudeCredentials } from '../../../auth-proxy/oauth/formats.ts';
import { OAuthFileSource } from '../../../auth-proxy/oauth/oauth-file-source.ts';
import { tokenPostVia } from '../../../auth-proxy/oauth/token-post.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { Reservations } from '../../../auth-proxy/usage/budget.ts';
import { isLimited, readLedgerFile, UsageLedger } from '../../../auth-proxy/usage/usage-ledger.ts';
import { RESET_SLACK_MS } from '../../../src/loop/peer-sleep.ts';
import { readRunSummary } from '../../../src/report/run-summary.ts';
import { statusJson } from '../../../src/report/status-text.ts';
import type { ModelServerHandle } from '../../../src/model-server/server.ts';
import { type FakeVendor, startFakeVendor } from '../../unit/auth-proxy/fake-vendor.ts';
import { type Egress, type Sidecar, startEgress, startSidecar } from '../../unit/auth-proxy/sidecar-fixture.ts';
import { ensureTestUser, handoffCommitCommand, type LoopProject, makeLoopProject, runLoopAsUser, startServer, userDir } from './harness.ts';
import { requires } from '../../requirements.ts';

/** Skipped, with the reason printed, where claude or codex is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('claude', 'codex');

setDefaultTimeout(300_000);

let server: ModelServerHandle;
let tokens: FakeVendor;
let egress: Egress;
let anthropic: Sidecar;
let openai: Sidecar;
let project: LoopProject;
let ledgerPath: string;
let credentials: string;

const work = (peer: string, file: string) => ({ name: 'work', replies: [{ tool_calls: [{ write: { path: file, content: `${file}\n` } }] }, { tool_calls: [{ shell: handoffCommitCommand(peer, `Add ${file}`) }] }, { text: 'done' }] });
// CLAUDE_CODE_MAX_RETRIES=1: claude sends the refused request twice, then gives up with its API error.
const limited = (resets_in_s: number, times = 1) => ({ name: 'limited', replies: [{ fault: { kind: 'usage_limit', resets_in_s, times } }] });

beforeAll(async () => {
  if (!need.ok) return;
  ensureTestUser();
  // Timeline: claude's reset (30 s; it sleeps to reset + 10 s) comes long after codex's two turns
  // and long before codex's reset (60 s), so who runs when does not depend on how fast a turn is.
  server = startServer({
    version: 1,
    peers: {
      claude: { api: 'anthropic', ticks: [limited(30, 2), work('claude', 'c.txt'), limited(600, 2)] },
      codex: { api: 'responses', ticks: [work('codex', 'x1.txt'), limited(60), work('codex', 'x2.txt')] },
    },
  });
  const port = Number(new URL(server.url!).port);
  tokens = await startFakeVendor();
  egress = await startEgress(port, tokens.port);
  const dir = userDir('ledger');
  ledgerPath = join(dir, 'usage.jsonl');
  writeFileSync(ledgerPath, '');
  chmodSync(ledgerPath, 0o644);
  const ledger = new UsageLedger(ledgerPath);
  const reservations = new Reservations();
  // Claude Code's login file, its access token expired an hour ago.
  credentials = join(egress.dir, '.credentials.json');
  writeFileSync(credentials, `${JSON.stringify({ claudeAiOauth: { accessToken: 'sk-ant-oat01-expired', refreshToken: 'sk-ant-ort01-first', expiresAt: Date.now() - 3_600_000, scopes: ['user:inference'], subscriptionType: 'max' } }, null, 2)}\n`, { mode: 0o600 });
  tokens.refreshTable.set('sk-ant-ort01-first', ['sk-ant-oat01-fresh', 'sk-ant-ort01-second']);
  const oauth = new OAuthFileSource({ path: credentials, format: claudeCredentials, tokenUrl: `http://auth.peers.test:${tokens.port}/v1/oauth/token`, post: tokenPostVia({ via: { path: egress.socket } }, { allowHttpForTests: true }) });
  anthropic = await startSidecar({ egress, vendorPort: port, credentials: oauth, ledger, reservations });
  openai = await startSidecar({ egress, vendorPort: port, upstream: UPSTREAMS.openai, credentials: new ApiKeySource('authorization', 'sk-real-limits-openai-0'), ledger, reservations });
  project = makeLoopProject(server, {
    goals: [],
    urls: { claude: anthropic.url, codex: openai.url },
    claudeEnv: { CLAUDE_CODE_MAX_RETRIES: '1' },
    health: { idle_timeout_s: 30, absolute_max_runtime_s: 90, kill_grace_s: 2 },
    // Convergence is out of reach on purpose: the run ends at --max-ticks.
    goalsSettings: { convergence_n: 50 },
  });
}, 60_000);

afterAll(async () => {
  if (!need.ok) return;
  await anthropic?.close();
  await openai?.close();
  await egress?.close();
  await tokens?.close();
  await server?.stop();
  project?.cleanup();
});

type Tick = { tick: number; peer: string; classification: string; success: boolean; ts: string; duration_ms: number; sleeps_until: string | null; cause: string | null };

test.skipIf(!need.ok)('one peer sleeps until its reset while the other works; when both sleep the run waits; then both finish', async () => {
  const run = await runLoopAsUser(project, ['--max-ticks', '6', '--no-recon', '--no-codemap', '--usage-ledger', ledgerPath], { timeoutMs: 280_000 });
  const ticks = run.runs.filter((l) => l.event === 'tick') as unknown as Tick[];
  const why = `${run.stderr.slice(-4000)}\n${anthropic.logs.slice(-10).join('\n')}`;
  expect(run.stopReason, why).toBe('max_ticks');
  expect(ticks.map((t) => [t.peer, t.classification, t.success]), why).toEqual([
    ['claude', 'usage-limited', false],
    ['codex', 'success', true],
    ['codex', 'usage-limited', false],
    // every peer asleep: the run waits for claude
    ['claude', 'success', true],
    ['claude', 'usage-limited', false],
    // every peer asleep: the run waits for codex
    ['codex', 'success', true],
  ]);

  // The sidecar refreshed claude's expired login once, through the egress proxy, and kept the new
  // token in the login file (in its own format); the CLI never held it.
  expect(tokens.tokenCalls).toEqual([{ refresh_token: 'sk-ant-ort01-first' }]);
  expect(JSON.parse(readFileSync(credentials, 'utf8')).claudeAiOauth).toMatchObject({ accessToken: 'sk-ant-oat01-fresh', refreshToken: 'sk-ant-ort01-second' });
  expect(egress.audit.records.some((r) => r.decision === 'allow' && r.host === 'auth.peers.test')).toBe(true);
  expect(readFileSync(join(project.repo, '.peers', 'config.yaml'), 'utf8')).not.toContain('sk-ant-oat01');

  // Claude slept until Anthropic's reset (from the sidecar's record of the 429), and codex took
  // the turns in between; claude's next turn began after it woke.
  const limits = readLedgerFile(ledgerPath).lines.filter(isLimited);
  // The second of claude's two refused requests (the CLI retried once) set its sleep.
  const claudeLimit = limits.filter((l) => l.upstream === 'anthropic')[1]!;
  expect(claudeLimit).toMatchObject({ limit: 'usage', source: 'anthropic-ratelimit-unified-reset' });
  const [claudeLimited, , codexLimited, claudeBack, , codexBack] = ticks as [Tick, Tick, Tick, Tick, Tick, Tick];
  const started = (t: Tick) => Date.parse(t.ts) - t.duration_ms;
  // When each turn began and ended, seconds from the first: the margins the resets leave, in the CI log.
  const t0 = started(claudeLimited);
  console.log(`usage limits: ${ticks.map((t) => `${t.peer}:${t.classification} ${((started(t) - t0) / 1000).toFixed(1)}-${((Date.parse(t.ts) - t0) / 1000).toFixed(1)}s${t.sleeps_until ? ` (sleeps to ${((Date.parse(t.sleeps_until) - t0) / 1000).toFixed(1)}s)` : ''}`).join(', ')}`);
  expect(claudeLimited.sleeps_until).toBe(new Date(Date.parse(claudeLimit.reset_at!) + RESET_SLACK_MS).toISOString());
  expect(claudeLimited.cause).toContain('usage limit reached (resets ');
  expect(started(claudeBack)).toBeGreaterThanOrEqual(Date.parse(claudeLimited.sleeps_until!) - 1000);
  const codexLimit = limits.find((l) => l.upstream === 'openai')!;
  expect(codexLimit).toMatchObject({ limit: 'usage', source: 'error.resets_at' });
  expect(codexLimited.sleeps_until).toBe(new Date(Date.parse(codexLimit.reset_at!) + RESET_SLACK_MS).toISOString());
  expect(started(codexBack)).toBeGreaterThanOrEqual(Date.parse(codexLimited.sleeps_until!) - 1000);
  // Both asleep, twice: the loop said so and waited; the waits count as run time.
  expect(run.stderr.match(/every peer waits for its usage limit: claude until .*, codex until .*; waiting/g)).toHaveLength(2);
  const summary = readRunSummary(project.stateDir);
  const busy = ticks.reduce((n, t) => n + t.duration_ms, 0);
  expect(summary.state.budget.spent_runtime_ms).toBeGreaterThan(busy + 10_000);
  // No failure was charged; claude is asleep again (its second limit), and status says until when.
  expect(summary.state.budget.consecutive_failures).toBe(0);
  expect(Object.values(summary.state.peers).map((p) => p.state)).toEqual(['healthy', 'healthy']);
  const status = statusJson(summary);
  expect(status.waiting.map((w) => w.peer)).toEqual(['claude']);
  expect(status.peers.claude!.waiting_until).toBe(ticks[4]!.sleeps_until);
  expect(status.peers.codex!.waiting_until).toBeNull();
});
