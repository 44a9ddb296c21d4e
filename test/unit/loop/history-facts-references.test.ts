/**
 * HistoryFacts.surfaceOf in a real repository: a file a gate-surface file names (surface-references.ts)
 * is on the gate's surface by what names it, in the commit's tree or its parent's, merges included.
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { blobTexts } from '../../../src/git/commit-files.ts';
import { HistoryFacts } from '../../../src/loop/shell/history-facts.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);

const ident = ['-c', 'user.name=t', '-c', 'user.email=t@example.com'];

function commitFiles(repo: string, files: Record<string, string>, message: string): string {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(repo, p, '..'), { recursive: true });
    writeFileSync(join(repo, p), text);
  }
  gitOk(repo, ['add', '-A']);
  gitOk(repo, [...ident, 'commit', '-q', '-m', message]);
  return gitOk(repo, ['rev-parse', 'HEAD']).trim();
}

test('a change to the plugin pytest.ini loads is surface, named by pytest.ini, before and after the config names it; other code is not', () => {
  const repo = join(tempDir('history-refs-'), 'repo');
  mkdirSync(repo, { recursive: true });
  gitOk(repo, ['init', '-q', '-b', 'main']);
  commitFiles(repo, { 'pytest.ini': '[pytest]\naddopts = -p tools.checks\n', 'tools/__init__.py': '', 'tools/checks.py': 'x = 1\n', 'calc.py': 'def add(a, b):\n    return a - b\n' }, 'start');
  const edit = commitFiles(repo, { 'tools/checks.py': 'x = 2\n', 'calc.py': 'def add(a, b):\n    return a + b\n' }, 'edit');
  // The config and the file it newly names, in one commit: named by the commit's own tree.
  const both = commitFiles(repo, { 'pytest.ini': '[pytest]\naddopts = -p tools.checks -p tools.more\n', 'tools/more.py': 'y = 1\n' }, 'both');
  gitOk(repo, ['checkout', '-q', '-b', 'side', `${edit}`]);
  const side = commitFiles(repo, { 'tools/checks.py': 'x = 3\n' }, 'side');
  gitOk(repo, ['checkout', '-q', 'main']);
  gitOk(repo, [...ident, 'merge', '-q', '--no-edit', 'side']);
  const merge = gitOk(repo, ['rev-parse', 'HEAD']).trim();
  const facts = new HistoryFacts(repo);
  expect(facts.surfaceOf(edit).map((c) => [c.path, c.change, c.what])).toEqual([['tools/checks.py', 'modified', 'named by pytest.ini']]);
  expect(facts.surfaceOf(both).map((c) => [c.path, c.what])).toEqual([['pytest.ini', 'Python test runner configuration'], ['tools/more.py', 'named by pytest.ini']]);
  expect(facts.surfaceOf(side).map((c) => c.path)).toEqual(['tools/checks.py']);
  expect(facts.surfaceOf(merge).map((c) => c.path)).toContain('tools/checks.py');
});

test('the blobs surface files are read from are split by object, sizes in bytes', () => {
  const repo = tempDir('hf-blobs-');
  gitOk(repo, ['init', '-q']);
  const hash = (text: string) => gitOk(repo, ['hash-object', '-w', '--stdin'], { input: text }).trim();
  const [a, b] = [hash('hé\nx'), hash('')];
  expect([...blobTexts(repo, [a, b])]).toEqual([[a, 'hé\nx'], [b, '']]);
});

test("a change to the support module an unchanged conftest.py imports is surface, imported by conftest.py; the product both import is not", () => {
  const repo = join(tempDir('history-imports-'), 'repo');
  mkdirSync(repo, { recursive: true });
  gitOk(repo, ['init', '-q', '-b', 'main']);
  commitFiles(repo, { 'conftest.py': 'from calc import add\nfrom tools.support import *\n', 'tools/__init__.py': '', 'tools/support.py': 'x = 1\n', 'calc.py': 'def add(a, b):\n    return a - b\n', 'tests/test_calc.py': 'from calc import add\n' }, 'start');
  const product = commitFiles(repo, { 'calc.py': 'def add(a, b):\n    return a + b\n' }, 'fix');
  const support = commitFiles(repo, { 'tools/support.py': 'import calc\ncalc.add = lambda a, b: 5\n' }, 'tidy');
  const facts = new HistoryFacts(repo);
  expect(facts.surfaceOf(product)).toEqual([]);
  expect(facts.surfaceOf(support).map((c) => [c.path, c.what])).toEqual([['tools/support.py', 'imported by conftest.py']]);
});
