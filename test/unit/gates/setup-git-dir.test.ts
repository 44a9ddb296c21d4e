/**
 * `setup` is the peers' code (an `npm ci` runs the lifecycle scripts of the package.json they
 * commit) and runs in the gate checkout, `.git` included. A `peers check` gate then reads history
 * through that `.git`: its HEAD, the attestation notes and the baseline tag. So setup must not be
 * able to choose what those checks judge (SECURITY.md, "Gates judge committed content only": a
 * `peers check` gate judges the commit the loop asked for, with the loop's notes). The pod's path
 * (`peers runner --probe-gates`) is in test/unit/sandbox/gates-remote.test.ts.
 */
import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigSchema } from '../../../src/config/config-schema.ts';
import { GoalsSchema, type HardGoal } from '../../../src/config/goals-schema.ts';
import { runVerify } from '../../../src/gates/verify-run.ts';
import { GateCheckout } from '../../../src/gates/gate-checkout.ts';
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
 * What a peer's install script does to the checkout's git dir before the gates: each way makes
 * `peers check deps-justified` judge something other than the commit (the base, where no
 * dependency was added yet).
 */
export const SETUP_GIT_TAMPERS: Record<string, string> = {
  'HEAD moved to the parent': 'git rev-parse HEAD~1 > .git/HEAD.new && mv .git/HEAD.new .git/HEAD',
  'a commit of its own on top, taking the dependency back out': "git checkout -q HEAD~1 -- package.json && git -c user.name=x -c user.email=x@x commit -qm drop && git checkout -q HEAD~1 -- package.json",
  'HEAD moved, then .git made read-only': 'git rev-parse HEAD~1 > .git/HEAD.new && mv .git/HEAD.new .git/HEAD && chmod -R a-w .git',
  '.git swapped for a link to a copy whose HEAD is the parent': 'g=$(mktemp -d) && cp -a .git/. "$g" && git rev-parse HEAD~1 > "$g/HEAD" && rm -rf .git && ln -s "$g" .git',
};

