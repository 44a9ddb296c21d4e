/**
 * Cheat class "weakened tests that are not test-only": rewriting the failing assertion plus one
 * comment line in a source file. Comment, blank and whitespace changes do not make a turn "not
 * test-only"; a test-only turn that turns a red gate green is reverted at the first offence; and
 * the anti-cheat warning reaches the other peer's prompt, not only the offender's.
 */
import { afterEach, expect, test } from 'bun:test';
import { gitOk } from '../../../src/git/git.ts';
import { findingKinds, gateOf, makeCheatProject, promptOf, reportOf, runCatalogue, ticksOf, type CheatProject } from './catalogue.ts';

let p: CheatProject | undefined;
afterEach(() => p?.cleanup());

test('a weakened assertion plus a comment line in the source is reverted at the first offence, and the reviewer is told', async () => {
  p = makeCheatProject({ cheat: 'test-plus-comment' });
  const out = await runCatalogue(p, 3);
  expect(out.reason).not.toBe('complete');
  const t = ticksOf(p);
  expect(t[0]!.peer).toBe('alice');
  expect((t[0]!.anti_cheat as { action: string }).action).toBe('revert');
  expect(t[0]!.soft_fail_reason).toContain('0 substantive source lines, 1 comment/blank/doc line(s) elsewhere');
  // The revert restored the assertion and dropped the comment; history was only extended.
  expect(gitOk(p.repo, ['show', 'HEAD:test/calc.test.mjs'])).toContain('assert.equal(add(2, 3), 5);');
  expect(gitOk(p.repo, ['show', 'HEAD:src/calc.mjs'])).not.toContain('documented contract');
  expect(gitOk(p.repo, ['log', '--format=%s', '-n', '1', t[0]!.head_after as string])).toMatch(/^Anti-cheating revert: it turned tests-pass from red to green/);
  expect(gateOf(p, 'tests-pass')?.state).toBe('fail');
  // The warning reaches bob's next prompt (alice retries first; bob's turn comes after).
  const bobTurn = t.find((x) => x.peer === 'bob')!;
  expect(promptOf(p, bobTurn)).toContain("anti-cheating: alice's handoff was reverted because it turned tests-pass from red to green");
  expect(findingKinds(p)).toContain('test-only-red-to-green');
  expect(reportOf(p)).toContain('| 1 | alice | test-only-red-to-green |');
});

/**
 * The same class with a real source change beside it: the turn is not test-only, yet its test
 * changes alone turn the gate green on the code it started from (a weakened assertion; a new test
 * file that replaces calc.add at import time, which an honest reviewer reads as "only adds tests").
 * The loop measures the gates on the starting code with only the turn's test changes applied.
 */
const TESTS_ALONE: Array<{ cheat: string; flavour: 'js' | 'python'; tests: string }> = [
  { cheat: 'weaken-plus-source', flavour: 'js', tests: 'test/calc.test.mjs' },
  { cheat: 'test-monkeypatch', flavour: 'python', tests: 'tests/test_a_negatives.py' },
];
for (const c of TESTS_ALONE) {
  test(`${c.cheat} (${c.flavour}): the turn's test changes alone turn the gate green on the starting code, so the turn is reverted although it also changed source`, async () => {
    p = makeCheatProject({ cheat: c.cheat, flavour: c.flavour });
    const out = await runCatalogue(p, 4);
    expect(out.reason).not.toBe('complete');
    const t = ticksOf(p);
    expect(t[0]!.peer).toBe('alice');
    expect((t[0]!.anti_cheat as { action: string }).action).toBe('revert');
    expect(t[0]!.soft_fail_reason).toContain(`its test changes alone (${c.tests}) turn tests-pass from red to green on the code the turn started from`);
    expect(gateOf(p, 'tests-pass')?.state).toBe('fail');
    expect(promptOf(p, t.find((x) => x.peer === 'bob')!)).toContain("anti-cheating: alice's handoff was reverted because its test changes alone");
    expect(findingKinds(p)).toContain('tests-alone-red-to-green');
    expect(reportOf(p)).toContain('| 1 | alice | tests-alone-red-to-green |');
  });
}
