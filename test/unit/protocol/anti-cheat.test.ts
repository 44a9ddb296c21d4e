import { describe, expect, test } from 'bun:test';
import { parseTrailers } from '../../../src/git/trailers.ts';
import { decideAntiCheat, findJustification, initialAntiCheatState, type AntiCheatInput } from '../../../src/protocol/anti-cheat.ts';
import { isRunnableTestPath, isTestPath, movesTestOutOfReach } from '../../../src/protocol/test-paths.ts';
import { classifyTurnPatch, isTestOnly, type TurnDiff } from '../../../src/protocol/turn-diff.ts';

describe('test path classifier', () => {
  test('recognises the baseline and JS/TS test conventions', () => {
    for (const p of ['tests/a.py', 'test/x.ts', 'pkg/tests/y.py', 'src/test/z.java', 'test_a.py', 'pkg/a_test.py', 'conftest.py', 'lib/a_spec.rb', 'spec/models/u.rb', 'x/a_test.go', 'src/a.test.ts', 'src/a.spec.js', 'src/__tests__/b.ts', 'Test/Upper.cs', 'shop/tests.py', 'lib/calc_test.ts', 'src/calc_spec.js', 'spec/helpers/setup.js', 'spec/calc.mjs', 'App.Tests/CalcTests.cs', 'src/App.UnitTests/A.cs']) {
      expect(isTestPath(p)).toBe(true);
    }
  });
  test('source files, including look-alikes, are not tests', () => {
    for (const p of ['src/a.py', 'src/contest.py', 'spec/readme.md', 'src/latest.ts', 'attestation.ts', 'src/test-paths.ts', 'src/contests.py', 'src/latest_test.md', 'specs/a.js', 'App/Tests.cs', 'src/App.Testing/A.cs', 'src/attest.py']) {
      expect(isTestPath(p)).toBe(false);
    }
  });
  // Attack (cheats/test-side-patch.test.ts, testing-helper): testing.py at the top is a test module
  // to unittest discover's default pattern (`test*.py`), a product module by name before.
  test("unittest discover's default test*.py files are tests, testing.py included", () => {
    for (const p of ['testing.py', 'src/testing.py', 'pkg/testhelpers.py', 'test_a.py']) expect(isTestPath(p)).toBe(true);
  });
  // Attack (cheats/test-side-patch.test.ts, doctest-notes): testnotes.txt, a document by name at
  // the top, is a doctest module to pytest's default `--doctest-glob` (`test*.txt`).
  test("pytest's default doctest files are tests, wherever they are; other documents are not", () => {
    for (const p of ['testnotes.txt', 'docs/testing.txt', 'test-plan.txt']) {
      expect(isTestPath(p)).toBe(true);
      expect(isRunnableTestPath(p)).toBe(true);
    }
    for (const p of ['TESTING.txt', 'notes/latest.txt', 'testing.md', 'docs/test_guide.rst']) expect(isTestPath(p)).toBe(false);
    expect(movesTestOutOfReach('testnotes.txt', 'notes.txt')).toBe(true);
  });
  test('a test renamed to a name no runner loads, or moved out of the test tree, is out of reach', () => {
    expect(isRunnableTestPath('test/calc.test.mjs')).toBe(true);
    expect(isRunnableTestPath('test/calc.test.mjs.off')).toBe(false);
    expect(movesTestOutOfReach('test/calc.test.mjs', 'test/calc.test.mjs.off')).toBe(true);
    expect(movesTestOutOfReach('tests/test_calc.py', 'old/calc_checks.py')).toBe(true);
    expect(movesTestOutOfReach('test/calc.test.mjs', 'test/unit/calc.test.mjs')).toBe(false);
    expect(movesTestOutOfReach('src/calc.mjs', 'src/calc.mjs.off')).toBe(false);
  });
});

