/**
 * What a turn changed, as the test-only rule of anti-cheat sees it: the scan over `git diff -U0 -w
 * -M` text written as git prints it (no git), then the git adapter on a real repository. A wrong
 * count here either reverts an honest turn or lets a turn that only edited tests through.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { isCosmeticLine } from '../../../src/protocol/comment-lines.ts';
import { classifyTurnPatch, isTestOnly, testPathReader, turnDiff } from '../../../src/protocol/turn-diff.ts';
import { scanRangeForTestMarkers } from '../../../src/protocol/test-markers.ts';
import { makeRepo, type Repo } from './git-fixture.ts';

const diff = (...lines: string[]) => lines.join('\n');
const modified = (file: string, ...body: string[]) => [`diff --git a/${file} b/${file}`, 'index 587be6b..0089992 100644', `--- a/${file}`, `+++ b/${file}`, '@@ -1 +1 @@', ...body];

describe('a turn that only edits tests', () => {
  test('a test edit plus a source comment is test-only; one real source line is not', () => {
    const onlyTests = classifyTurnPatch(diff(...modified('test/a.test.ts', '-  expect(f()).toBe(2);', '+  expect(f()).toBe(3);'), ...modified('src/a.ts', '+// why f is 3')));
    expect(onlyTests).toEqual({ testLines: 2, srcLines: 0, cosmeticLines: 1, testFiles: ['test/a.test.ts'], srcFiles: [], cosmeticFiles: ['src/a.ts'] });
    expect(isTestOnly(onlyTests)).toBe(true);
    const withSource = classifyTurnPatch(diff(...modified('test/a.test.ts', '+  expect(f()).toBe(3);'), ...modified('src/a.ts', '+  return 3;')));
    expect(isTestOnly(withSource)).toBe(false);
  });

  test('a fix in a source file named like a document (src/license.ts) with its test is not test-only', () => {
    const d = classifyTurnPatch(diff(...modified('test/license.test.ts', '+  expect(spdx()).toBe("MIT");'), ...modified('src/license.ts', '+  return "MIT";')));
    expect(d).toMatchObject({ testLines: 1, srcLines: 1, srcFiles: ['src/license.ts'] });
    expect(isTestOnly(d)).toBe(false);
  });

  test('a turn that changed nothing, or only comments, is not a test-only turn', () => {
    expect(isTestOnly(classifyTurnPatch(''))).toBe(false);
    expect(isTestOnly(classifyTurnPatch(diff(...modified('src/a.ts', '+// a note'))))).toBe(false);
    expect(isTestOnly(undefined)).toBe(false);
  });

  test('each file is listed once in its bucket however many lines it changed, and every file is listed', () => {
    const d = classifyTurnPatch(
      diff(...modified('test/a.test.ts', '-a', '+b', '+c'), ...modified('test/b.test.ts', '+d'), ...modified('src/a.ts', '+x();', '+// y', '+z();', '+// w'), ...modified('README.md', '+one', '+two')),
    );
    expect(d).toEqual({ testLines: 4, srcLines: 2, cosmeticLines: 4, testFiles: ['test/a.test.ts', 'test/b.test.ts'], srcFiles: ['src/a.ts'], cosmeticFiles: ['src/a.ts', 'README.md'] });
  });

  test('a deleted test file counts as test lines under its own name', () => {
    const d = classifyTurnPatch(diff('diff --git a/test/k.test.ts b/test/k.test.ts', 'deleted file mode 100644', 'index d00491f..0000000', '--- a/test/k.test.ts', '+++ /dev/null', '@@ -1,2 +0,0 @@', "-test('k', () => {", '-});'));
    expect(d).toMatchObject({ testLines: 2, srcLines: 0, testFiles: ['test/k.test.ts'] });
    expect(isTestOnly(d)).toBe(true);
  });

  test('a new source file counts as source under its own name', () => {
    const d = classifyTurnPatch(diff('diff --git a/src/n.ts b/src/n.ts', 'new file mode 100644', 'index 0000000..3e75765', '--- /dev/null', '+++ b/src/n.ts', '@@ -0,0 +1 @@', '+export const n = 1;'));
    expect(d).toMatchObject({ testLines: 0, srcLines: 1, srcFiles: ['src/n.ts'] });
  });

  test('a header line and "\\ No newline at end of file" are not changed lines', () => {
    const d = classifyTurnPatch(diff(...modified('src/a.ts', '-x()', '\\ No newline at end of file', '+y()', '\\ No newline at end of file')));
    expect(d).toMatchObject({ srcLines: 2, cosmeticLines: 0, testLines: 0 });
  });
});

describe('renamed and binary files', () => {
  test('a test moved out of the runner\'s reach with an edit counts the move once plus each changed line, as test lines', () => {
    const d = classifyTurnPatch(
      diff('diff --git a/test/a.test.ts b/old.ts', 'similarity index 66%', 'rename from test/a.test.ts', 'rename to old.ts', 'index de98044..7be73ce 100644', '--- a/test/a.test.ts', '+++ b/old.ts', '@@ -2 +2 @@ a', '-  expect(f()).toBe(2);', '+  expect(f()).toBe(3);'),
    );
    expect(d).toEqual({ testLines: 3, srcLines: 0, cosmeticLines: 0, testFiles: ['old.ts'], srcFiles: [], cosmeticFiles: [] });
  });

  test('a test moved within the test tree changes nothing by moving; a source file renamed is source', () => {
    const moved = classifyTurnPatch(diff('diff --git a/test/a.test.ts b/test/unit/a.test.ts', 'similarity index 100%', 'rename from test/a.test.ts', 'rename to test/unit/a.test.ts'));
    expect(moved.testLines).toBe(0);
    const src = classifyTurnPatch(
      diff('diff --git a/src/a.ts b/src/b.ts', 'similarity index 80%', 'rename from src/a.ts', 'rename to src/b.ts', 'index de98044..7be73ce 100644', '--- a/src/a.ts', '+++ b/src/b.ts', '@@ -2 +2 @@', '-x()', '+y()'),
    );
    expect(src).toMatchObject({ testLines: 0, srcLines: 2, srcFiles: ['src/b.ts'] });
  });

  test('a rename of a test earlier in the diff does not make a later source file a test', () => {
    const d = classifyTurnPatch(diff('diff --git a/test/a.test.ts b/test/unit/a.test.ts', 'similarity index 100%', 'rename from test/a.test.ts', 'rename to test/unit/a.test.ts', ...modified('src/a.ts', '+x();')));
    expect(d).toMatchObject({ testLines: 0, srcLines: 1, srcFiles: ['src/a.ts'] });
  });

  test('a test helper moved out of tests/ is a test change, though its name alone does not say test', () => {
    const d = classifyTurnPatch(diff('diff --git a/tests/helpers.py b/lib/helpers.py', 'similarity index 100%', 'rename from tests/helpers.py', 'rename to lib/helpers.py'));
    expect(d).toMatchObject({ testLines: 1, srcLines: 0, testFiles: ['lib/helpers.py'] });
    expect(isTestOnly(d)).toBe(true);
  });

  test('a name with a space and " b/" in it is read from the +++ line, without the tab git ends it with', () => {
    // As git prints it: the `diff --git` line cannot be split unambiguously, and `+++` ends in a tab.
    const d = classifyTurnPatch(
      diff(
        'diff --git a/tests/plan b/check.py b/tests/plan b/check.py',
        'index 7d4290a..407de30 100644',
        '--- a/tests/plan b/check.py\t',
        '+++ b/tests/plan b/check.py\t',
        '@@ -1 +1 @@',
        '-x = 1',
        '+x = 2',
        'diff --git a/docs/release notes.md b/docs/release notes.md',
        'index 7d4290a..407de30 100644',
        '--- a/docs/release notes.md\t',
        '+++ b/docs/release notes.md\t',
        '@@ -1 +1 @@',
        '+More prose.',
      ),
    );
    expect(d).toEqual({ testLines: 2, srcLines: 0, cosmeticLines: 1, testFiles: ['tests/plan b/check.py'], srcFiles: [], cosmeticFiles: ['docs/release notes.md'] });
    expect(isTestOnly(d)).toBe(true);
  });

  test('a binary source file alone is a source change', () => {
    const d = classifyTurnPatch(diff('diff --git a/lib/x.wasm b/lib/x.wasm', 'index cf2d769..bdc955b 100644', 'Binary files a/lib/x.wasm and b/lib/x.wasm differ'));
    expect(d).toEqual({ testLines: 0, srcLines: 1, cosmeticLines: 0, testFiles: [], srcFiles: ['lib/x.wasm'], cosmeticFiles: [] });
  });

  test('a binary test fixture counts as a test change', () => {
    const d = classifyTurnPatch(diff('diff --git a/test/pic.bin b/test/pic.bin', 'index cf2d769..bdc955b 100644', 'Binary files a/test/pic.bin and b/test/pic.bin differ'));
    expect(d).toEqual({ testLines: 1, srcLines: 0, cosmeticLines: 0, testFiles: ['test/pic.bin'], srcFiles: [], cosmeticFiles: [] });
  });
});

describe('what counts as cosmetic', () => {
  const kind = (file: string, line: string) => {
    const d = classifyTurnPatch(diff(...modified(file, `+${line}`)));
    return d.srcLines > 0 ? 'src' : d.cosmeticLines > 0 ? 'cosmetic' : 'none';
  };

  test('documentation by extension (any case) and by well-known name is cosmetic; source code sharing such a name is not', () => {
    for (const f of ['README.md', 'docs/GUIDE.MD', 'notes.txt', 'LICENSE', 'CHANGELOG', 'COPYING.GPL', 'docs/a.rst']) expect(kind(f, 'anything at all();')).toBe('cosmetic');
    for (const f of ['LICENSES.ts', 'src/changelog-writer.ts', 'src/license.ts']) expect(kind(f, 'anything at all();')).toBe('src');
  });

  test('comments in each family of languages are cosmetic, code is not', () => {
    expect(kind('src/a.go', '// note')).toBe('cosmetic');
    expect(kind('src/a.RS', '/* note */')).toBe('cosmetic');
    expect(kind('app.py', '# note')).toBe('cosmetic');
    expect(kind('q.sql', '-- note')).toBe('cosmetic');
    expect(kind('a.lisp', '; note')).toBe('cosmetic');
    expect(kind('index.html', '<!-- note -->')).toBe('cosmetic');
    expect(kind('index.php', '# note')).toBe('cosmetic');
    expect(kind('Makefile', '# note')).toBe('cosmetic');
    expect(kind('Dockerfile', '# note')).toBe('cosmetic');
    // A hash is code in a C-family file, a slash comment is code in a shell script.
    expect(kind('src/a.c', '#define X 1')).toBe('src');
    expect(kind('run.sh', '// not a comment')).toBe('src');
    // And the code of those languages is code.
    expect(kind('a.clj', '(defn f [] 2)')).toBe('src');
    expect(kind('index.html', '<script>pay()</script>')).toBe('src');
    expect(kind('index.php', '$total = 2;')).toBe('src');
  });

  test('a file without an extension is not read as one: scripts named `md` or `.md` are code', () => {
    expect(kind('bin/md', 'rm -rf build')).toBe('src');
    expect(kind('bin/.md', 'rm -rf build')).toBe('src');
  });

  test('a line of code that ends in a comment is code', () => {
    expect(kind('src/a.ts', 'return 2; /* was 1 */')).toBe('src');
    expect(kind('app.py', 'x = 2  #')).toBe('src');
  });

  test('a line that starts like a comment and goes on with code after the comment closes is code', () => {
    expect(kind('src/calc.mjs', '/* fast path */ if (a === 2 && b === 3) return 5;')).toBe('src');
    expect(kind('src/calc.mjs', '*/ return 5;')).toBe('src');
    expect(kind('src/calc.mjs', '/* a */ /* b */ // c')).toBe('cosmetic');
    expect(kind('src/calc.mjs', '/* opens here, closes later')).toBe('cosmetic');
    // Alone, a block comment's inner shape is code that continues an expression.
    expect(kind('src/calc.mjs', ' * a doc line')).toBe('src');
    expect(kind('page.html', '<!-- x --> <script>add = () => 5</script>')).toBe('src');
    expect(kind('page.html', '<!-- a note -->')).toBe('cosmetic');
    expect(kind('calc.lua', '--[[x]] if a == 2 then return 5 end')).toBe('src');
    expect(kind('calc.lua', '-- a note')).toBe('cosmetic');
    expect(kind('calc.php', '#[Pure] function add($a, $b) {')).toBe('src');
    expect(kind('calc.php', '# a note')).toBe('cosmetic');
  });

  test('a `*` line is a comment only inside a block the same side of the hunk opened: otherwise it continues an expression', () => {
    const count = (...body: string[]) => classifyTurnPatch(diff(...modified('src/calc.mjs', ...body)));
    // A whole doc comment added: every line of it is a comment.
    expect(count('+/**', '+ * Adds two numbers.', '+ * @param {number} a', '+ */')).toMatchObject({ srcLines: 0, cosmeticLines: 4 });
    // The product changed on a line of that shape: `return a + b` went on `* 0 + (a - b)`.
    expect(count('-  return a + b;', '+  return a + b', '+    * 0 + (a - b);')).toMatchObject({ srcLines: 3, cosmeticLines: 0 });
    // A removed block's end does not open the added side, nor a block on the added side the removed one.
    expect(count('-/**', '- * old note', '+  return a', '+  * 0;')).toMatchObject({ srcLines: 2, cosmeticLines: 2 });
    // A block opened in an earlier hunk is not known to be open in the next one.
    expect(classifyTurnPatch(diff(...modified('src/calc.mjs', '+/*', '+ * x'), '@@ -9 +10 @@', '+ * (a === 2 ? 5 : 1)'))).toMatchObject({ srcLines: 1, cosmeticLines: 2 });
    // What opened the block may be in a string literal: only the inner shape or the close stays a comment there.
    expect(count('+const s = `', '+/*', '+`; if (a === 2 && b === 3) return 5;')).toMatchObject({ srcLines: 2, cosmeticLines: 1 });
    // Code after the block closes on a later line is code.
    expect(count('+/*', '+ * x', '+ */ return 5;')).toMatchObject({ srcLines: 1, cosmeticLines: 2 });
  });

  // A second red team: inside a template literal, `/*` then a backtick closes the string and code follows.
  test('a comment-shaped line with an odd number of a multi-line string delimiter is code; balanced, it is prose', () => {
    expect(kind('src/calc.mjs', '/*`; if (a * b > a + b) return a + b;')).toBe('src');
    expect(kind('src/calc.mjs', '// `; return 5;')).toBe('src');
    expect(kind('calc.py', '# """; x = 5 if a == 2 else x')).toBe('src');
    expect(kind('src/calc.mjs', '// see `add()` and `sub()`')).toBe('cosmetic');
    expect(kind('calc.py', '# a """docstring""" note')).toBe('cosmetic');
    // Inside a block the diff shows open, the inner shape with a lone backtick is code too.
    const count = (...body: string[]) => classifyTurnPatch(diff(...modified('src/calc.mjs', ...body)));
    expect(count('+const s = `', '+/*', '+ * `; if (a === 2) return 5;')).toMatchObject({ srcLines: 2, cosmeticLines: 1 });
    expect(count('+/**', '+ * Uses `add()` twice.', '+ */')).toMatchObject({ srcLines: 0, cosmeticLines: 3 });
  });

  test('in a file whose comment syntax is unknown, only blank lines are cosmetic', () => {
    expect(kind('Procfile', '# web: node a.js')).toBe('src');
    expect(kind('data.unknownext', '// x')).toBe('src');
    expect(isCosmeticLine('   \t', null)).toBe(true);
    expect(isCosmeticLine('# x', null)).toBe(false);
  });
});

