/** Names in `git diff` headers read back as the files they are (the lines as git 2.39 prints them). */
import { describe, expect, test } from 'bun:test';
import { diffGitNames, patchLineName, renameLineName, unquoteGitPath } from '../../../src/git/diff-header.ts';

describe('git diff header names', () => {
  test('a C-quoted name: octal bytes decode as UTF-8, escapes as their characters; an unquoted one is kept', () => {
    expect(unquoteGitPath('"tests/caf\\303\\251_test.py"')).toBe('tests/café_test.py');
    expect(unquoteGitPath('"a\\"b\\\\c\\td\\ne"')).toBe('a"b\\c\td\ne');
    expect(unquoteGitPath('plain name.md')).toBe('plain name.md');
    expect(unquoteGitPath('"')).toBe('"');
  });

  test('with core.quotePath=false a quoted name keeps its characters unescaped: one outside the BMP is read whole', () => {
    // git quotes `tests/🙂 "x".py` for its double quotes but leaves the emoji (two UTF-16 code units) as it is.
    expect(unquoteGitPath('"tests/🙂 \\"x\\".py"')).toBe('tests/🙂 "x".py');
    expect(unquoteGitPath('"caf\\303\\251 🙂\\t.py"')).toBe('café 🙂\t.py');
  });

  test('--- and +++ lines: prefix dropped, trailing tab dropped, quoted names unquoted, /dev/null is no name', () => {
    expect(patchLineName('+++ b/src/a.ts')).toBe('src/a.ts');
    expect(patchLineName('--- a/src/a.ts')).toBe('src/a.ts');
    expect(patchLineName('+++ b/docs/release notes.md\t')).toBe('docs/release notes.md');
    expect(patchLineName('+++ "b/docs/notes \\"draft\\".md"\t')).toBe('docs/notes "draft".md');
    expect(patchLineName('+++ "b/tests/tab\\tname.test.ts"')).toBe('tests/tab\tname.test.ts');
    expect(patchLineName('+++ /dev/null')).toBeUndefined();
    expect(patchLineName('++ b/x')).toBeUndefined();
  });

  test('diff --git lines: quoted pairs, a mixed pair, an unquoted pair with " b/" in the name', () => {
    expect(diffGitNames('diff --git a/src/a.ts b/src/a.ts')).toEqual({ from: 'src/a.ts', to: 'src/a.ts' });
    expect(diffGitNames('diff --git "a/t\\303\\251st.py" "b/t\\303\\251st.py"')).toEqual({ from: 'tést.py', to: 'tést.py' });
    expect(diffGitNames('diff --git a/tests/plan b/check.py b/tests/plan b/check.py')).toEqual({ from: 'tests/plan b/check.py', to: 'tests/plan b/check.py' });
    expect(diffGitNames('diff --git a/old.py "b/n\\303\\251w.py"')).toEqual({ from: 'old.py', to: 'néw.py' });
    expect(diffGitNames('diff --git a/old.py b/new.py')).toEqual({ from: 'old.py', to: 'new.py' });
    expect(diffGitNames('index 1..2')).toBeUndefined();
  });

  test('rename and copy lines carry the name without a prefix, quoted when git quotes it', () => {
    expect(renameLineName('rename from tests/test_a.py', 'rename from ')).toBe('tests/test_a.py');
    expect(renameLineName('rename to "tests/caf\\303\\251.py"', 'rename to ')).toBe('tests/café.py');
    expect(renameLineName('copy to x', 'rename to ')).toBeUndefined();
  });

  test('every C escape git writes, an empty quoted name, and text that only looks quoted', () => {
    expect([...Buffer.from(unquoteGitPath('"\\a\\b\\t\\n\\v\\f\\r"'), 'latin1')]).toEqual([7, 8, 9, 10, 11, 12, 13]);
    expect(unquoteGitPath('""')).toBe('');
    expect(unquoteGitPath('name"')).toBe('name"');
    expect(unquoteGitPath('"name')).toBe('"name');
    // A backslash git would not write before this letter stays, and the letter with it.
    expect(unquoteGitPath('"a\\xb"')).toBe('a\\xb');
  });

  test('a quoted name holding an escaped quote is read to its real end; a quoted name next to an unquoted one', () => {
    expect(diffGitNames('diff --git "a/say \\"hi\\".py" "b/say \\"hi\\".py"')).toEqual({ from: 'say "hi".py', to: 'say "hi".py' });
    expect(diffGitNames('diff --git "a/caf\\303\\251.py" b/other.py')).toEqual({ from: 'café.py', to: 'other.py' });
  });

  test('a rename of names of different lengths; lines that are not diff --git lines, or have no a/ b/ prefixes, name nothing', () => {
    expect(diffGitNames('diff --git a/o.py b/newer.py')).toEqual({ from: 'o.py', to: 'newer.py' });
    expect(diffGitNames('similarity a/x b/x')).toBeUndefined();
    expect(diffGitNames('diff --git x.py y.py')).toBeUndefined();
  });

  test('diff.noprefix in a user\'s config: a +++ name without b/ is taken whole', () => {
    expect(patchLineName('+++ tests/test_a.py')).toBe('tests/test_a.py');
    expect(patchLineName('--- src/a.ts')).toBe('src/a.ts');
  });
});