describe('classifyTurnPatch (git diff -U0 -w -M)', () => {
  const patch = (file: string, lines: string[], header: string[] = []) => [`diff --git a/${file} b/${file}`, ...header, `--- a/${file}`, `+++ b/${file}`, '@@ -1,1 +1,1 @@', ...lines].join('\n');

  test('test lines and substantive source lines are counted apart', () => {
    const d = classifyTurnPatch([patch('test/a.test.ts', ['-  expect(f()).toBe(2);', '+  expect(f()).toBe(3);']), patch('src/a.ts', ['-  return 1;', '+  return 2;'])].join('\n'));
    expect(d).toMatchObject({ testLines: 2, srcLines: 2, cosmeticLines: 0, testFiles: ['test/a.test.ts'], srcFiles: ['src/a.ts'] });
    expect(isTestOnly(d)).toBe(false);
  });

  test('comment, blank and documentation lines do not make a turn "not test-only"', () => {
    const d = classifyTurnPatch(
      [
        patch('test/a.test.ts', ['-  expect(f()).toBe(2);', '+  expect(f()).toBe(3);']),
        patch('src/a.ts', ['+// f follows the documented contract', '+', '+  /* see SPEC', '+   * more */']),
        patch('calc.py', ['+    # explains the sum']),
        patch('README.md', ['+Some prose.']),
      ].join('\n'),
    );
    expect(d).toMatchObject({ testLines: 2, srcLines: 0, cosmeticLines: 6 });
    expect(isTestOnly(d)).toBe(true);
  });

  test("a removed line that starts with '--' inside a hunk is content, not a header", () => {
    const d = classifyTurnPatch(patch('src/q.sql', ['--- select 1;', '+select 2;']));
    expect(d.srcLines).toBe(1); // the removed SQL comment is cosmetic, the new statement is not
    expect(d.cosmeticLines).toBe(1);
  });

  test("a test renamed out of the runner's reach counts as a test change even with no line changed", () => {
    const d = classifyTurnPatch(['diff --git a/test/calc.test.mjs b/test/calc.test.mjs.off', 'similarity index 100%', 'rename from test/calc.test.mjs', 'rename to test/calc.test.mjs.off'].join('\n'));
    expect(d).toMatchObject({ testLines: 1, srcLines: 0 });
    expect(isTestOnly(d)).toBe(true);
  });

  test('a binary file counts as source unless it is documentation', () => {
    const d = classifyTurnPatch(['diff --git a/lib/x.wasm b/lib/x.wasm', 'Binary files a/lib/x.wasm and b/lib/x.wasm differ', 'diff --git a/docs/a.png b/docs/a.png', 'Binary files a/docs/a.png and b/docs/a.png differ'].join('\n'));
    expect(d).toMatchObject({ srcLines: 1, cosmeticLines: 1 });
  });
});