describe('turnDiff on a real repository', () => {
  let repo: Repo;
  afterEach(() => repo?.cleanup());

  test('whitespace-only and blank-line source edits and the .peers directory are not counted; a rename is seen as one', () => {
    repo = makeRepo();
    const before = repo.commit('init', { 'src/a.ts': 'export function f() {\n  return 2;\n}\n', 'test/a.test.ts': 'expect(f()).toBe(2);\n', 'test/old.test.ts': 'a\nb\nc\nd\n' });
    const after = repo.commit('turn', {
      'src/a.ts': 'export function f()  {\n\n    return 2;\n}\n',
      'test/a.test.ts': 'expect(f()).toBe(3);\n',
      'test/old.test.ts': null,
      'test/unit/old.test.ts': 'a\nb\nc\nd\n',
      '.peers/state.json': '{"x": 1}\n',
    });
    const d = turnDiff(repo.dir, before, after);
    expect(d).toEqual({ testLines: 2, srcLines: 0, cosmeticLines: 0, testFiles: ['test/a.test.ts'], srcFiles: [], cosmeticFiles: [] });
    expect(isTestOnly(d)).toBe(true);
  });

  test('names git quotes (non-ASCII, a double quote, a tab) are read as the files they are: a test edit there is test-only, a document there is cosmetic', () => {
    repo = makeRepo();
    const before = repo.commit('init', { 'src/a.ts': 'export const a = 1;\n', 'tests/test_café.py': 'def test_a():\n    assert a == 1\n', 'docs/notes "draft".md': 'Draft.\n', 'tests/tab\tname.test.ts': 'expect(1).toBe(1);\n' });
    const after = repo.commit('turn', { 'tests/test_café.py': 'def test_a():\n    assert True\n', 'docs/notes "draft".md': 'Draft.\nMore.\n', 'tests/tab\tname.test.ts': 'expect(1).toBe(2);\n' });
    const d = turnDiff(repo.dir, before, after);
    expect(d).toEqual({ testLines: 4, srcLines: 0, cosmeticLines: 1, testFiles: ['tests/tab\tname.test.ts', 'tests/test_café.py'], srcFiles: [], cosmeticFiles: ['docs/notes "draft".md'] });
    expect(isTestOnly(d)).toBe(true);
  });

  test('a NUL byte in a source comment does not make the file binary to the reader: a weakened test plus that comment is still test-only', () => {
    repo = makeRepo();
    const before = repo.commit('init', { 'src/a.mjs': 'export const f = () => 2;\n', 'test/a.test.mjs': 'assert.equal(f(), 3);\n' });
    const after = repo.commit('turn', { 'src/a.mjs': '// \0\nexport const f = () => 2;\n', 'test/a.test.mjs': 'assert.equal(f(), 2);\n' });
    const d = turnDiff(repo.dir, before, after);
    expect(d).toEqual({ testLines: 2, srcLines: 0, cosmeticLines: 1, testFiles: ['test/a.test.mjs'], srcFiles: [], cosmeticFiles: ['src/a.mjs'] });
    expect(isTestOnly(d)).toBe(true);
  });

  test('a revision git cannot compare gives no diff rather than an empty one', () => {
    repo = makeRepo();
    const head = repo.commit('init', { 'a.ts': 'x\n' });
    expect(turnDiff(repo.dir, head, 'f'.repeat(40))).toBeUndefined();
  });
});

