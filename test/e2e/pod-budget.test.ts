/**
 * The budget in the real pod (rootless podman, the compiled binary, the real claude and codex CLIs
 * in the workspace image), with the scripted model server as the vendors' stand-in behind the
 * auth sidecar — the way `peers demo` runs it (test/e2e/budget-pod-up.ts):
 *  - `max_usd_mode: auto` is resolved once by `peers up` (hard: the model server stands in for
 *    API-key billing) and the loop in the pod, whose environment has no key, enforces it: the run
 *    stops as `budget:max_usd` (before, the loop decided "warn" and never stopped);
 *  - after raising the USD cap and setting `max_tokens`, the resumed run stops as
 *    `budget:max_tokens`;
 *  - the spend in state.json is the sidecar's ledger, and never exceeds a cap.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { readLedgerFile, isRefusal, totalsOf } from '../../auth-proxy/usage/usage-ledger.ts';
import { budgetPolicyPath } from '../../src/budget/budget-policy-file.ts';
import { hostUsageLedgerPath } from '../../src/budget/ledger-path.ts';
import { demoConfig } from '../../apps/demo/demo-config.ts';
import { readStopReason } from '../../src/state/stop-reason.ts';
import { handoffCommitCommand } from '../integration/real-cli/harness.ts';
import { asUser, ensurePodmanReady, PEERS_BIN, podmanAsUser, uid, removeRunLeftovers } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

setDefaultTimeout(600_000);

const BUN = join(import.meta.dir, '../../node_modules/.bin/bun');
const DRIVER = join(import.meta.dir, 'budget-pod-up.ts');
let root: string;
let repo: string;
let serverDir: string;
let env: Record<string, string>;
let key = '';
let stateDir = '';

const peers = (args: string[], timeoutMs = 120_000) => asUser([PEERS_BIN, ...args], { cwd: repo, env, timeoutMs });
const configPath = () => join(repo, '.peers/config.yaml');

/** Claude and codex, each tick: write a file, commit it as a handoff, say done. */
function scenario(): string {
  const tick = (peer: string, i: number) => ({
    name: `${peer} ${i}`,
    replies: [
      { tool_calls: [{ write: { path: `${peer}-${i}.txt`, content: `${peer} ${i}\n` } }], usage: { input_tokens: 50_000, output_tokens: 2_000 } },
      { tool_calls: [{ shell: handoffCommitCommand(peer, `${peer} tick ${i}`) }], usage: { input_tokens: 52_000, output_tokens: 500 } },
      { text: 'Handed off.', usage: { input_tokens: 53_000, output_tokens: 50 } },
    ],
  });
  const ticks = (peer: string) => Array.from({ length: 8 }, (_, i) => tick(peer, i + 1));
  return stringify({ version: 1, peers: { claude: { api: 'anthropic', ticks: ticks('claude') }, codex: { api: 'responses', ticks: ticks('codex') } } });
}

function writeConfig(budget: Record<string, unknown>): void {
  const homes = { claude: '/work/.git/peers-demo-homes/claude', codex: '/work/.git/peers-demo-homes/codex' };
  // The CLIs talk to the auth sidecar's ports (not the model server directly): the sidecar meters and budgets.
  const config = demoConfig({ serverUrl: { claude: 'http://127.0.0.1:8080', codex: 'http://127.0.0.1:8081' }, bins: { claude: 'claude', codex: 'codex' }, homes });
  const doc = { ...config, budget: { max_ticks: 40, max_runtime_s: 1800, max_consecutive_failures: 5, ...budget }, goals: { ...config.goals, stuck_halt_after: 1000 } };
  writeFileSync(configPath(), stringify(doc));
  chownSync(configPath(), uid(), uid());
}

/** `peers up` in model-server mode; waits for the run to stop and returns its stop reason. */
function runUntilStopped(upArgs: string[] = []): string {
  const started = new Date();
  const r = asUser([BUN, DRIVER, repo, serverDir, ...upArgs], { cwd: repo, env, timeoutMs: 300_000 });
  expect(r.code, r.stderr).toBe(0);
  ({ project: key, stateDir } = JSON.parse(r.stdout.trim().split('\n').at(-1)!));
  const end = Date.now() + 8 * 60_000;
  for (;;) {
    const stop = readStopReason(join(stateDir, 'last-stop-reason.txt'));
    if (stop && new Date(stop.at) >= started) return stop.reason;
    if (Date.now() > end) throw new Error(`the run did not stop; loop log:\n${peers(['logs']).stdout.slice(-3000)}`);
    Bun.sleepSync(1000);
  }
}