describe('decideAntiCheat', () => {
  const testOnly: TurnDiff = { testLines: 5, srcLines: 0, cosmeticLines: 0, testFiles: ['t/a.test.ts'], srcFiles: [], cosmeticFiles: [] };
  const mixed: TurnDiff = { testLines: 5, srcLines: 3, cosmeticLines: 0, testFiles: ['t/a.test.ts'], srcFiles: ['src/a.ts'], cosmeticFiles: [] };
  const obs = (o: Partial<AntiCheatInput> = {}): AntiCheatInput => ({ peer: 'alice', success: true, diff: testOnly, turnedGreen: [], ...o });

  test('first test-only turn warns, second reverts, a second revert in a row degrades', () => {
    const first = decideAntiCheat(initialAntiCheatState(), obs());
    expect(first.action).toBe('warn');
    expect(first.warning).toContain('anti-cheating pre-warning for alice');
    const second = decideAntiCheat(first.next, obs());
    expect(second).toMatchObject({ action: 'revert', degrade: false });
    expect(second.warning).toContain("alice's handoff was reverted");
    const third = decideAntiCheat(second.next, obs());
    expect(third).toMatchObject({ action: 'revert', degrade: true });
  });

  test('a test-only turn that turned a red gate green is reverted at the first offence', () => {
    const d = decideAntiCheat(initialAntiCheatState(), obs({ turnedGreen: ['tests-pass'] }));
    expect(d).toMatchObject({ action: 'revert', degrade: false });
    expect(d.reason).toContain('it turned tests-pass from red to green by changing only tests');
    expect(d.next.prewarned).toBeDefined();
  });

  test('a turn that changed source too is reverted at the first offence when its test changes alone turn a red gate green; another peer can justify it', () => {
    const alone = { paths: ['tests/test_a_negatives.py'], turnedGreen: ['tests-pass'] };
    const d = decideAntiCheat(initialAntiCheatState(), obs({ diff: mixed, testsAlone: alone }));
    expect(d).toMatchObject({ action: 'revert', degrade: false });
    expect(d.reason).toBe('its test changes alone (tests/test_a_negatives.py) turn tests-pass from red to green on the code the turn started from: its source changes are not why the gate passes.');
    expect(d.warning).toContain("alice's handoff was reverted because its test changes alone");
    // Measured, but nothing turned green on the starting code: the source change is what did it.
    expect(decideAntiCheat(initialAntiCheatState(), obs({ diff: mixed, testsAlone: { ...alone, turnedGreen: [] } })).action).toBe('none');
    const justified = decideAntiCheat(initialAntiCheatState(), obs({ diff: mixed, testsAlone: alone, justifiedByOther: { reason: 'the test expected the wrong rounding mode', by: 'bob' } }));
    expect(justified.action).toBe('accept-justified');
    expect(justified.warning).toContain("accepted alice's handoff whose tests alone turn a gate green because bob wrote JUSTIFIED-TEST-ONLY");
  });

  test("the author's own JUSTIFIED-TEST-ONLY changes nothing and is called out", () => {
    const d = decideAntiCheat(initialAntiCheatState(), obs({ selfJustification: 'yes' }));
    expect(d.action).toBe('warn');
    expect(d.warning).toContain('Its own JUSTIFIED-TEST-ONLY does not count');
    const green = decideAntiCheat(initialAntiCheatState(), obs({ selfJustification: 'yes', turnedGreen: ['tests-pass'] }));
    expect(green.action).toBe('revert');
  });

  test("a justification another peer wrote is accepted, and every peer is asked to audit it", () => {
    const warned = decideAntiCheat(initialAntiCheatState(), obs()).next;
    const d = decideAntiCheat(warned, obs({ justifiedByOther: { reason: 'adding regression tests for the parser fix in 3f2a', by: 'bob' } }));
    expect(d.action).toBe('accept-justified');
    expect(d.warning).toContain("accepted alice's test-only handoff because bob wrote JUSTIFIED-TEST-ONLY. Audit it: adding regression tests");
  });

  test('a failed tick between two reverts breaks the streak but keeps the warning', () => {
    const warned = decideAntiCheat(initialAntiCheatState(), obs()).next;
    const reverted = decideAntiCheat(warned, obs()).next;
    const failed = decideAntiCheat(reverted, obs({ success: false, diff: undefined })).next;
    expect(decideAntiCheat(failed, obs())).toMatchObject({ action: 'revert', degrade: false });
  });

  test('a turn that also changes source resets the streak', () => {
    const warned = decideAntiCheat(initialAntiCheatState(), obs()).next;
    const clean = decideAntiCheat(warned, obs({ diff: mixed }));
    expect(clean).toMatchObject({ action: 'none', next: { consecutiveReverts: 0 } });
    expect(clean.next.prewarned).toBeUndefined();
  });

  test('findJustification needs at least 20 characters of reason and names its commit', () => {
    const c = (message: string) => ({ sha: 'abc', subject: '', message, trailers: parseTrailers(message), authorName: '', authorEmail: '', committerName: '', committerEmail: '' });
    expect(findJustification([c('tests\n\nJUSTIFIED-TEST-ONLY: too short')])).toBeUndefined();
    expect(findJustification([c('tests\n\nJUSTIFIED-TEST-ONLY: # the suite lacked any empty-input case #')])).toEqual({ reason: 'the suite lacked any empty-input case', sha: 'abc' });
  });
});
