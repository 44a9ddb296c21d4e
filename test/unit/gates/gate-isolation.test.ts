/**
 * Each gate of one probe starts from the checkout as `setup` left it (SECURITY.md, "Each gate starts
 * from the state right after setup"): a gate that runs the peers' code (a test suite) cannot change
 * what a later gate that runs none (a linter, a user's checker) reads — not a tracked file, not a
 * planted one, not what `setup` installed. On the host loop's probe (both checkouts) and in
 * `peers verify`; the pod's gates runner is tested in test/unit/sandbox/gates-remote.test.ts.
 */
import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigSchema } from '../../../src/config/config-schema.ts';
import { GoalsSchema, type HardGoal } from '../../../src/config/goals-schema.ts';
import { GateCheckout } from '../../../src/gates/gate-checkout.ts';
import { evaluateGates, evaluateIsolated } from '../../../src/gates/gate-engine.ts';
import { GateTrees } from '../../../src/gates/gate-trees.ts';
import { stampTree, treeChange } from '../../../src/gates/tree-stamp.ts';
import { runVerify } from '../../../src/gates/verify-run.ts';
import { gitOk } from '../../../src/git/git.ts';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { probeGates, probeGatesIn } from '../../../src/loop/shell/gate-probe.ts';
import { removeSelfBinDir } from '../../../src/proc/self-exec.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);
afterAll(removeSelfBinDir);

const ID = ['-c', 'user.name=t', '-c', 'user.email=t@example.com'];
const checkouts: GateCheckout[] = [];
afterEach(() => {
  for (const c of checkouts.splice(0)) c.close();
});

const goal = (id: string, cmd: string): HardGoal => ({ id, type: 'hard', cmd, pass_when: 'exit_code == 0', cacheable: false, expensive: false, retry_on_fail: 0 });

/**
 * The peers' test suite (`suite.sh`, committed: it runs peer code) rewrites the source a later
 * gate checks, plants a file, and replaces the tool `setup` installed. The commit still has the bug.
 */
const SUITE = [
  'echo ok > target.txt',
  'echo planted > planted.txt',
  "printf '#!/bin/sh\\nexit 0\\n' > deps/lint",
  'echo suite ran',
].join('\n');
/** `setup`: installs a linter into the checkout that fails on the committed bug, and notes where it ran. */
const SETUP = "mkdir deps && printf '#!/bin/sh\\ngrep -qx ok target.txt\\n' > deps/lint && chmod +x deps/lint && pwd > deps/installed-at";

/** The gates a careful user writes: the suite first, then checks that run no peer code. */
const GOALS = [
  goal('suite', 'sh suite.sh'),
  goal('target-is-ok', 'grep -qx ok target.txt'),
  goal('nothing-planted', 'test ! -e planted.txt'),
  goal('lint', 'deps/lint'),
  // Every gate still sees what setup installed, at the very path setup ran in (a venv's scripts
  // and an editable install name it).
  goal('setup-output-here', 'test "$(cat deps/installed-at)" = "$(pwd)" && test -x deps/lint'),
];