const state = () => JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8'));
const ledger = () => readLedgerFile(hostUsageLedgerPath(stateDir)).lines;

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  root = mkdtempSync('/var/tmp/peers-e2e-budget-');
  chownSync(root, uid(), uid());
  env = { XDG_CONFIG_HOME: join(root, 'config'), XDG_STATE_HOME: join(root, 'state'), TMPDIR: join(root, 'tmp') };
  const setup = asUser(['sh', '-ec', `mkdir -p ${root}/tmp ${root}/model-server && cd ${root} && git init -q app && cd app && ${PEERS_BIN} init >/dev/null && git -c user.name=t -c user.email=t@e commit -q --allow-empty -m start && mkdir -p .git/peers-demo-homes/claude .git/peers-demo-homes/codex/.codex`], { env });
  expect(setup.code, setup.stderr).toBe(0);
  repo = join(root, 'app');
  serverDir = join(root, 'model-server');
  writeFileSync(join(serverDir, 'scenario.yaml'), scenario());
  // A gate that never passes: only the budget can end this run.
  writeFileSync(join(repo, '.peers/goals.yaml'), stringify({ goals: [{ id: 'never-green', type: 'hard', cmd: 'test -f never-there', pass_when: 'exit_code == 0' }] }));
  chownSync(join(repo, '.peers/goals.yaml'), uid(), uid());
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

describe.skipIf(!need.ok)('the budget in the pod', () => {
  test('max_usd_mode auto, resolved by `peers up`, stops the run in the pod as budget:max_usd', () => {
    writeConfig({ max_usd: 4, max_usd_mode: 'auto' });
    expect(runUntilStopped()).toBe('budget:max_usd');
    const policy = JSON.parse(readFileSync(budgetPolicyPath(stateDir), 'utf8'));
    expect(policy).toMatchObject({ max_usd: 4, max_usd_mode: 'hard', reason: 'auto: the scripted model server stands in for API-key billing', credentials: 'model-server' });
    const lines = ledger();
    const totals = totalsOf(lines);
    expect(totals.usd).toBeGreaterThan(0); // real replies were metered before the cap was reached…
    expect(totals.usd).toBeLessThanOrEqual(4); // …and the cap was never exceeded
    expect(lines.filter(isRefusal).some((l) => l.cap === 'max_usd' && l.limit === 4)).toBe(true);
    // The loop in the pod showed and enforced the mode `up` decided, and its spend is the ledger's.
    const s = state();
    expect(s.budget.usd_cap_mode).toStartWith('hard (auto: the scripted model server stands in for API-key billing');
    expect(s.budget.spent_usd).toBe(totals.usd);
    expect(s.budget.spent_tokens).toBe(totals.tokens);
    const status = JSON.parse(peers(['status', '--json']).stdout);
    expect(status.budget.usd.cap).toBe(4);
    expect(status.budget.usd.mode).toStartWith('hard (auto: the scripted model server');
    console.log(`e2e: stopped as budget:max_usd after ${s.tick} tick(s), $${totals.usd} spent in ${totals.replies} replies, refusal: ${JSON.stringify(lines.filter(isRefusal).at(-1))}`);
    // The sidecar says what it enforces.
    expect(podmanAsUser(['logs', `peers-${key}-auth`]).stderr).toContain('budget: max_usd $4 (hard: auto: the scripted model server stands in for API-key billing)');
  });

  test('with the USD cap raised and max_tokens set, the resumed run stops as budget:max_tokens', () => {
    const before = totalsOf(ledger()).tokens;
    const cap = before + 400_000;
    expect(peers(['down', '--grace', '5']).code).toBe(0);
    writeConfig({ max_usd: 500, max_usd_mode: 'auto', max_tokens: cap });
    // The raised cap is a changed .peers/: `up` shows the diff and refuses until it is accepted.
    const refused = asUser([BUN, DRIVER, repo, serverDir], { cwd: repo, env, timeoutMs: 300_000 });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(".peers/ changed since the last run's snapshot (.peers/config.yaml modified)");
    expect(refused.stderr).toContain('+  max_usd: 500');
    expect(runUntilStopped(['--accept-changes'])).toBe('budget:max_tokens');
    const lines = ledger();
    const totals = totalsOf(lines);
    expect(totals.tokens).toBeGreaterThan(before);
    expect(totals.tokens).toBeLessThanOrEqual(cap);
    expect(lines.filter(isRefusal).some((l) => l.cap === 'max_tokens' && l.limit === cap)).toBe(true);
    expect(state().budget.spent_tokens).toBe(totals.tokens);
    console.log(`e2e: stopped as budget:max_tokens at ${totals.tokens} of ${cap} tokens, refusal: ${JSON.stringify(lines.filter(isRefusal).at(-1))}`);
  });
});
