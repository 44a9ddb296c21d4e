/**
 * The code a turn started from with only its test changes: the entries chosen from a raw diff,
 * and the commit built in a repository (tests-alone.ts).
 */
import { afterEach, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { testsAloneCommit, testSideEntries } from '../../../src/protocol/tests-alone.ts';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

const Z = '0'.repeat(40);
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

test('only test paths are taken: added and modified with their new blob, deleted as mode 0; source and a test moved out of the tests (its deletion) apart', () => {
  const raw = [`:000000 100644 ${Z} ${A} A`, 'tests/test_new.py', `:100644 100644 ${B} ${A} M`, 'calc.py', `:100644 000000 ${B} ${Z} D`, 'test/calc.test.mjs', `:000000 100644 ${Z} ${B} A`, 'old/calc.mjs', `:100644 100755 ${B} ${A} M`, 'tests/run.py', ''].join('\0');
  const side = testSideEntries(raw);
  expect(side.paths).toEqual(['tests/test_new.py', 'test/calc.test.mjs', 'tests/run.py']);
  expect(side.indexInfo).toBe(`100644 ${A}\ttests/test_new.py\0` + `0 ${Z}\ttest/calc.test.mjs\0` + `100755 ${A}\ttests/run.py\0`);
  expect(testSideEntries(`:100644 100644 ${B} ${A} M\0calc.py\0`).paths).toEqual([]);
});

test("the commit has the starting tree with the turn's test changes only, its parent is the starting commit, and no ref names it", () => {
  dir = mkdtempSync(join(tmpdir(), 'peers-tests-alone-'));
  const write = (rel: string, text: string) => {
    mkdirSync(dirname(join(dir!, rel)), { recursive: true });
    writeFileSync(join(dir!, rel), text);
  };
  const id = ['-c', 'user.name=t', '-c', 'user.email=t@t'];
  gitOk(dir, ['init', '-q', '-b', 'main']);
  write('calc.py', 'def add(a, b):\n    return a - b\n');
  write('tests/test_calc.py', 'from calc import add\n');
  write('tests/test_gone.py', 'x = 1\n');
  gitOk(dir, ['add', '-A']);
  gitOk(dir, [...id, 'commit', '-qm', 'start']);
  const before = gitOk(dir, ['rev-parse', 'HEAD']).trim();
  write('calc.py', 'def add(a, b):\n    return a - b\nVERSION = 1\n');
  write('tests/test_a_negatives.py', 'import calc\ncalc.add = lambda a, b: a + b\n');
  gitOk(dir, ['rm', '-q', 'tests/test_gone.py']);
  gitOk(dir, ['add', '-A']);
  gitOk(dir, [...id, 'commit', '-qm', 'turn']);
  const after = gitOk(dir, ['rev-parse', 'HEAD']).trim();
  const made = testsAloneCommit(dir, before, after)!;
  expect(made.paths.sort()).toEqual(['tests/test_a_negatives.py', 'tests/test_gone.py']);
  expect(gitOk(dir, ['rev-parse', `${made.sha}^`]).trim()).toBe(before);
  expect(gitOk(dir, ['ls-tree', '-r', '--name-only', made.sha]).trim().split('\n')).toEqual(['calc.py', 'tests/test_a_negatives.py', 'tests/test_calc.py']);
  expect(gitOk(dir, ['show', `${made.sha}:calc.py`])).toBe('def add(a, b):\n    return a - b\n');
  expect(gitOk(dir, ['for-each-ref', '--points-at', made.sha])).toBe('');
  expect(gitOk(dir, ['rev-parse', 'HEAD']).trim()).toBe(after);
  // A turn that changed no test has nothing to measure.
  write('calc.py', 'def add(a, b):\n    return a + b\n');
  gitOk(dir, [...id, 'commit', '-qam', 'fix']);
  expect(testsAloneCommit(dir, after, gitOk(dir, ['rev-parse', 'HEAD']).trim())).toBeUndefined();
});
