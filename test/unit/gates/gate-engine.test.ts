import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HardGoalSchema, type HardGoal } from '../../../src/config/goals-schema.ts';
import { evaluateGates } from '../../../src/gates/gate-engine.ts';
import { runSetup } from '../../../src/loop/shell/gate-probe.ts';
import { removeSelfBinDir, selfBinDir } from '../../../src/proc/self-exec.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';
import { waitFor } from '../../wait-for.ts';
import { isRunning } from '../../support/process-state.ts';

afterAll(removeTempDirs);

const goal = (g: { id: string; cmd: string; pass_when?: string } & Partial<HardGoal>): HardGoal =>
  HardGoalSchema.parse({ type: 'hard', pass_when: 'exit_code == 0', ...g });

afterAll(removeSelfBinDir);

const scratch = () => tempDir('gates-');
const HEAD_A = 'a'.repeat(40);
const HEAD_B = 'b'.repeat(40);

function count(file: string): number {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').length : 0;
}

describe('evaluateGates', () => {
  test('pass and fail, with the exit code and output tails in the diagnostic', async () => {
    const dir = scratch();
    const [ok, bad, err] = await evaluateGates({
      checkoutDir: dir, head: HEAD_A, defaultTimeoutS: 30,
      goals: [
        goal({ id: 'ok', cmd: 'echo 3 passed', pass_when: "regex('\\d+ passed', stdout) != None" }),
        goal({ id: 'bad', cmd: "echo 'line1'; echo \"it's broken\" >&2; exit 3" }),
        goal({ id: 'err', cmd: 'echo hi', pass_when: "json('missing.json').x == 1" }),
      ],
    });
    expect(ok).toMatchObject({ id: 'ok', state: 'pass', diagnostic: '', cached: false, exitCode: 0 });
    expect(bad).toMatchObject({ id: 'bad', state: 'fail', exitCode: 3 });
    expect(bad!.diagnostic).toBe(`pass_when returned False; exit_code=3; stdout-tail='line1\\n'; stderr-tail="it's broken\\n"`);
    expect(err!.diagnostic).toBe("pass_when error: json(): no such file: 'missing.json'; exit_code=0; stdout-tail='hi\\n'");
  });

  test('a gate whose program is not installed says so by name, not only as exit 127 (a Go project in the Go-less image); one the egress proxy refused says where the host is named', async () => {
    const dir = scratch();
    const [gate, bashGate, failing, network, unreachable, noPytest] = await evaluateGates({
      checkoutDir: dir, head: HEAD_A, defaultTimeoutS: 30,
      goals: [
        goal({ id: 'tests-pass', cmd: 'go-not-installed-here test ./...' }),
        goal({ id: 'bash-style', cmd: "echo 'bash: line 1: cargo: command not found' >&2; exit 127" }),
        goal({ id: 'ordinary', cmd: "echo 'FAIL: not found in map' >&2; exit 1" }),
        goal({ id: 'needs-network', cmd: "echo \"pip._vendor.urllib3.exceptions.ProxyError: ('Unable to connect to proxy', OSError('Tunnel connection failed: 403 Forbidden'))\" >&2; exit 1" }),
        // pypi.org allowed, but the egress container cannot resolve it: 502, not "add it to egress.allow".
        goal({ id: 'unreachable', cmd: "echo \"WARNING: Retrying after connection broken by 'ProxyError('Cannot connect to proxy.', OSError('Tunnel connection failed: 502 Bad Gateway'))': /simple/tomli-w/\" >&2; exit 1" }),
        // What the real interpreter says for `python3 -m` of a module it lacks, as init's pytest gate runs it (2>&1).
        goal({ id: 'no-pytest', cmd: 'python3 -m no_such_test_runner_here -q 2>&1' }),
      ],
    });
    expect(gate!.diagnostic).toStartWith('go-not-installed-here: command not found (exit 127): it is not installed where the gate runs (in a run: the workspace image; `peers doctor` lists');
    expect(gate!.diagnostic).toContain('pass_when returned False; exit_code=127');
    expect(bashGate!.diagnostic).toStartWith('cargo: command not found (exit 127)');
    expect(failing!.diagnostic).toStartWith('pass_when returned False; exit_code=1');
    expect(network!.diagnostic).toStartWith('a connection was refused with 403, which is what the egress proxy answers for a host not on the allow-list (or an allowed one whose name resolves to a private, loopback or reserved address, which it never connects to): `peers logs --egress` names the host and why');
    expect(unreachable!.diagnostic).toStartWith('a connection through the egress proxy failed with 502: the host is allowed, but the egress container could not reach it');
    expect(unreachable!.diagnostic).not.toContain('add it to egress.allow');
    expect(noPytest!.diagnostic).toStartWith('the Python module no_such_test_runner_here is not installed for the interpreter the gate runs ("No module named no_such_test_runner_here"): `peers verify` runs the gates with this machine\'s Python, and a run with the workspace image\'s');
  });

  test('a test that reaches for the network without the proxy (Node fetch, a name lookup) says the gates have no network but the allow-list', async () => {
    const dir = scratch();
    // What the gates' network namespace gives each client (seen in the workspace image): Node's
    // fetch as node:test prints it (no cause), Node's https, Python's socket, git and curl, Go.
    const outputs = [
      "not ok 1 - reads a live page\n  error: 'fetch failed'\n  name: 'TypeError'",
      'Error: getaddrinfo EAI_AGAIN example.com',
      'socket.gaierror: [Errno -3] Temporary failure in name resolution',
      "fatal: unable to access 'https://example.com/x.git/': Could not resolve host: example.com",
      'Get "https://example.com/": dial tcp: lookup example.com on 10.0.2.3:53: server misbehaving',
    ];
    const results = await evaluateGates({
      checkoutDir: dir, head: HEAD_A, defaultTimeoutS: 30,
      goals: [...outputs.map((o, i) => goal({ id: `net-${i}`, cmd: `printf '%s\\n' ${JSON.stringify(o).replace(/'/g, "'\\''").replace(/^"|"$/g, "'")} ; exit 1` })), goal({ id: 'ordinary', cmd: "echo 'expected 2, got 3' >&2; exit 1" })],
    });
    for (const r of results.slice(0, -1)) {
      expect(r.diagnostic).toStartWith('no network (a host name not resolved, Node\'s "fetch failed"): a run\'s gates reach only egress.allow\'s hosts (setup too), through the egress proxy');
      expect(r.diagnostic).toContain('mock what it fetches or keep it out of the gates, or add its host to egress.allow');
    }
    expect(results.at(-1)!.diagnostic).toStartWith('pass_when returned False; exit_code=1');
  });

  test("a failing test's paths are said from the repository's top, not from the checkout the gate ran in (in a run, /checkouts/… inside the pod, gone after the gate)", async () => {
    const dir = scratch();
    const [r] = await evaluateGates({
      checkoutDir: dir, head: HEAD_A, defaultTimeoutS: 30,
      goals: [goal({ id: 'tests-pass', cmd: `echo "  location: '$PWD/test/net.test.js:2:1'"; echo "Error at $(pwd -P)/src/a.js:3" >&2; exit 1` })],
    });
    expect(r!.diagnostic).toContain("location: 'test/net.test.js:2:1'");
    expect(r!.diagnostic).toContain('Error at src/a.js:3');
    expect(r!.excerpt).toContain("location: 'test/net.test.js:2:1'");
    expect(`${r!.diagnostic}${r!.excerpt}`).not.toContain(dir);
    // And a failed setup (npm names the file it could not read by its path in the checkout).
    const setup = await runSetup('echo "npm ERR! path $PWD/package.json" >&2; exit 254', dir, {});
    expect(setup).toContain('npm ERR! path package.json');
    expect(setup).not.toContain(dir);
  });

  test('a gate whose program is a path in the checkout that is not there (a venv setup did not make) says that, not that the image lacks python', async () => {
    const dir = scratch();
    const [venv, absolute] = await evaluateGates({
      checkoutDir: dir, head: HEAD_A, defaultTimeoutS: 30,
      goals: [
        // What `peers init` proposes for a Python project with dependencies, run where no setup made the venv.
        goal({ id: 'tests-pass', cmd: '.venv/bin/python -m pytest -q' }),
        goal({ id: 'abs', cmd: '/opt/no-such-toolchain/bin/go test ./...' }),
      ],
    });
    expect(venv!.diagnostic).toStartWith('.venv/bin/python: not found (exit 127): the gate names it by a path in the checkout, which the checkout does not have: `setup` in .peers/config.yaml makes it (a venv, node_modules), or commit it');
    expect(venv!.diagnostic).not.toContain('not installed where the gate runs');
    // An absolute path is a program of the machine (or image), as before.
    expect(absolute!.diagnostic).toStartWith('go: command not found (exit 127): it is not installed where the gate runs');
  });

  test("peers' own checks run first, finished before a gate that runs the peers' code can change the checkout; results keep the file order", async () => {
    const dir = scratch();
    const order = join(dir, 'order');
    for (const jobs of [1, 2]) {
      writeFileSync(order, '');
      const results = await evaluateGates({
        checkoutDir: dir, head: HEAD_A, defaultTimeoutS: 30, jobs,
        goals: [
          // A test suite that rewrites what the check reads (here: the file the check prints).
          goal({ id: 'suite', cmd: `echo suite >> ${order}; echo forged > read-by-check` }),
          goal({ id: 'check', cmd: `peers check --help >/dev/null 2>&1; echo "check saw $(cat read-by-check 2>/dev/null || echo nothing)" >> ${order}` }),
        ],
      });
      expect(results.map((r) => r.id)).toEqual(['suite', 'check']);
      expect(readFileSync(order, 'utf8')).toBe('check saw nothing\nsuite\n');
      writeFileSync(join(dir, 'read-by-check'), '');
      rmSync(join(dir, 'read-by-check'));
    }
  });

  test('gates run in the checkout directory; json() reads from there', async () => {
    const dir = scratch();
    const [r] = await evaluateGates({
      checkoutDir: dir, head: HEAD_A, defaultTimeoutS: 30,
      goals: [goal({ id: 'cov', cmd: 'echo \'{"percent": 91}\' > cov.json', pass_when: "json('cov.json').percent >= 90" })],
    });
    expect(r!.state).toBe('pass');
    expect(existsSync(join(dir, 'cov.json'))).toBe(true);
  });

  test('`peers` on PATH inside a gate is this peers', async () => {
    const [r] = await evaluateGates({
      checkoutDir: scratch(), head: HEAD_A, defaultTimeoutS: 60,
      goals: [goal({ id: 'self', cmd: 'command -v peers && peers --version', pass_when: "regex('\\d+\\.\\d+\\.\\d+', stdout) != None" })],
    });
    expect(r!.state).toBe('pass');
    // Each run's own shim, never the process's (a gate may rewrite the one on its PATH: gate-env.ts).
    const which = goal({ id: 'which', cmd: 'command -v peers', pass_when: `stdout.strip() != '${join(selfBinDir(), 'peers')}' and regex('/bin/peers$', stdout.strip()) != None` });
    const [one, two] = await evaluateGates({ checkoutDir: scratch(), head: HEAD_A, defaultTimeoutS: 60, goals: [which, { ...which, id: 'which-2' }] });
    expect([one!.state, two!.state]).toEqual(['pass', 'pass']);
  });

  test('a gate over its timeout fails with "timeout"; goal timeout_s overrides the default', async () => {
    const [r] = await evaluateGates({
      checkoutDir: scratch(), head: HEAD_A, defaultTimeoutS: 120,
      goals: [goal({ id: 'slow', cmd: 'echo started; sleep 30', timeout_s: 1 })],
    });
    expect(r!.state).toBe('fail');
    expect(r!.diagnostic).toBe("timeout after 1s; stdout-tail='started\\n'");
  });

  test('a gate that ignores SIGTERM is SIGKILLed, its children with it', async () => {
    const pids = scratch();
    const [r] = await evaluateGates({
      checkoutDir: scratch(), head: HEAD_A, defaultTimeoutS: 1,
      goals: [goal({ id: 'stubborn', cmd: `trap '' TERM; sleep 60 & echo $! > ${pids}/child; while :; do sleep 0.1; done` })],
    });
    expect(r!.state).toBe('fail');
    expect(r!.diagnostic).toStartWith('timeout after 1s');
    expect(r!.exitCode).toBe(-9);
    const child = readFileSync(join(pids, 'child'), 'utf8').trim();
    // The group was sent SIGKILL; its death is asynchronous (on a loaded machine the sleep can
    // still be listed as sleeping right after the gate's result). A sleep 60 left alive fails this.
    await waitFor('the gate\'s background sleep to die with its group', () => !isRunning(child), 5_000);
  });

  test('a gate flooding 6 MB is judged by the summary it prints last; its diagnostic quotes only the end', async () => {
    const flood = 'head -c 6000000 /dev/zero | tr "\\0" x; echo; echo "3 passed, 0 failed"';
    const [r] = await evaluateGates({
      checkoutDir: scratch(), head: HEAD_A, defaultTimeoutS: 60,
      goals: [
        goal({ id: 'verbose-suite', cmd: flood, pass_when: "'0 failed' in stdout and len(stdout) <= 1048576" }),
      ],
    });
    expect(r).toMatchObject({ state: 'pass', exitCode: 0 });
    const [shown] = await evaluateGates({
      checkoutDir: scratch(), head: HEAD_A, defaultTimeoutS: 60,
      goals: [goal({ id: 'verbose-red', cmd: `{ ${flood}; } >&2; exit 1` })],
    });
    // The diagnostic quotes the end of the capped stream, not megabytes of it.
    expect(shown!.diagnostic).toMatch(/^pass_when returned False; exit_code=1; stderr-tail='x+\\n3 passed, 0 failed\\n'$/);
    expect(shown!.diagnostic.length).toBeLessThan(1200);
  });

  test('retry_on_fail is not the engine\'s: a failing gate runs once in the checkout it is given (retries get a fresh one: fresh-retries.ts)', async () => {
    const state = scratch();
    const [r] = await evaluateGates({ checkoutDir: scratch(), head: HEAD_A, defaultTimeoutS: 30, goals: [goal({ id: 'flaky', retry_on_fail: 3, cmd: `echo run >> ${state}/flaky; exit 1` })] });
    expect(r!.state).toBe('fail');
    expect(count(join(state, 'flaky'))).toBe(1);
  });

  test('every gate run gets a fresh HOME, TMPDIR and XDG dirs: what one run writes there, the next never sees', async () => {
    const dir = scratch();
    const poison = goal({ id: 'poison', cmd: 'echo "registry=http://evil.invalid/" > "$HOME/.npmrc"; mkdir -p "$XDG_CONFIG_HOME/git"; echo x > "$XDG_CONFIG_HOME/git/config"; echo x > "$TMPDIR/left"; echo "$HOME" > home-of-poison' });
    const victim = goal({ id: 'victim', cmd: 'test ! -e "$HOME/.npmrc" && test ! -e "$XDG_CONFIG_HOME/git/config" && test ! -e "$TMPDIR/left" && test -d "$HOME" && test -w "$TMPDIR"' });
    await evaluateGates({ checkoutDir: dir, head: HEAD_A, defaultTimeoutS: 30, goals: [poison] });
    const [after] = await evaluateGates({ checkoutDir: dir, head: HEAD_A, defaultTimeoutS: 30, goals: [victim] });
    expect(after).toMatchObject({ state: 'pass' });
    // The scratch HOME is gone with its run, and was never the caller's.
    const home = readFileSync(join(dir, 'home-of-poison'), 'utf8').trim();
    expect(existsSync(home)).toBe(false);
    expect(home).not.toBe(process.env.HOME);
    // Within one evaluation too: two goals side by side do not share a HOME.
    const both = await evaluateGates({ checkoutDir: dir, head: HEAD_B, defaultTimeoutS: 30, jobs: 1, goals: [poison, victim] });
    expect(both.map((r) => r.state)).toEqual(['pass', 'pass']);
    // Dependency-cache variables a gate inherits are dropped: gates never get the cache.
    const [noCache] = await evaluateGates({ checkoutDir: dir, head: HEAD_A, defaultTimeoutS: 30, env: { PATH: process.env.PATH!, npm_config_cache: '/cache/npm' }, goals: [goal({ id: 'c', cmd: 'test -z "$npm_config_cache"' })] });
    expect(noCache!.state).toBe('pass');
  });

  test('concurrency never exceeds jobs, does use it, and results keep file order', async () => {
    const stamps = scratch();
    // The first goal is the slowest, so completion order differs from file order.
    const goals = ['g1', 'g2', 'g3', 'g4', 'g5'].map((id, i) =>
      goal({ id, cmd: `date +%s%N > ${stamps}/${id}.start; sleep ${i === 0 ? 0.6 : 0.2}; date +%s%N > ${stamps}/${id}.end` }),
    );
    const overlap = () => {
      const iv = goals.map((g) => [Number(readFileSync(`${stamps}/${g.id}.start`, 'utf8')), Number(readFileSync(`${stamps}/${g.id}.end`, 'utf8'))] as const);
      return Math.max(...iv.map(([s]) => iv.filter(([s2, e2]) => s2 <= s && s < e2).length));
    };
    const two = await evaluateGates({ checkoutDir: scratch(), head: HEAD_A, defaultTimeoutS: 30, jobs: 2, goals });
    expect(two.map((r) => r.id)).toEqual(['g1', 'g2', 'g3', 'g4', 'g5']);
    expect(two.every((r) => r.state === 'pass')).toBe(true);
    expect(overlap()).toBe(2);
    await evaluateGates({ checkoutDir: scratch(), head: HEAD_A, defaultTimeoutS: 30, jobs: 1, goals });
    expect(overlap()).toBe(1);
  });

  test('ids restricts which goals run', async () => {
    const results = await evaluateGates({
      checkoutDir: scratch(), head: HEAD_A, defaultTimeoutS: 30, ids: ['b'],
      goals: [goal({ id: 'a', cmd: 'true' }), goal({ id: 'b', cmd: 'true' })],
    });
    expect(results.map((r) => r.id)).toEqual(['b']);
  });
});

test("a gate's result carries how many tests its run ran, per runner summary, pass or fail (src/protocol/tests-run.ts)", async () => {
  const goals = [goal({ id: 'green', cmd: "printf '# tests 3\\n# skipped 1\\n'" }), goal({ id: 'red', cmd: "printf '1 failed, 2 passed in 0.1s\\n'; exit 1" }), goal({ id: 'quiet', cmd: 'true' })];
  const results = await evaluateGates({ goals, checkoutDir: tempDir('peers-count-'), head: 'h', defaultTimeoutS: 30, jobs: 1 });
  expect(results.map((r) => [r.id, r.state, r.testsRun])).toEqual([['green', 'pass', { node: 2 }], ['red', 'fail', { pytest: 3 }], ['quiet', 'pass', undefined]]);
});
