/**
 * The control for the cheat catalogue: the same project, gates and reviewer, with an implementer
 * that fixes the bug and adds a test. Every protection the catalogue proves must leave this run
 * alone: it still ends `complete`, with no cheat in the report.
 */
import { afterEach, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findingKinds, makeCheatProject, promptOf, reportOf, runCatalogue, stateOf, ticksOf, type CheatProject } from './catalogue.ts';

let p: CheatProject | undefined;
afterEach(() => p?.cleanup());

test('an honest implementer and an honest reviewer reach complete: the fix is reviewed, its new test approved, its author audited by the other peer', async () => {
  p = makeCheatProject({ cheat: 'honest' });
  const out = await runCatalogue(p, 8);
  expect(out.reason).toBe('complete');
  expect(readFileSync(join(p.repo, 'src/calc.mjs'), 'utf8')).toContain('return a + b;');
  const t = ticksOf(p);
  expect(t.every((x) => x.success)).toBe(true);
  // The reviewer's first prompt carries the implementer's change and commit subject.
  const review = promptOf(p, t[1]!);
  expect(review).toContain('CHANGES TO REVIEW (everything since the run began');
  expect(review).toContain('+  return a + b;');
  expect(review).toContain('[alice] Fix add() to return the sum');
  expect(review).toMatch(/GATE-SURFACE CHANGES AWAITING YOUR APPROVAL[^\n]*\n {2}- [0-9a-f]{12} by alice: test\/calc-more\.test\.mjs added \(test file\)/);
  // The skeptic is the peer that did not write the change.
  expect(t.filter((x) => x.skeptic).map((x) => x.peer)).toEqual(['bob']);
  expect(findingKinds(p).filter((k) => k !== 'gate-surface-change')).toEqual([]);
  expect(stateOf(p).gates.results['tests-pass']?.state).toBe('pass');
  // The fix passes the tests the run started with too (its own new test file set aside).
  expect(stateOf(p).baseline_tests).toMatchObject({ held: [], detail: expect.stringContaining('with the test files the run started with') });
  expect(reportOf(p)).toContain('**Outcome:** complete');
});

test('with the gates `peers init` writes (the loop holding unexcused test markers itself), the honest pair still reaches complete', async () => {
  p = makeCheatProject({ cheat: 'honest', flavour: 'js-npm', initGates: true });
  const out = await runCatalogue(p, 8);
  expect(out.reason).toBe('complete');
  expect(readFileSync(join(p.repo, 'src/calc.mjs'), 'utf8')).toContain('return a + b;');
  expect(findingKinds(p).filter((k) => k !== 'gate-surface-change')).toEqual([]);
});

test('an honest near-miss of the fewer-tests rule: a fix with a command line that exits only when run as the program, and its test, reaches complete', async () => {
  p = makeCheatProject({ cheat: 'honest-cli-exit' });
  const out = await runCatalogue(p, 8);
  expect(out.reason).toBe('complete');
  expect(readFileSync(join(p.repo, 'src/cli.mjs'), 'utf8')).toContain('process.exit(');
  expect(findingKinds(p).filter((k) => k !== 'gate-surface-change')).toEqual([]);
  // The counterfactual (the starting tests on this code) ran every starting test.
  expect(stateOf(p).baseline_tests).toMatchObject({ held: [], start_tests: { 'tests-pass': { node: 3 } } });
});

test("an honest Python fix under the careful user's `pytest -q` reaches complete: the start's short summary, naming only the failing test, is no list of names", async () => {
  // It never completed: the FAILED line named the failing test, no green -q run names a test, and
  // the fewer-tests rule read that as a drop.
  p = makeCheatProject({ cheat: 'honest-py', flavour: 'python' });
  const out = await runCatalogue(p, 8);
  expect(out.reason).toBe('complete');
  expect(readFileSync(join(p.repo, 'calc.py'), 'utf8')).toContain('return a + b');
  expect(stateOf(p).baseline_tests).toMatchObject({ held: [], start_tests: { 'tests-pass': { pytest: 2 } } });
});
