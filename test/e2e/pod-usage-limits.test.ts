/**
 * Usage limits in the real pod (rootless podman, the compiled binary, the real claude and codex
 * CLIs in the workspace image), with the scripted model server as the vendors' stand-in behind the
 * auth sidecar (test/e2e/budget-pod-up.ts, as `peers demo` runs it). The model server answers as a
 * subscription past its limit does (Anthropic's unified rate-limit headers, Codex's
 * usage_limit_reached); the sidecar in the pod records each limit in the ledger, and the loop in
 * the pod reads it from there:
 *  - claude is limited first and sleeps until its reset while codex works;
 *  - codex is limited too: every peer sleeps, the run waits for claude;
 *  - claude works, is limited again: the run waits for codex, which works;
 *  - `peers status --json` said who waits until when, and no failure was charged.
 * The resets are far apart (30 s and 60 s; each peer sleeps 10 s past its reset, src/loop/peer-sleep.ts),
 * as in test/integration/real-cli/usage-limits.test.ts: claude wakes about 30 s after codex's two
 * turns would have ended and codex about 30 s after claude's two, so who runs when does not depend
 * on how fast a turn is (a pod turn takes a few seconds).
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { isLimited, readLedgerFile } from '../../auth-proxy/usage/usage-ledger.ts';
import { hostUsageLedgerPath } from '../../src/budget/ledger-path.ts';
import { demoConfig } from '../../apps/demo/demo-config.ts';
import { readStopReason } from '../../src/state/stop-reason.ts';
import { handoffCommitCommand } from '../integration/real-cli/harness.ts';
import { asUser, ensurePodmanReady, PEERS_BIN, podmanAsUser, uid, removeRunLeftovers } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

setDefaultTimeout(900_000);

const BUN = join(import.meta.dir, '../../node_modules/.bin/bun');
const DRIVER = join(import.meta.dir, 'budget-pod-up.ts');
let root: string;
let repo: string;
let serverDir: string;
let env: Record<string, string>;
let key = '';
let stateDir = '';

const peers = (args: string[], timeoutMs = 120_000) => asUser([PEERS_BIN, ...args], { cwd: repo, env, timeoutMs });

const work = (peer: string, file: string) => ({ name: `${peer} ${file}`, replies: [{ tool_calls: [{ write: { path: file, content: `${file}\n` } }] }, { tool_calls: [{ shell: handoffCommitCommand(peer, `Add ${file}`) }] }, { text: 'Handed off.' }] });
// claude is run with CLAUDE_CODE_MAX_RETRIES=1: it sends a refused request twice, then gives up.
const limited = (resets_in_s: number, times: number) => ({ name: 'limited', replies: [{ fault: { kind: 'usage_limit', resets_in_s, times } }] });

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  root = mkdtempSync('/var/tmp/peers-e2e-limits-');
  chownSync(root, uid(), uid());
  env = { XDG_CONFIG_HOME: join(root, 'config'), XDG_STATE_HOME: join(root, 'state'), TMPDIR: join(root, 'tmp') };
  const setup = asUser(['sh', '-ec', `mkdir -p ${root}/tmp ${root}/model-server && cd ${root} && git init -q app && cd app && ${PEERS_BIN} init >/dev/null && git -c user.name=t -c user.email=t@e commit -q --allow-empty -m start && mkdir -p .git/peers-demo-homes/claude .git/peers-demo-homes/codex/.codex`], { env });
  expect(setup.code, setup.stderr).toBe(0);
  repo = join(root, 'app');
  serverDir = join(root, 'model-server');
  writeFileSync(join(serverDir, 'scenario.yaml'), stringify({ version: 1, peers: { claude: { api: 'anthropic', ticks: [limited(30, 2), work('claude', 'c.txt'), limited(3600, 2)] }, codex: { api: 'responses', ticks: [work('codex', 'x1.txt'), limited(60, 1), work('codex', 'x2.txt')] } } }));
  const homes = { claude: '/work/.git/peers-demo-homes/claude', codex: '/work/.git/peers-demo-homes/codex' };
  const config = demoConfig({ serverUrl: { claude: 'http://127.0.0.1:8080', codex: 'http://127.0.0.1:8081' }, bins: { claude: 'claude', codex: 'codex' }, homes });
  config.peers[0]!.env = { ...config.peers[0]!.env, CLAUDE_CODE_MAX_RETRIES: '1' };
  // The homes under .git/ are not in the run clone (the demo makes them there itself): codex uses
  // the workspace's own HOME, whose ~/.codex it creates.
  const { HOME: _h, CODEX_HOME: _c, ...codexEnv } = config.peers[1]!.env as Record<string, string>;
  config.peers[1]!.env = codexEnv;
  // A gate that never passes and convergence out of reach: only max_ticks ends this run.
  const doc = { ...config, budget: { max_ticks: 6, max_runtime_s: 1800, max_consecutive_failures: 5, max_usd: 50, max_usd_mode: 'hard' }, goals: { ...config.goals, convergence_n: 50, stuck_halt_after: 1000 } };
  writeFileSync(join(repo, '.peers/config.yaml'), stringify(doc));
  writeFileSync(join(repo, '.peers/goals.yaml'), stringify({ goals: [{ id: 'never-green', type: 'hard', cmd: 'test -f never-there', pass_when: 'exit_code == 0' }] }));
  for (const f of ['config.yaml', 'goals.yaml']) chownSync(join(repo, '.peers', f), uid(), uid());
  mkdirSync(join(root, 'state'), { recursive: true });
  chownSync(join(root, 'state'), uid(), uid());
}, 20 * 60_000);

afterAll(() => {
  if (!need.ok) return;
  if (key) {
    peers(['down', '--grace', '5']);
    removeRunLeftovers(key);
  }
  if (root) rmSync(root, { recursive: true, force: true });
});

type Tick = { peer: string; classification: string; success: boolean; ts: string; duration_ms: number; sleeps_until: string | null; cause: string | null; stderr_tail: string; stdout_tail: string };

test.skipIf(!need.ok)('in the pod, a limited peer sleeps until its reset while the other works; when both sleep the run waits; both finish', () => {
  const started = new Date();
  const r = asUser([BUN, DRIVER, repo, serverDir], { cwd: repo, env, timeoutMs: 300_000 });
  expect(r.code, r.stderr).toBe(0);
  ({ project: key, stateDir } = JSON.parse(r.stdout.trim().split('\n').at(-1)!));
  // While the run goes on, `peers status --json` says who waits until when.
  const sawWaiting = new Set<string>();
  const end = Date.now() + 12 * 60_000;
  let stop: { reason: string; at: string } | undefined;
  for (;;) {
    stop = readStopReason(join(stateDir, 'last-stop-reason.txt'));
    if (stop && new Date(stop.at) >= started) break;
    if (Date.now() > end) throw new Error(`the run did not stop; loop log:\n${peers(['logs']).stdout.slice(-3000)}`);
    const status = peers(['status', '--json']);
    if (status.code === 0) for (const w of (JSON.parse(status.stdout).waiting ?? []) as { peer: string }[]) sawWaiting.add(w.peer);
    Bun.sleepSync(2000);
  }
  const log = peers(['logs']).stdout;
  expect(stop.reason, log.slice(-3000)).toBe('budget:max_ticks');
  const ticks = readFileSync(join(stateDir, 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.event === 'tick') as Tick[];
  const why = `${log.slice(-2000)}\n${ticks.map((t) => `${t.peer} ${t.classification}: ${t.cause}\n${t.stderr_tail}\n${t.stdout_tail}`).join('\n')}`;
  expect(ticks.map((t) => [t.peer, t.classification, t.success]), why).toEqual([
    ['claude', 'usage-limited', false],
    ['codex', 'success', true],
    ['codex', 'usage-limited', false],
    ['claude', 'success', true],
    ['claude', 'usage-limited', false],
    ['codex', 'success', true],
  ]);
  // The sidecar in the pod recorded each limit with the vendor's reset; each peer came back after it.
  const limits = readLedgerFile(hostUsageLedgerPath(stateDir)).lines.filter(isLimited);
  expect(limits.map((l) => [l.upstream, l.limit, l.source])).toEqual([
    ['anthropic', 'usage', 'anthropic-ratelimit-unified-reset'],
    ['anthropic', 'usage', 'anthropic-ratelimit-unified-reset'],
    ['openai', 'usage', 'error.resets_at'],
    ['anthropic', 'usage', 'anthropic-ratelimit-unified-reset'],
    ['anthropic', 'usage', 'anthropic-ratelimit-unified-reset'],
  ]);
  const startOf = (t: Tick) => Date.parse(t.ts) - t.duration_ms;
  expect(startOf(ticks[3]!)).toBeGreaterThanOrEqual(Date.parse(ticks[0]!.sleeps_until!) - 1000);
  expect(startOf(ticks[5]!)).toBeGreaterThanOrEqual(Date.parse(ticks[2]!.sleeps_until!) - 1000);
  // The loop said so in its console (the loop container's log).
  const console_ = podmanAsUser(['logs', `peers-${key}-loop`]);
  expect(`${console_.stdout}${console_.stderr}`.match(/every peer waits for its usage limit: claude until .*, codex until .*; waiting/g)?.length).toBe(2);
  expect([...sawWaiting].sort()).toEqual(['claude', 'codex']);
  const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8'));
  expect(state.budget.consecutive_failures).toBe(0);
  // When each turn began and ended, seconds from the first: the margins the resets leave, in the CI log.
  const t0 = startOf(ticks[0]!);
  console.log(`e2e: usage limits in the pod: ${ticks.map((t) => `${t.peer}:${t.classification} ${((startOf(t) - t0) / 1000).toFixed(1)}-${((Date.parse(t.ts) - t0) / 1000).toFixed(1)}s${t.sleeps_until ? ` (sleeps to ${((Date.parse(t.sleeps_until) - t0) / 1000).toFixed(1)}s)` : ''}`).join(', ')}; ran ${Math.round(state.budget.spent_runtime_ms / 1000)}s`);
});
