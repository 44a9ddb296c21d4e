/**
 * `peers demo --pod`: the same demo inside the real rootless podman pod, run by the compiled
 * binary as the unprivileged test user (test/e2e/podman-user.ts prepares podman and the workspace image,
 * as test/setup.sh does in CI). The scripted model server joins the pod on its loopback, so the
 * peers' API traffic never leaves it; the run converges, and afterwards nothing of it is left:
 * no container, no temporary directory, no state directory, no registry entry. Run by root (the
 * README's first line on a fresh machine), the demo hands itself to that user and does the same.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoScenario } from '../../../apps/demo/demo-scenario.ts';
import { ZERO_USAGE } from '../../../src/model-server/scenario-schema.ts';
import { asUser, ensurePodmanReady, PEERS_BIN, podmanAsUser, TEST_USER, uid, userEnv } from '../../e2e/podman-user.ts';
import { requires } from '../../requirements.ts';

const DIST_PEERS = join(import.meta.dir, '../../../dist/peers');
const userHome = () => userEnv().HOME!;

const need = requires('root', 'podman');
let scratch: string;

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  scratch = mkdtempSync(join(tmpdir(), 'peers-demo-pod-'));
  chmodSync(scratch, 0o755);
  chownSync(scratch, uid(), uid());
});

afterAll(() => need.ok && rmSync(scratch, { recursive: true, force: true }));

function scenarioTokens(): number {
  const s = demoScenario();
  let n = 0;
  for (const p of Object.values(s.peers))
    for (const t of p.ticks)
      for (const r of t.replies) {
        if ('fault' in r) continue;
        const u = r.usage ?? s.default_usage ?? ZERO_USAGE;
        n += u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens;
      }
  return n;
}

test.skipIf(!need.ok)(`converges inside the sandbox pod, then leaves nothing behind: no container, state or registry entry${need.skipped}`, () => {
  const run = asUser([PEERS_BIN, 'demo', '--pod', '--json'], { timeoutMs: 280_000, env: { TMPDIR: scratch } });
  if (run.code !== 0) console.error(run.stderr.slice(-3000), run.stdout.slice(-2000));
  expect(run.code).toBe(0);
  const out = JSON.parse(run.stdout);
  expect(out).toMatchObject({ ok: true, launcher: 'pod', sandboxed: true, notice: null, stop_reason: 'complete', kept: false });
  expect(run.stderr).toContain('(network: none)');
  expect(out.ticks.map((t: { peer: string; result: string }) => `${t.peer}:${t.result}`)).toEqual(['claude:handoff', 'codex:handoff', 'claude:handoff', 'codex:handoff', 'claude:handoff']);
  expect(out.ticks.at(-1).gates).toEqual({ 'tests-pass': 'pass', 'self-review-on-handoff': 'pass' });
  expect(out.tokens).toEqual({ loop: scenarioTokens(), served: scenarioTokens() });
  expect(out.report).toContain('**Outcome:** complete');

  // `peers down` ran and the demo forgot the project: nothing of it is left anywhere.
  const key = String(out.state_dir).split('/').pop()!;
  const left = podmanAsUser(['ps', '--all', '--filter', `label=peers.project=${key}`, '--format', '{{.Names}}']);
  expect(left.code).toBe(0);
  expect(left.stdout.trim()).toBe('');
  // Nor its gate dependency cache: every demo is a new project, so a kept one piles up per demo.
  expect(podmanAsUser(['volume', 'ls', '--format', '{{.Name}}']).stdout.split('\n')).not.toContain(`peers-${key}-gates-cache`);
  expect(existsSync(out.state_dir)).toBe(false);
  expect(readdirSync(scratch)).toEqual([]);
  const registry = asUser(['sh', '-c', 'cat "${XDG_CONFIG_HOME:-$HOME/.config}/peers/projects.json" 2>/dev/null || true']).stdout;
  expect(registry).not.toContain(out.project);
}, 300_000); // a hang guard: about 2.5 min at load 15 on 2 cores, with the setup container and the model server in the pod

test.skipIf(!need.ok)(`as root, \`dist/peers demo --json --keep\` (the README line) hands the run to the unprivileged user, converges in the pod, and its follow-up commands work for root${need.skipped}`, () => {
  // Root's own HOME/XDG dirs are scratch: the hand-off must not need them, nor write to them.
  const rootHome = join(scratch, 'root-home');
  const userTmp = join(scratch, 'user-tmp');
  mkdirSync(userTmp, { mode: 0o755 });
  chownSync(userTmp, uid(), uid());
  const canary = `sk-ant-canary-${Math.random().toString(36).slice(2)}`;
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: rootHome, XDG_CONFIG_HOME: join(rootHome, '.config'), XDG_STATE_HOME: join(rootHome, '.local/state'), TMPDIR: userTmp, NO_COLOR: '1', ANTHROPIC_API_KEY: canary };
  const run = spawnSync(DIST_PEERS, ['demo', '--json', '--keep'], { cwd: '/', env, encoding: 'utf8', timeout: 280_000 });
  if (run.status !== 0) console.error(run.stderr.slice(-3000), run.stdout.slice(-2000));
  expect(run.status).toBe(0);
  const out = JSON.parse(run.stdout);
  try {
    expect(out).toMatchObject({ ok: true, launcher: 'pod', sandboxed: true, stop_reason: 'complete', run_as: TEST_USER, kept: true });
    expect(out.ticks.map((t: { peer: string; result: string }) => `${t.peer}:${t.result}`)).toEqual(['claude:handoff', 'codex:handoff', 'claude:handoff', 'codex:handoff', 'claude:handoff']);
    expect(out.report).toContain('**Outcome:** complete');
    // Progress streamed as it came (stderr under --json), from the user's pod.
    expect(run.stderr).toContain(`peers demo: running as root: the demo runs as the unprivileged user ${TEST_USER}, in its rootless sandbox pod`);
    expect(run.stderr).toContain('(network: none)');
    expect(run.stderr).toMatch(/^ {2}tick 5 +[0-9a-f]{8} +claude \(skeptic\): handoff/m);
    expect(String(out.project)).toStartWith(`${userTmp}/peers-demo-`);
    expect(String(out.state_dir)).toStartWith(`${userHome()}/`);

    // The pod is gone; root's config and state dirs were never created; root's key never reached the run.
    const key = String(out.state_dir).split('/').pop()!;
    expect(podmanAsUser(['ps', '--all', '--filter', `label=peers.project=${key}`, '--format', '{{.Names}}']).stdout.trim()).toBe('');
    expect(existsSync(rootHome)).toBe(false);
    expect(run.stdout + run.stderr).not.toContain(canary);

    // The kept project is root's again (git refuses someone else's repository), and the printed
    // follow-up commands name the user's state directory, so they work as root as printed.
    expect(statSync(out.project).uid).toBe(0);
    expect(out.next_steps[0]).toBe(`peers status ${out.project} --state-dir ${out.state_dir}`);
    const status = spawnSync(DIST_PEERS, [...String(out.next_steps[0]).split(' ').slice(1), '--json'], { cwd: '/', env, encoding: 'utf8', timeout: 30_000 });
    expect(status.status).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'stopped', stop_reason: 'complete', tick: 5, open_gates: [] });
    const log = spawnSync('git', ['-C', out.project, 'log', '--format=%s'], { encoding: 'utf8', env: { PATH: env.PATH, HOME: rootHome } });
    expect(log.status).toBe(0);
  } finally {
    // What --keep kept: the project, the user's state directory and registry entry.
    rmSync(out.state_dir, { recursive: true, force: true });
    const forget = `const fs=require('fs');const f=process.env.HOME+'/.config/peers/projects.json';const j=JSON.parse(fs.readFileSync(f,'utf8'));j.projects=j.projects.filter(p=>p.path!==${JSON.stringify(out.project)});fs.writeFileSync(f,JSON.stringify(j,null,2)+'\\n')`;
    asUser(['node', '-e', forget]);
  }
}, 300_000);
