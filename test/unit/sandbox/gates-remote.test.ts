/**
 * Gates through the gates runner, on the host with real git, a real runner socket and the real
 * `peers runner --probe-gates` process: only what is committed counts, the repository may be
 * read-only, and a malformed probe is refused.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfCommand } from '../../../src/proc/self-exec.ts';
import type { HardGoal } from '../../../src/config/goals-schema.ts';
import { gateProbeFromEnv, probeGatesVia } from '../../../sandbox/gates-remote.ts';
import { startRunnerServer, type RunnerServer } from '../../../sandbox/runner-server.ts';
import { SocketRunner } from '../../../sandbox/socket-runner.ts';

let dir: string;
let repo: string;
let head: string;
let server: RunnerServer;
const goal = (id: string, cmd: string): HardGoal => ({ id, type: 'hard', cmd, pass_when: 'exit_code == 0', cacheable: false, expensive: false, retry_on_fail: 0 });
const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { cwd: repo, encoding: 'utf8' });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peers-gates-remote-'));
  repo = join(dir, 'repo');
  mkdirSync(repo);
  sh('git init -q && git config user.email t@e && git config user.name t && echo ok > committed.txt && git add . && git commit -qm c');
  head = sh('git rev-parse HEAD').stdout.trim();
  writeFileSync(join(repo, 'uncommitted.txt'), 'only in the working tree');
  writeFileSync(join(repo, 'committed.txt'), 'edited but not committed');
  server = await startRunnerServer({ socketPath: join(dir, 'gates.sock'), baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } });
});
afterAll(async () => {
  await server.close();
  chmodSync(repo, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

describe('gate probe through the gates runner', () => {
  test('only the committed HEAD counts; the repository is made read-only (the e2e suite mounts it read-only for real)', async () => {
    spawnSync('chmod', ['-R', 'a-w', repo]);
    try {
      const results = await probeGatesVia(
        new SocketRunner(join(dir, 'gates.sock')),
        {
          head,
          goals: [goal('committed', 'grep -qx ok committed.txt'), goal('uncommitted', 'test -f uncommitted.txt'), goal('red', 'exit 3')],
          timeoutS: 30,
          jobs: 2,
        },
        { peersCommand: selfCommand(), repo },
      );
      const state = Object.fromEntries(results.map((r) => [r.id, r.state]));
      expect(state).toEqual({ committed: 'pass', uncommitted: 'fail', red: 'fail' });
      expect(results.find((r) => r.id === 'red')?.exitCode).toBe(3);
    } finally {
      spawnSync('chmod', ['-R', 'u+w', repo]);
    }
    // The user's working tree is untouched by the probe.
    expect(sh('git status --porcelain').stdout).toContain('uncommitted.txt');
  }, 60_000);

  test('a malformed probe request fails with a clear message, not a crash', async () => {
    let err: unknown;
    try {
      await probeGatesVia(new SocketRunner(join(dir, 'gates.sock')), { head: 'not-a-sha', goals: [], timeoutS: 5, jobs: 1 }, { peersCommand: selfCommand(), repo });
    } catch (e) {
      err = e;
    }
    expect(String(err)).toContain('head must be a commit sha');
  }, 60_000);

  test('the loop\'s pod gate probe (PEERS_RUNNER_GATES) runs `setup` in the clean checkout before the gates', async () => {
    const probe = gateProbeFromEnv({ PEERS_RUNNER_GATES: join(dir, 'gates.sock') }, { peersCommand: selfCommand(), repo })!;
    const goals = [goal('needs-deps', 'grep -qx installed deps/marker'), goal('plain', 'true')];
    const base = { repo, head, goals, timeoutS: 30, jobs: 2, cacheFile: join(dir, 'unused-cache.json') };
    const ok = await probe({ ...base, setup: 'mkdir deps && echo installed > deps/marker' });
    expect(Object.fromEntries(ok.map((r) => [r.id, r.state]))).toEqual({ 'needs-deps': 'pass', plain: 'pass' });
    // Without setup the dependency is missing: the checkout is fresh, nothing carried over.
    const without = await probe(base);
    expect(without.find((r) => r.id === 'needs-deps')?.state).toBe('fail');
    const broken = await probe({ ...base, setup: 'echo registry unreachable >&2; exit 7' });
    expect(broken.map((r) => r.state)).toEqual(['fail', 'fail']);
    expect(broken[0]!.diagnostic).toContain('not run: setup `echo registry unreachable >&2; exit 7` failed: exit=7; stderr: registry unreachable');
    expect(gateProbeFromEnv({})).toBeUndefined();
  }, 60_000);

  test('a stop request during the probe ends it quietly (the loop discards cut-short gates)', async () => {
    const probe = gateProbeFromEnv({ PEERS_RUNNER_GATES: join(dir, 'gates.sock') }, { peersCommand: selfCommand(), repo })!;
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 1500);
    const t0 = Date.now();
    const r = await probe({ repo, head, goals: [goal('slow', 'sleep 30')], timeoutS: 60, jobs: 1, cacheFile: join(dir, 'c.json'), signal: stop.signal });
    expect(r).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(20_000);
  }, 60_000);
});
