/**
 * A new user presses Ctrl-C while `peers up` makes the pod (the terminal sends SIGINT to peers and
 * to its podman children). Before, the user read podman's own words (`podman start …-egress failed
 * (exit 1): time="…" level=error msg="User-selected graph driver …"`), as if the machine were
 * broken. Now: exit 130, "interrupted (Ctrl-C) … it was removed, nothing is running", no pod left,
 * and the hint's `peers up` command, pasted as printed, starts the run (a rehearsal: the command
 * keeps `--rehearse`; plain `peers up` would be a real run and asked for API keys). Ctrl-C during
 * `up --fresh` still says where the archived run (and its results branch) went.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { asUser, ensurePodmanReady, PEERS_BIN, podmanAsUser, removeRunLeftovers, TEST_USER, uid, userEnv, podKeyIn } from './podman-user.ts';
import { CLAMP_LIB_FILES } from '../fixtures/projects/clamp-lib.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

setDefaultTimeout(300_000);

const SCENARIO = resolve(import.meta.dir, '../fixtures/scenarios/rehearsal.yaml');
let root = '';
let repo = '';
let key = '';
let env: Record<string, string> = {};

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  root = mkdtempSync('/var/tmp/peers-e2e-interrupted-');
  repo = join(root, 'lib');
  mkdirSync(join(repo, 'test'), { recursive: true });
  for (const [file, text] of Object.entries(CLAMP_LIB_FILES)) writeFileSync(join(repo, file), text);
  writeFileSync(join(root, 'scenario.yaml'), readFileSync(SCENARIO, 'utf8'));
  spawnSync('chown', ['-R', `${uid()}:${uid()}`, root]);
  env = { XDG_CONFIG_HOME: join(root, 'config'), XDG_STATE_HOME: join(root, 'state'), NO_COLOR: '1', GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };
  for (const argv of [['git', 'init', '-q', '-b', 'main'], ['git', 'add', '-A'], ['git', 'commit', '-q', '-m', 'sum()'], [PEERS_BIN, 'init']]) {
    const r = asUser(argv, { cwd: repo, env });
    if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  }
}, 20 * 60_000);

afterAll(() => {
  if (!need.ok) return;
  if (key) removeRunLeftovers(key);
  if (root) rmSync(root, { recursive: true, force: true });
});

/** `peers up` as the user in its own process group (as a terminal runs it), Ctrl-C once it starts the pod's containers. */
function upThenCtrlC(...extra: string[]): Promise<{ code: number | null; stderr: string }> {
  const e = userEnv(env);
  const child = spawn('runuser', ['-u', TEST_USER, '--', 'env', '-i', ...Object.entries(e).map(([k, v]) => `${k}=${v}`), PEERS_BIN, 'up', '--rehearse', join(root, 'scenario.yaml'), ...extra], { cwd: repo, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let sent = false;
  return new Promise((done) => {
    child.stdout.on('data', () => undefined);
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (!sent && /peers up: starting /.test(stderr)) {
        sent = true;
        process.kill(-child.pid!, 'SIGINT');
      }
    });
    child.on('close', (code) => done({ code, stderr }));
  });
}

describe.skipIf(!need.ok)('Ctrl-C during peers up', () => {
  test('says it was interrupted and that nothing is running, leaves no pod, and the next up starts the run', async () => {
    const r = await upThenCtrlC();
    key = podKeyIn(r.stderr) ?? '';
    expect(key, r.stderr).not.toBe('');
    expect(r.stderr).toContain(`interrupted (Ctrl-C) while the pod of ${key} was being made: it was removed, nothing is running`);
    const hinted = /hint: (peers up .*) starts it again/.exec(r.stderr)?.[1];
    expect(hinted, r.stderr).toBe(`peers up ${repo} --rehearse ${join(root, 'scenario.yaml')}`);
    expect(r.code).toBe(130);
    expect(podmanAsUser(['pod', 'exists', `peers-${key}`]).code).not.toBe(0);
    const again = asUser(['sh', '-c', hinted!.replace(/^peers /, `${PEERS_BIN} `)], { cwd: repo, env, timeoutMs: 240_000 });
    expect(again.code, again.stderr).toBe(0);
    // A new run, or the one the interrupted up had saved (its loop may have started): a rehearsal either way.
    expect(again.stdout).toMatch(/lib is (resumed, )?rehearsing \(scripted model server, nothing billed\) in pod /);
    expect(asUser([PEERS_BIN, 'down'], { cwd: repo, env }).code).toBe(0);
    // Ctrl-C while the stopped run is resumed: the run is as it was, stopped by that down. It used to
    // read `Status: crashed (interrupted)` (the registry kept the interrupted up as the run's start).
    const resumed = await upThenCtrlC();
    expect(resumed.code, resumed.stderr).toBe(130);
    const status = asUser([PEERS_BIN, 'status'], { cwd: repo, env });
    expect(status.stdout).toContain('Status: stopped (interrupted)');
    // Ctrl-C during `up --fresh`: the old run was archived first; where it went is said all the same.
    const fresh = await upThenCtrlC('--fresh');
    expect(fresh.code, fresh.stderr).toBe(130);
    expect(fresh.stderr).toMatch(/peers up: archived the old run \(.*\) to \S+/);
    expect(fresh.stderr).toContain('peers up:   its report: peers report --state-dir ');
  });
});