function project(): { repo: string; mirror: string; head: string; base: string } {
  const root = tempDir('setup-git-dir-');
  const repo = join(root, 'repo');
  mkdirSync(repo);
  gitOk(repo, ['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, 'package.json'), '{"name":"app","dependencies":{}}\n');
  gitOk(repo, ['add', '-A']);
  gitOk(repo, [...ID, 'commit', '-q', '-m', 'start']);
  const base = gitOk(repo, ['rev-parse', 'HEAD']).trim();
  // The peer's commit: a dependency nobody justified, and the install script.
  writeFileSync(join(repo, 'package.json'), '{"name":"app","dependencies":{"left-pad":"1.3.0"}}\n');
  gitOk(repo, ['add', '-A']);
  gitOk(repo, [...ID, 'commit', '-q', '-m', 'add left-pad']);
  const observer = new RunObserver({ workDir: repo, mirror: join(root, 'mirror.git'), stage: join(root, 'stage.git'), lenient: true });
  observer.sync();
  return { repo, mirror: observer.mirror, head: gitOk(repo, ['rev-parse', 'HEAD']).trim(), base };
}

const GOALS = [goal('deps', 'peers check deps-justified'), goal('head-is-the-commit', 'test "$(git rev-parse HEAD)" = "$EXPECT_HEAD"')];

describe("setup cannot choose the history a gate's `peers check` judges", () => {
  test('control: without tampering the check fails on the unjustified dependency', async () => {
    const p = project();
    const results = await probeGates({ repo: p.mirror, head: p.head, goals: GOALS.slice(0, 1), setup: 'true', timeoutS: 60, jobs: 1, runBaseline: p.base });
    expect(results.map((r) => r.state)).toEqual(['fail']);
    expect(results[0]!.diagnostic).toContain('left-pad');
  });

  for (const [name, tamper] of Object.entries(SETUP_GIT_TAMPERS)) {
    test(`${name}: the check still judges the commit (reused and throwaway checkouts)`, async () => {
      const p = project();
      const env = { ...(process.env as Record<string, string>), EXPECT_HEAD: p.head };
      const checkout = new GateCheckout();
      checkouts.push(checkout);
      for (const probe of [probeGatesIn(checkout), probeGates]) {
        const results = await probe({ repo: p.mirror, head: p.head, goals: GOALS, setup: tamper, timeoutS: 60, jobs: 1, runBaseline: p.base, env });
        expect(Object.fromEntries(results.map((r) => [r.id, r.state]))).toEqual({ deps: 'fail', 'head-is-the-commit': 'pass' });
      }
      // What setup left of .git goes, a read-only one too: the checkout closes cleanly.
      expect(() => checkout.close()).not.toThrow();
    });
  }

  test('`peers verify` on the user\'s repository: setup moving HEAD changes nothing either', async () => {
    const p = project();
    const config = ConfigSchema.parse({ peers: [{ name: 'a', tool: 'custom', argv: ['cat'] }, { name: 'b', tool: 'custom', argv: ['cat'] }], setup: SETUP_GIT_TAMPERS['HEAD moved to the parent'] });
    // Outside a run the baseline is the peers-baseline tag (run-baseline.ts).
    gitOk(p.repo, ['tag', 'peers-baseline', p.base]);
    const report = await runVerify({ repo: p.repo, config, goals: GoalsSchema.parse({ goals: [GOALS[0]] }), jobs: 1 });
    expect(report.hard.map((r) => r.state)).toEqual(['fail']);
    expect(report.ok).toBe(false);
  });
});

/**
 * What setup (the peers' code) does to the commit's own files before the gates: each way made the
 * gates read a product the commit does not hold. `src/calc.txt` holds `sum` in no commit here.
 */
const SETUP_FILE_TAMPERS: Record<string, string> = {
  'a tracked file rewritten': 'echo sum > package.json',
  'a tracked file deleted and made again as a link': 'f=$(mktemp) && printf sum > "$f" && rm package.json && ln -s "$f" package.json',
  "a tracked file's directory made a link to a copy holding another file": 'd=$(mktemp -d) && echo sum > "$d/calc.txt" && rm -rf src && ln -s "$d" src',
  'a tracked file made executable and rewritten': 'echo sum > src/calc.txt && chmod +x src/calc.txt',
  'a tracked file deleted': 'rm src/calc.txt',
};

describe("setup cannot change the commit's files the gates read", () => {
  function withProduct(): { mirror: string; head: string; repo: string } {
    const p = project();
    mkdirSync(join(p.repo, 'src'));
    writeFileSync(join(p.repo, 'src/calc.txt'), 'difference\n');
    gitOk(p.repo, ['add', '-A']);
    gitOk(p.repo, [...ID, 'commit', '-q', '-m', 'the product']);
    const observer = new RunObserver({ workDir: p.repo, mirror: p.mirror, stage: join(p.repo, '..', 'stage.git'), lenient: true });
    observer.sync();
    return { mirror: p.mirror, head: gitOk(p.repo, ['rev-parse', 'HEAD']).trim(), repo: p.repo };
  }
  // The gates read the commit's bytes and modes, and what setup added beside them (build/) is still there.
  const READS = [
    goal('calc-is-committed', 'test "$(cat src/calc.txt)" = difference && test ! -L src && test ! -x src/calc.txt'),
    goal('package-is-committed', 'test ! -L package.json && grep -q left-pad package.json'),
    goal('setup-output-kept', 'test -f build/out.txt'),
  ];

  for (const [name, tamper] of Object.entries(SETUP_FILE_TAMPERS)) {
    test(`${name}: every gate reads the commit's file (reused and throwaway checkouts)`, async () => {
      const p = withProduct();
      const checkout = new GateCheckout();
      checkouts.push(checkout);
      for (const probe of [probeGatesIn(checkout), probeGates]) {
        const results = await probe({ repo: p.mirror, head: p.head, goals: READS, setup: `mkdir -p build && echo built > build/out.txt && ${tamper}`, timeoutS: 60, jobs: 1 });
        expect(Object.fromEntries(results.map((r) => [r.id, r.state]))).toEqual({ 'calc-is-committed': 'pass', 'package-is-committed': 'pass', 'setup-output-kept': 'pass' });
      }
    });
  }

  test('`peers verify` too: a setup that rewrites a tracked file changes nothing a gate reads', async () => {
    const p = withProduct();
    const config = ConfigSchema.parse({ peers: [{ name: 'a', tool: 'custom', argv: ['cat'] }, { name: 'b', tool: 'custom', argv: ['cat'] }], setup: 'mkdir -p build && echo built > build/out.txt && echo sum > src/calc.txt' });
    const report = await runVerify({ repo: p.repo, config, goals: GoalsSchema.parse({ goals: READS }), jobs: 1 });
    expect(report.hard.map((r) => [r.id, r.state])).toEqual([['calc-is-committed', 'pass'], ['package-is-committed', 'pass'], ['setup-output-kept', 'pass']]);
  });
});