function project(): { repo: string; mirror: string; head: string } {
  const root = tempDir('gate-isolation-');
  const repo = join(root, 'repo');
  mkdirSync(repo);
  gitOk(repo, ['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, 'target.txt'), 'bad\n');
  writeFileSync(join(repo, 'suite.sh'), `${SUITE}\n`);
  gitOk(repo, ['add', '-A']);
  gitOk(repo, [...ID, 'commit', '-q', '-m', 'the bug']);
  const observer = new RunObserver({ workDir: repo, mirror: join(root, 'mirror.git'), stage: join(root, 'stage.git'), lenient: true });
  observer.sync();
  return { repo, mirror: observer.mirror, head: gitOk(repo, ['rev-parse', 'HEAD']).trim() };
}

const states = (rs: { id: string; state: string }[]) => Object.fromEntries(rs.map((r) => [r.id, r.state]));
const EXPECTED = { suite: 'pass', 'target-is-ok': 'fail', 'nothing-planted': 'pass', lint: 'fail', 'setup-output-here': 'pass' };

describe('a gate that runs the peers\' code cannot fool a later gate of the same probe', () => {
  for (const jobs of [1, 4]) {
    test(`the loop's reused checkout (jobs ${jobs}): each gate sees the commit and setup's output, never what the suite wrote`, async () => {
      const p = project();
      const checkout = new GateCheckout();
      checkouts.push(checkout);
      const results = await probeGatesIn(checkout)({ repo: p.mirror, head: p.head, goals: GOALS, setup: SETUP, timeoutS: 30, jobs });
      expect(states(results)).toEqual(EXPECTED);
      // The next probe of the same checkout sees the same.
      expect(states(await probeGatesIn(checkout)({ repo: p.mirror, head: p.head, goals: GOALS, setup: SETUP, timeoutS: 30, jobs }))).toEqual(EXPECTED);
    });
  }

  test('a throwaway checkout (probeGates), the suite last in the file: the gates before it are not its copy either', async () => {
    const p = project();
    const results = await probeGates({ repo: p.mirror, head: p.head, goals: [...GOALS.slice(1), GOALS[0]!], setup: SETUP, timeoutS: 30, jobs: 2 });
    expect(states(results)).toEqual(EXPECTED);
  });

  test('`peers verify`: the hard gates and the verify commands each start from the checkout as setup left it', async () => {
    const p = project();
    const config = ConfigSchema.parse({ peers: [{ name: 'a', tool: 'custom', argv: ['cat'] }, { name: 'b', tool: 'custom', argv: ['cat'] }], setup: SETUP, verify: { commands: [{ name: 'verify-lint', cmd: 'deps/lint' }, { name: 'verify-unplanted', cmd: 'test ! -e planted.txt' }] } });
    const goals = GoalsSchema.parse({ goals: GOALS });
    const report = await runVerify({ repo: p.repo, config, goals, jobs: 2 });
    expect(states(report.hard)).toEqual(EXPECTED);
    expect(states(report.commands)).toEqual({ 'verify-lint': 'fail', 'verify-unplanted': 'pass' });
    expect(report.ok).toBe(false);
  });

  test('control: the same gates on a commit without the bug all pass (the checks do judge the content)', async () => {
    const p = project();
    writeFileSync(join(p.repo, 'target.txt'), 'ok\n');
    gitOk(p.repo, [...ID, 'commit', '-q', '-am', 'fixed']);
    const observer = new RunObserver({ workDir: p.repo, mirror: p.mirror, stage: join(p.mirror, '..', 'stage.git'), lenient: true });
    observer.sync();
    const head = gitOk(p.repo, ['rev-parse', 'HEAD']).trim();
    const results = await probeGates({ repo: p.mirror, head, goals: GOALS.filter((g) => g.id !== 'nothing-planted'), setup: SETUP, timeoutS: 30, jobs: 1 });
    expect(results.every((r) => r.state === 'pass')).toBe(true);
  });

  test('fail closed: a gate that cannot get its own copy of the checkout as setup left it fails, it never runs on what another left', async () => {
    const dir = join(tempDir('gate-trees-'), 'tree');
    mkdirSync(dir);
    writeFileSync(join(dir, 'target.txt'), 'bad\n');
    const gone = await evaluateIsolated({ goals: [goal('a', 'true'), goal('b', 'true')], checkoutDir: join(dir, 'missing'), head: 'a'.repeat(40), defaultTimeoutS: 30 });
    expect(gone.map((r) => r.state)).toEqual(['fail', 'fail']);
    expect(gone[0]!.diagnostic).toStartWith('not run: could not set the checkout aside as setup left it');
    // Kept for one use only: the second gate finds nothing to copy, and fails without running.
    const trees = GateTrees.keep(dir, 1);
    try {
      const results = await evaluateGates({ goals: [goal('suite', 'echo ok > target.txt'), goal('check', 'grep -qx ok target.txt')], checkoutDir: dir, trees, head: 'a'.repeat(40), defaultTimeoutS: 30 });
      expect(states(results)).toEqual({ suite: 'pass', check: 'fail' });
      expect(results[1]!.diagnostic).toStartWith('not run: could not give it its own copy of the checkout as setup left it');
    } finally {
      trees.close();
    }
  });

  test('a gate that makes the unlistable parent listable again (it owns it) and writes into the kept checkout fools no later gate: they fail, not run', async () => {
    // The pod's gates runner calls evaluateIsolated on /checkouts/c-…/tree, as here.
    const dir = join(tempDir('gate-kept-'), 'c', 'tree');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'target.txt'), 'bad\n');
    const suite = 'chmod u+rwx .. && for d in ../.kept-*; do echo ok > "$d/target.txt"; done; echo ok > target.txt';
    const results = await evaluateIsolated({ goals: [goal('suite', suite), goal('lint', 'grep -qx ok target.txt'), goal('last', 'grep -qx ok target.txt')], checkoutDir: dir, head: 'a'.repeat(40), defaultTimeoutS: 30 });
    // Before the stamp: both read the suite's "ok" in the kept checkout and passed.
    expect(states(results)).toEqual({ suite: 'pass', lint: 'fail', last: 'fail' });
    expect(results[1]!.diagnostic).toContain('the checkout set aside after setup was changed by an earlier gate: "target.txt" was changed');
  });

  test('the stamp sees a rewrite of the same size made at once after it, and a file added', () => {
    const root = tempDir('tree-stamp-');
    const tree = join(root, 'tree');
    mkdirSync(join(tree, 'sub'), { recursive: true });
    writeFileSync(join(tree, 'sub', 'a.txt'), 'bad\n');
    const stamp = stampTree(tree, root);
    expect(treeChange(tree, stamp)).toBeNull();
    writeFileSync(join(tree, 'sub', 'a.txt'), 'ok!\n');
    expect(treeChange(tree, stamp)).toBe('"sub/a.txt" was changed');
    const again = stampTree(tree, root);
    writeFileSync(join(tree, 'sub', 'b.txt'), '');
    expect(treeChange(tree, again)).toBe('"sub" was changed');
  });

  test('a gate that rewrites the `peers` on its PATH (its own user may write there) fools no later `peers check` gate, in this probe or the next', async () => {
    const dir = join(tempDir('gate-shim-'), 'c', 'tree');
    mkdirSync(dir, { recursive: true });
    const forge = `printf '#!/bin/sh\\necho forged; exit 0\\n' > "$(command -v peers)" 2>/dev/null || { chmod u+w "$(dirname "$(command -v peers)")" && printf '#!/bin/sh\\necho forged; exit 0\\n' > "$(command -v peers)"; }; true`;
    // An unknown check id exits 2: red, whatever the tree holds. `peers check <id>` alone runs
    // first, before any gate that runs the peers' code; one inside a script runs in file order.
    const check = goal('check', 'peers check no-such-check');
    const first = await evaluateIsolated({ goals: [goal('suite', forge), goal('later', 'test -n x && peers check no-such-check')], checkoutDir: dir, head: 'a'.repeat(40), defaultTimeoutS: 60 });
    expect(states(first)).toEqual({ suite: 'pass', later: 'fail' });
    // The next probe (the next tick's, in the same gates runner).
    const next = await evaluateIsolated({ goals: [check], checkoutDir: dir, head: 'a'.repeat(40), defaultTimeoutS: 60 });
    expect(states(next)).toEqual({ check: 'fail' });
  });
});
