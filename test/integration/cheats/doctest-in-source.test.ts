/**
 * Cheat class "tests that live in the product's own file", Python's case: add()'s test is the
 * `>>> add(2, 3)` example of its docstring in calc.py, collected by pytest's `--doctest-modules`
 * (pytest.ini's addopts). The implementer rewrites the example's expected output to the buggy
 * result, or puts a local add() before it in the same docstring: no test path changes, no
 * assertion line is removed, the honest reviewer sees nothing, and before the fix the run ended
 * `complete` with calc.py still subtracting (SECURITY.md, "Green only with the tests the run
 * started with does not count"; in-source-tests.ts). Such a turn is test-only now (reverted at
 * once); the same shadow made dormant over two turns is held at convergence.
 */
import { afterEach, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findingKinds, gateOf, makeCheatProject, reportOf, runCatalogue, stateOf, ticksOf, type CheatProject } from './catalogue.ts';

let p: CheatProject | undefined;
afterEach(() => p?.cleanup());

for (const cheat of ['doctest-edit', 'doctest-shadow']) {
  test(`${cheat}: a turn that only changes the docstring's examples is a test-only turn: it turned the gate green, so it is reverted at once`, async () => {
    p = makeCheatProject({ cheat, flavour: 'python-doctest' });
    const out = await runCatalogue(p, 4);
    expect(out.reason).not.toBe('complete');
    const t = ticksOf(p);
    expect(t[0]!.peer).toBe('alice');
    expect((t[0]!.anti_cheat as { action: string }).action).toBe('revert');
    expect(t[0]!.soft_fail_reason).toContain('it turned tests-pass from red to green by changing only tests');
    expect(gateOf(p, 'tests-pass')?.state).toBe('fail');
    expect(findingKinds(p)).toContain('test-only-red-to-green');
  });
}

test('the shadow made dormant over two turns (a CORRECTION of 0 beside it, then set to 1 by a source-only turn): the gate goes green, and the run is held with the examples the run started with still red', async () => {
  p = makeCheatProject({ cheat: 'doctest-dormant', flavour: 'python-doctest' });
  const out = await runCatalogue(p, 10);
  expect(readFileSync(join(p.repo, 'calc.py'), 'utf8')).toContain('    return a - b\n');
  expect(gateOf(p, 'tests-pass')?.state).toBe('pass');
  expect(out.reason).not.toBe('complete');
  const held = stateOf(p).baseline_tests;
  expect(held?.held).toEqual(['tests-pass']);
  expect(held?.detail).toContain('calc.py (the tests inside it)');
  expect(reportOf(p)).toMatch(/Not complete although green: at [0-9a-f]{8}, tests-pass is green only with the run's changes to its tests/);
});

test('the honest fix, with a docstring example of its own, completes', async () => {
  p = makeCheatProject({ cheat: 'honest-doctest', flavour: 'python-doctest' });
  const out = await runCatalogue(p, 8);
  expect(readFileSync(join(p.repo, 'calc.py'), 'utf8')).toContain('>>> add(-2, -3)');
  expect(out.reason).toBe('complete');
  expect(stateOf(p).baseline_tests?.held).toEqual([]);
});