/**
 * The loop reads the whitespace-blind diff only when the skip-marker scan's diff of the same range
 * names a test path (testPathReader). If it missed a name turnDiff counts as a test, a test-only
 * turn would pass as an ordinary one.
 */
describe('testPathReader: whether the turn diff is needed at all', () => {
  let repo: Repo;
  afterEach(() => repo?.cleanup());
  const readerOver = (before: string, after: string) => {
    const reader = testPathReader();
    expect(scanRangeForTestMarkers(repo.dir, before, after, reader.line)).toBeDefined();
    return reader.namesTests();
  };

  test('every turn whose turn diff has a test line or a test file is seen to name a test', () => {
    const turns: Array<Record<string, string | null>> = [
      { 'test/a.test.ts': 'expect(f()).toBe(3);\n' },
      { 'test/a.test.ts': null },
      { 'test/a.test.ts': null, 'old/a.mjs': 'expect(f()).toBe(2);\n' },
      { 'tests/plan b/check.py': 'x = 2\n' },
      { 'tests/test_café.py': 'def test_a():\n    assert True\n' },
      { 'src/a.ts': 'export const f = () =>  3;\n', 'test/a.test.ts': 'expect(f()).toBe(3);\n' },
    ];
    for (const turn of turns) {
      repo = makeRepo();
      const before = repo.commit('init', { 'src/a.ts': 'export const f = () => 2;\n', 'test/a.test.ts': 'expect(f()).toBe(2);\n', 'tests/plan b/check.py': 'x = 1\n', 'tests/test_café.py': 'def test_a():\n    assert a == 1\n' });
      const after = repo.commit('turn', turn);
      const d = turnDiff(repo.dir, before, after)!;
      expect(d.testLines + d.testFiles.length).toBeGreaterThan(0);
      expect(readerOver(before, after)).toBe(true);
      repo.cleanup();
    }
  });

  test('a turn that changed only source, documents and .peers names no test: the turn diff is skipped', () => {
    repo = makeRepo();
    const before = repo.commit('init', { 'src/a.ts': 'export const f = () => 2;\n', 'README.md': 'Hi.\n', 'test/a.test.ts': 'expect(f()).toBe(2);\n' });
    const after = repo.commit('turn', { 'src/a.ts': 'export const f = () => 3;\n', 'README.md': 'Hi there.\n', '.peers/notes.txt': 'x\n', 'src/b.ts': 'export const b = 1;\n' });
    expect(readerOver(before, after)).toBe(false);
    expect(isTestOnly(turnDiff(repo.dir, before, after))).toBe(false);
  });

  test('only header lines name files: an added line reading `+++ b/tests/x.test.ts` does not; a header it cannot split counts as a test', () => {
    const read = (...lines: string[]) => {
      const r = testPathReader();
      for (const l of lines) r.line(l);
      return r.namesTests();
    };
    expect(read(...modified('src/a.ts', '+++ b/tests/x.test.ts', '--- a/tests/x.test.ts'))).toBe(false);
    expect(read('diff --git src/a.ts src/a.ts', '@@ -1 +1 @@', '+x')).toBe(true);
    expect(read('diff --git a/src/a.ts b/src/b.ts', 'similarity index 90%', 'rename from tests/a.test.ts', 'rename to src/b.ts')).toBe(true);
  });
});

test("tests inside product files: a file whose change is only its tests inside counts as tests (a doctest edit git shows as prose counts one line); one whose product changed too stays source but is among the turn's test files", async () => {
  const { withInSourceTests } = await import('../../../src/protocol/turn-diff.ts');
  const d = { testLines: 0, srcLines: 5, cosmeticLines: 2, testFiles: [], srcFiles: ['src/lib.rs', 'src/other.rs'], cosmeticFiles: ['calc.py'] };
  const out = withInSourceTests(d, { 'src/lib.rs': 3, 'src/other.rs': 2 }, { paths: ['src/lib.rs', 'calc.py', 'src/other.rs'], testsOnly: ['src/lib.rs', 'calc.py'] });
  expect(out).toEqual({ testLines: 4, srcLines: 2, cosmeticLines: 2, testFiles: ['src/lib.rs', 'calc.py', 'src/other.rs'], srcFiles: ['src/other.rs'], cosmeticFiles: ['calc.py'] });
});
