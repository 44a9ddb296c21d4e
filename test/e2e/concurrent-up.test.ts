/**
 * `peers up` is atomic per project (real rootless podman, the compiled binary as an unprivileged
 * user): three `peers up` of one project started at the same moment leave exactly one running pod.
 * One creates it; the others wait for it (project-locks.ts) and then say it is already running.
 * Before, each saw no running loop, removed the containers the other had just created and
 * recreated its own: no pod was left, and `peers ls` said `fresh`. A `peers down` racing an `up`
 * waits too, then removes the whole pod: nothing is left half-made.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asUser, ensurePodmanReady, PEERS_BIN, podmanAsUser, TEST_USER, uid, userEnv, type Run, podKeyIn, podKeyOf } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

setDefaultTimeout(600_000);

let root: string;
let repo: string;
let env: Record<string, string>;

const peers = (args: string[], timeoutMs = 180_000) => asUser([PEERS_BIN, ...args], { cwd: repo, env, timeoutMs });

/** `peers ARGS` as the test user, started now: its stderr so far, and its outcome. */
function peersStarted(args: string[]): { stderrSoFar: () => string; done: Promise<Run> } {
  const all = userEnv(env);
  const child = Bun.spawn(['runuser', '-u', TEST_USER, '--', 'env', '-i', ...Object.entries(all).map(([k, v]) => `${k}=${v}`), PEERS_BIN, ...args], { cwd: repo, stdout: 'pipe', stderr: 'pipe' });
  let stderr = '';
  const readErr = (async () => {
    for await (const chunk of child.stderr) stderr += new TextDecoder().decode(chunk);
  })();
  const done = Promise.all([new Response(child.stdout).text(), readErr, child.exited]).then(([stdout, , code]) => ({ code, stdout, stderr }));
  return { stderrSoFar: () => stderr, done };
}

async function until(what: string, cond: () => boolean, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/** The project's pods and containers as podman lists them. */
function podsOf(key: string): { name: string; status: string }[] {
  const r = podmanAsUser(['pod', 'ps', '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout || '[]') as { Name: string; Status: string }[]).filter((p) => p.Name === `peers-${key}`).map((p) => ({ name: p.Name, status: p.Status }));
}
function containersOf(key: string): string[] {
  const r = podmanAsUser(['ps', '-a', '--format', '{{.Names}}']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((n) => n.startsWith(`peers-${key}-`));
}

const CONFIG = `peers:
  - name: alpha
    tool: custom
    argv: ["sh", "-c", "cat >/dev/null; sleep 600"]
  - name: beta
    tool: custom
    argv: ["sh", "-c", "cat >/dev/null; sleep 600"]
health:
  idle_timeout_s: 900
`;

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  root = mkdtempSync('/var/tmp/peers-e2e-concurrent-up-');
  chownSync(root, uid(), uid());
  env = { XDG_CONFIG_HOME: join(root, 'config'), XDG_STATE_HOME: join(root, 'state'), ANTHROPIC_API_KEY: 'sk-ant-unused', OPENAI_API_KEY: 'sk-unused' };
  const setup = asUser(['sh', '-ec', `cd ${root} && git init -q app && cd app && git config user.email t@e && git config user.name t && ${PEERS_BIN} init >/dev/null && git commit -q --allow-empty -m start`], { env });
  expect(setup.stderr).toBe('');
  repo = join(root, 'app');
  writeFileSync(join(repo, '.peers/config.yaml'), CONFIG);
  writeFileSync(join(repo, '.peers/goals.yaml'), 'goals: []\n');
  chownSync(join(repo, '.peers/config.yaml'), uid(), uid());
  chownSync(join(repo, '.peers/goals.yaml'), uid(), uid());
}, 20 * 60_000);

afterAll(() => {
  if (!need.ok) return;
  if (repo) peers(['down', '--grace', '2']);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!need.ok)('peers up is atomic per project', () => {
  test('three concurrent ups: exactly one pod, running; one created it, the others say it is already running', async () => {
    const runs = await Promise.all([0, 1, 2].map(() => peersStarted(['up']).done));
    for (const r of runs) expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    const created = runs.filter((r) => podKeyIn(r.stderr) !== undefined);
    expect(created.length).toBe(1);
    const key = podKeyOf(created[0]!.stderr);
    const others = runs.filter((r) => r !== created[0]);
    for (const r of others) expect(r.stdout).toContain(`is already running (pod peers-${key})`);
    // At least one of them really waited for the first (they were started together).
    expect(others.some((r) => r.stderr.includes('waiting for another peers up or down of this project'))).toBe(true);
    expect(podsOf(key)).toEqual([{ name: `peers-${key}`, status: 'Running' }]);
    const ls = (JSON.parse(peers(['ls', '--json']).stdout) as { projects: { path: string; status: string }[] }).projects;
    expect(ls.find((p) => p.path === repo)?.status).toBe('running');

    // The morning after, in a new shell with no API key exported, on a project of claude and codex:
    // `up` says the run goes on (it used to ask for the keys first: exit 2, "no API key").
    writeFileSync(join(repo, '.peers/config.yaml'), 'peers:\n  - name: claude\n    tool: claude\n    argv: ["claude", "-p"]\n  - name: codex\n    tool: codex\n    argv: ["codex", "exec", "-"]\n');
    const morning = asUser([PEERS_BIN, 'up'], { cwd: repo, env: { ...env, ANTHROPIC_API_KEY: '', OPENAI_API_KEY: '' } });
    writeFileSync(join(repo, '.peers/config.yaml'), CONFIG);
    expect(morning.code, morning.stderr).toBe(0);
    expect(morning.stdout).toContain(`is already running (pod peers-${key})`);
  });

  test('a down racing an up waits for it, then removes the whole pod', async () => {
    const first = peers(['down', '--grace', '2']);
    expect(first.code, first.stderr).toBe(0);
    const starting = peersStarted(['up']);
    // The down starts while the up is creating the pod.
    await until('the up to create its pod', () => starting.stderrSoFar().includes('creating pod peers-'));
    const down = await peersStarted(['down', '--grace', '2']).done;
    const up = await starting.done;
    // Without the lock the down removed the half-made pod under the up, whose next podman call failed.
    expect(up.code, up.stderr).toBe(0);
    expect(down.code, down.stderr).toBe(0);
    const key = podKeyOf(up.stderr);
    expect(podsOf(key)).toEqual([]);
    expect(containersOf(key)).toEqual([]);
  });
});
