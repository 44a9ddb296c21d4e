/**
 * Gates through the setup and gates runners, on the host with real git, real runner sockets and the
 * real `peers runner --prepare-checkout` / `--probe-gates` processes: the checkout comes from the
 * trusted mirror (made read-only here, as the pod mounts it), only what is committed counts, only
 * setup sees the dependency cache, and malformed requests are refused.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfCommand } from '../../../src/proc/self-exec.ts';
import type { HardGoal } from '../../../src/config/goals-schema.ts';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { gateProbeFromEnv, remoteGateProbe, runGateProbe } from '../../../sandbox/gates-remote.ts';
import { startRunnerServer, type RunnerServer } from '../../../sandbox/runner-server.ts';
import { SocketRunner } from '../../../sandbox/socket-runner.ts';

setDefaultTimeout(60_000);

let dir: string;
let repo: string;
let head: string;
let places: { mirror: string; checkouts: string; depCache: string };
let servers: RunnerServer[] = [];
const goal = (id: string, cmd: string): HardGoal => ({ id, type: 'hard', cmd, pass_when: 'exit_code == 0', cacheable: false, expensive: false, retry_on_fail: 0 });
const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { cwd: repo, encoding: 'utf8' });
const probe = () => remoteGateProbe({ setup: new SocketRunner(join(dir, 'setup.sock')), gates: new SocketRunner(join(dir, 'gates.sock')), peersCommand: selfCommand(), places });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peers-gates-remote-'));
  repo = join(dir, 'repo');
  mkdirSync(repo);
  sh('git init -q && git config user.email t@e && git config user.name t && echo ok > committed.txt && git add . && git commit -qm c');
  head = sh('git rev-parse HEAD').stdout.trim();
  writeFileSync(join(repo, 'uncommitted.txt'), 'only in the working tree');
  writeFileSync(join(repo, 'committed.txt'), 'edited but not committed');
  places = { mirror: join(dir, 'mirror.git'), checkouts: join(dir, 'checkouts'), depCache: join(dir, 'cache') };
  new RunObserver({ workDir: repo, mirror: places.mirror, stage: join(dir, 'stage.git'), lenient: true }).sync();
  // The pod mounts the mirror read-only into both containers.
  spawnSync('chmod', ['-R', 'a-w', places.mirror]);
  const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
  servers = [await startRunnerServer({ socketPath: join(dir, 'setup.sock'), baseEnv }), await startRunnerServer({ socketPath: join(dir, 'gates.sock'), baseEnv })];
});
afterAll(async () => {
  for (const s of servers) await s.close();
  spawnSync('chmod', ['-R', 'u+w', dir]);
  rmSync(dir, { recursive: true, force: true });
});

describe('gate probe through the setup and gates runners', () => {
  test('only the committed HEAD counts, checked out from the read-only mirror; the checkout is removed', async () => {
    const results = await probe()({ repo: places.mirror, head, timeoutS: 30, jobs: 2, goals: [goal('committed', 'grep -qx ok committed.txt'), goal('uncommitted', 'test -f uncommitted.txt'), goal('red', 'exit 3')] });
    expect(Object.fromEntries(results.map((r) => [r.id, r.state]))).toEqual({ committed: 'pass', uncommitted: 'fail', red: 'fail' });
    expect(readdirSync(places.checkouts)).toEqual([]);
    // The user's working tree is untouched by the probe.
    expect(sh('git status --porcelain').stdout).toContain('uncommitted.txt');
  });

  test('setup runs first in the checkout and alone gets the dependency cache; gates get none', async () => {
    const goals = [goal('needs-deps', 'grep -qx installed deps/marker'), goal('no-cache', 'test -z "$npm_config_cache" && test -z "$PEERS_DEP_CACHE"')];
    const base = { repo: places.mirror, head, goals, timeoutS: 30, jobs: 2 };
    const ok = await probe()({ ...base, setup: 'mkdir deps && echo installed > deps/marker && mkdir -p "$npm_config_cache" && echo run >> "$npm_config_cache/setup-runs"' });
    expect(Object.fromEntries(ok.map((r) => [r.id, r.state]))).toEqual({ 'needs-deps': 'pass', 'no-cache': 'pass' });
    expect(readFileSync(join(places.depCache, 'npm', 'setup-runs'), 'utf8')).toBe('run\n');
    // Without setup the dependency is missing: the checkout is fresh, nothing carried over.
    expect((await probe()(base)).find((r) => r.id === 'needs-deps')?.state).toBe('fail');
    const broken = await probe()({ ...base, setup: 'echo registry unreachable >&2; exit 7' });
    expect(broken.map((r) => r.state)).toEqual(['fail', 'fail']);
    expect(broken[0]!.diagnostic).toContain('not run: setup `echo registry unreachable >&2; exit 7` failed: exit=7; stderr: registry unreachable');
    // A setup that says why only on stdout (python3 -m venv without ensurepip) is not a bare exit code.
    const quiet = await probe()({ ...base, setup: 'echo ensurepip is not available; exit 1' });
    expect(quiet[0]!.diagnostic).toContain('failed: exit=1; stdout: ensurepip is not available');
    // pip behind the egress proxy, pypi.org not allow-listed: the tool says only 403; the diagnostic says where the host is named.
    const refused = await probe()({ ...base, setup: "echo 'urllib.error.URLError: <urlopen error Tunnel connection failed: 403 Forbidden>' >&2; exit 1" });
    expect(refused[0]!.diagnostic).toContain('failed: a connection was refused with 403, which is what the egress proxy answers for a host not on the allow-list (or an allowed one whose name resolves to a private, loopback or reserved address, which it never connects to): `peers logs --egress` names the host and why; add a missing host to egress.allow');
    const missing = await probe()({ ...base, setup: 'pnpm-not-installed-here install' });
    expect(missing[0]!.diagnostic).toContain('failed: pnpm-not-installed-here: command not found (exit 127): it is not installed where setup runs (in a run: the workspace image');
    expect(readdirSync(places.checkouts)).toEqual([]);
  });

  test('every gate in the gates container learns the run baseline the loop sends (PEERS_RUN_BASELINE), as on the host', async () => {
    // `peers check` in a gate counts "new" work from this commit; without it the check would
    // fall back to the tag a peer can move (run-baseline.ts).
    const goals = [goal('knows-baseline', `test "$PEERS_RUN_BASELINE" = ${head}`)];
    const base = { repo: places.mirror, head, goals, timeoutS: 30, jobs: 1 };
    expect((await probe()({ ...base, runBaseline: head })).map((r) => r.state)).toEqual(['pass']);
    expect((await probe()(base)).map((r) => r.state)).toEqual(['fail']);
  });

  test("each gate starts from the checkout as setup left it: a gate running the peers' code cannot change what a later gate reads", async () => {
    // The suite (peer code) rewrites a committed file, plants one and removes what setup installed;
    // the gates after it run no peer code. (SECURITY.md, "Each gate starts from the state right after setup".)
    const goals = [
      goal('suite', 'echo bad > committed.txt; echo planted > planted.txt; rm -rf deps'),
      goal('committed-as-is', 'grep -qx ok committed.txt'),
      goal('nothing-planted', 'test ! -e planted.txt'),
      goal('setup-output-here', 'test "$(cat deps/installed-at)" = "$(pwd)"'),
    ];
    const results = await probe()({ repo: places.mirror, head, goals, setup: 'mkdir deps && pwd > deps/installed-at', timeoutS: 30, jobs: 4 });
    expect(Object.fromEntries(results.map((r) => [r.id, r.state]))).toEqual({ suite: 'pass', 'committed-as-is': 'pass', 'nothing-planted': 'pass', 'setup-output-here': 'pass' });
    expect(readdirSync(places.checkouts)).toEqual([]);
  });

  test("setup cannot choose the history a gate's `peers check` reads: the gates container writes the checkout's .git again from the mirror", async () => {
    // setup (the peers' install scripts) moves HEAD, makes a commit of its own, swaps .git for a
    // link: test/unit/gates/setup-git-dir.test.ts, where `peers check deps-justified` passed before.
    const goals = [goal('head-is-the-commit', `test "$(git rev-parse HEAD)" = ${head}`), goal('no-commit-of-setup', 'test "$(git rev-list --count HEAD)" = 1')];
    const setup = "git -c user.name=x -c user.email=x@x commit -q --allow-empty -m forged && g=$(mktemp -d) && cp -a .git/. \"$g\" && rm -rf .git && ln -s \"$g\" .git";
    const results = await probe()({ repo: places.mirror, head, goals, setup, timeoutS: 30, jobs: 1 });
    expect(Object.fromEntries(results.map((r) => [r.id, r.state]))).toEqual({ 'head-is-the-commit': 'pass', 'no-commit-of-setup': 'pass' });
    expect(readdirSync(places.checkouts)).toEqual([]);
  });

  test("setup cannot change the commit's files the gates read: the gates container writes them again from the commit", async () => {
    // An install script patching the product in the checkout: test/integration/cheats/setup-patch.test.ts.
    const goals = [goal('committed-as-is', 'grep -qx ok committed.txt && test ! -L committed.txt'), goal('setup-output-here', 'test -f deps/installed')];
    const setup = 'mkdir deps && touch deps/installed && echo patched > committed.txt';
    const results = await probe()({ repo: places.mirror, head, goals, setup, timeoutS: 30, jobs: 1 });
    expect(Object.fromEntries(results.map((r) => [r.id, r.state]))).toEqual({ 'committed-as-is': 'pass', 'setup-output-here': 'pass' });
  });

  test('malformed requests fail with a clear message; a checkout outside /checkouts is refused', async () => {
    await expect(probe()({ repo: places.mirror, head: 'not-a-sha', goals: [goal('a', 'true')], timeoutS: 5, jobs: 1 })).rejects.toThrow('head must be a commit sha');
    const outside = mkdtempSync(join(dir, 'elsewhere-'));
    mkdirSync(join(outside, 'tree'));
    await expect(runGateProbe({ dir: join(outside, 'tree'), head, goals: [], timeoutS: 5, jobs: 1 }, { checkouts: places.checkouts, mirror: places.mirror })).rejects.toThrow(/not under/);
    expect(existsSync(outside)).toBe(true);
    expect(gateProbeFromEnv({})).toBeUndefined();
    expect(gateProbeFromEnv({ PEERS_RUNNER_GATES: 'x' })).toBeUndefined();
  });

  test('overlapping probes of one loop (a background expensive gate beside the cheap ones) keep each its own checkout', async () => {
    const both = probe();
    const go = join(dir, 'second-probe-done');
    // The slow gate runs until the second probe has prepared, run and removed its own checkout.
    const slow = both({ repo: places.mirror, head, timeoutS: 60, jobs: 1, goals: [goal('slow', `while [ ! -e ${go} ]; do sleep 0.05; done; grep -qx ok committed.txt`)] });
    const end = Date.now() + 20_000;
    while (readdirSync(places.checkouts).length === 0 && Date.now() < end) await Bun.sleep(25);
    const quick = await both({ repo: places.mirror, head, timeoutS: 30, jobs: 1, goals: [goal('quick', 'grep -qx ok committed.txt')] });
    writeFileSync(go, '');
    expect(quick.map((r) => r.state)).toEqual(['pass']);
    expect((await slow).map((r) => [r.id, r.state])).toEqual([['slow', 'pass']]);
    expect(readdirSync(places.checkouts)).toEqual([]);
  });

  test('a stop request during the probe ends it quietly (the loop discards cut-short gates)', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 1500);
    const t0 = Date.now();
    const r = await probe()({ repo: places.mirror, head, goals: [goal('slow', 'sleep 30')], timeoutS: 60, jobs: 1, signal: stop.signal });
    expect(r).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});
