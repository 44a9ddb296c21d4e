/**
 * A failing gate's retries each run on a fresh checkout (src/loop/shell/fresh-retry-probe.ts): a
 * first attempt that writes into its checkout (the peers' code does, when a test suite runs it)
 * leaves nothing for the retry to read. With the real host gate probe and real shell gates.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HardGoalSchema, type HardGoal } from '../../../src/config/goals-schema.ts';
import { withCleanCheckout } from '../../../src/gates/clean-checkout.ts';
import { evaluateGates } from '../../../src/gates/gate-engine.ts';
import { gitOk } from '../../../src/git/git.ts';
import { withFreshRetries } from '../../../src/loop/shell/fresh-retry-probe.ts';
import { probeGates, type GateProbeOptions } from '../../../src/loop/shell/gate-probe.ts';
import type { GateInput } from '../../../src/loop/tick.ts';
import { removeSelfBinDir } from '../../../src/proc/self-exec.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

setDefaultTimeout(60_000);
afterAll(removeTempDirs);
afterAll(removeSelfBinDir);

let repo: string;
let head: string;
let counter: string;
const goal = (g: { id: string; cmd: string; retry_on_fail?: number }): HardGoal => HardGoalSchema.parse({ type: 'hard', pass_when: 'exit_code == 0', ...g });

beforeAll(() => {
  const dir = tempDir('peers-fresh-retry-');
  repo = join(dir, 'repo');
  counter = join(dir, 'attempts');
  gitOk(dir, ['init', '-q', '-b', 'main', repo]);
  writeFileSync(join(repo, 'tests.txt'), 'assert add(2, 3) == 5\n');
  gitOk(repo, ['add', '.']);
  gitOk(repo, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'start']);
  head = gitOk(repo, ['rev-parse', 'HEAD']).trim();
});

const options = (goals: HardGoal[]): GateProbeOptions => ({ repo, head, goals, timeoutS: 30, jobs: 1 });

test('a first attempt that rewrites the tests in its checkout fools no retry: every attempt reads the committed tests', async () => {
  // The attempt "runs the suite" (reads tests.txt) after the code under test rewrote it on disk.
  const cheat = goal({ id: 'suite', retry_on_fail: 2, cmd: `echo x >> ${counter}; grep -q 'assert True' tests.txt; s=$?; sed -i 's/^assert /assert True or /' tests.txt; exit $s` });
  // The premise: a second run in the checkout the first one left is fooled.
  await withCleanCheckout(repo, head, async (dir) => {
    const run = () => evaluateGates({ goals: [cheat], checkoutDir: dir, head, defaultTimeoutS: 30 });
    expect((await run())[0]!.state).toBe('fail');
    expect((await run())[0]!.state).toBe('pass');
  });
  // Each retry on a fresh checkout: all three attempts read the committed file and fail.
  writeFileSync(counter, '');
  const [r] = await withFreshRetries(probeGates)(options([cheat]));
  expect(r!.state).toBe('fail');
  expect(r!.diagnostic).toEndWith('(failed 3 attempts, each on a fresh checkout)');
  expect(Bun.file(counter).size).toBe(6);
  // Each attempt read the committed file: none was fooled.
});

test('the probe is asked once per attempt, only for goals still failing with attempts left, never with a retry of its own; the first pass wins and every attempt\'s time counts', async () => {
  const calls: Array<Array<{ id: string; retries: number }>> = [];
  const passOn: Record<string, number> = { flaky: 2, solid: 1 };
  const seen: Record<string, number> = {};
  const fake = async (o: GateProbeOptions): Promise<GateInput[]> => {
    calls.push(o.goals.map((g) => ({ id: g.id, retries: g.retry_on_fail })));
    return o.goals.map((g) => {
      seen[g.id] = (seen[g.id] ?? 0) + 1;
      const pass = seen[g.id]! >= (passOn[g.id] ?? Infinity);
      return { id: g.id, state: pass ? 'pass' : 'fail', durationMs: 10, cached: false, diagnostic: pass ? '' : 'red' };
    });
  };
  const results = await withFreshRetries(fake)(options([goal({ id: 'solid', cmd: 'x' }), goal({ id: 'flaky', cmd: 'x', retry_on_fail: 3 }), goal({ id: 'broken', cmd: 'x', retry_on_fail: 1 }), goal({ id: 'once', cmd: 'x' })]));
  expect(calls).toEqual([
    [{ id: 'solid', retries: 0 }, { id: 'flaky', retries: 0 }, { id: 'broken', retries: 0 }, { id: 'once', retries: 0 }],
    [{ id: 'flaky', retries: 0 }, { id: 'broken', retries: 0 }],
  ]);
  expect(results.map((r) => [r.id, r.state, r.durationMs, r.diagnostic])).toEqual([
    ['solid', 'pass', 10, ''],
    ['flaky', 'pass', 20, ''],
    ['broken', 'fail', 20, 'red (failed 2 attempts, each on a fresh checkout)'],
    ['once', 'fail', 10, 'red'],
  ]);
});
