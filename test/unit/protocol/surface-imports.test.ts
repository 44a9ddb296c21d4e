/**
 * What the gate's hook, setup and test code imports is the gate's surface (surface-imports.ts),
 * but only test-support code, never the product. Attack (cheats/gate-surface.test.ts,
 * "imported-support"): an unchanged conftest.py does `from tools.support import *`; a hookwrapper
 * added to tools/support.py reported every failure as a pass and the run ended `complete`.
 */
import { describe, expect, test } from 'bun:test';
import { importCandidates, importedSurface, importsAreRead, isSupportPath, IMPORT_LIMITS, usesTestFramework } from '../../../src/protocol/surface-imports.ts';
import { referencedChangesOf } from '../../../src/protocol/surface-references.ts';

/** The surface `sources` reach in a tree of `files` (path → text); `unreadable` paths cannot be read. */
function walk(files: Record<string, string>, sources: string[], unreadable: string[] = []) {
  const reads: string[][] = [];
  const w = importedSurface(new Set(Object.keys(files)), sources, (paths) => {
    reads.push(paths);
    return new Map(paths.filter((p) => !unreadable.includes(p)).map((p) => [p, files[p]!]));
  });
  return { refs: w.refs.map((r) => `${r.path} <- ${r.by}`).sort(), followed: [...w.followed].sort(), reads };
}

describe('what the gate code imports', () => {
  test("a conftest's support module is surface, transitively; the package under test it imports is not", () => {
    const files = {
      'conftest.py': 'from calc import add\nfrom tools.support import *  # noqa\nimport tests.helpers as h\n',
      'calc.py': 'import json\nfrom tools import nothing_here\n',
      'tools/__init__.py': '',
      'tools/support.py': 'from .deeper import patch\n',
      'tools/deeper.py': 'import calc\ncalc.add = lambda a, b: 5\n',
      'tests/__init__.py': '',
      'tests/helpers.py': '',
    };
    const r = walk(files, ['conftest.py']);
    // Those that exist (a support-named path an import could load is surface too: below).
    expect(r.refs.filter((x) => x.split(' ')[0]! in files)).toEqual(['tests/__init__.py <- conftest.py', 'tests/helpers.py <- conftest.py', 'tools/__init__.py <- conftest.py', 'tools/deeper.py <- tools/support.py', 'tools/support.py <- conftest.py']);
    // calc.py was read to classify it, but it is the product: neither surface nor followed
    // (its own `from tools import …` does not count).
    expect(r.followed).not.toContain('calc.py');
    expect(r.refs.map((x) => x.split(' ')[0])).not.toContain('calc.py');
  });

  test("a module with no support name is surface when it uses a test framework (a hook, pytest's import)", () => {
    const files = { 'conftest.py': 'from checks import *\nfrom calc import add\n', 'checks.py': 'import pytest\n', 'calc.py': 'def add(a, b):\n    return a - b\n' };
    expect(walk(files, ['conftest.py']).refs).toEqual(['checks.py <- conftest.py']);
    expect(usesTestFramework('x.py', 'def pytest_runtest_makereport(item, call):\n    pass\n')).toBe(true);
    expect(usesTestFramework('x.js', "import { mock } from 'node:test';\n")).toBe(true);
    expect(usesTestFramework('x.js', "export const add = (a, b) => a + b;\n")).toBe(false);
  });

  test('JS: what a setup file or runner config imports by relative path, with the resolver extensions; not the product under src/', () => {
    const files = {
      'jest.config.js': "module.exports = { setupFiles: ['./test/setup.js'] };\nrequire('./tools/env');\n",
      'test/setup.js': "import '../support/patch.mjs';\nimport { add } from '../src/calc.mjs';\nconst x = require('../lib/util');\n",
      'support/patch.mjs': "export * from './more.js';\n",
      'support/more.ts': 'export const y = 1;\n',
      'tools/env/index.js': '',
      'src/calc.mjs': "import './helpers/x.mjs';\n",
      'lib/util.js': '',
    };
    const r = walk(files, ['jest.config.js', 'test/setup.js']);
    expect(r.refs.filter((x) => !x.includes('/index.') || x.startsWith('tools/env/index.js'))).toEqual(expect.arrayContaining(['support/more.ts <- support/patch.mjs', 'support/patch.mjs <- test/setup.js', 'tools/env/index.js <- jest.config.js']));
    expect(r.refs.join()).not.toMatch(/src\/|lib\//);
  });

  test('a support-named module an import could load, not there yet, is surface: adding it shadows the import', () => {
    const r = walk({ 'tests/conftest.py': 'from testing.fakes import clock\n' }, ['tests/conftest.py']);
    expect(r.refs).toContain('testing/fakes.py <- tests/conftest.py');
    expect(r.refs).toContain('tests/testing/fakes.py <- tests/conftest.py');
  });

  test('a file that cannot be read names everything (fail closed)', () => {
    const r = walk({ 'conftest.py': 'import tools.x\n', 'tools/x.py': '' }, ['conftest.py'], ['tools/x.py']);
    expect(r.refs).toContain(' <- tools/x.py (could not be read)');
  });

  test('the walk reads one batch per level of the import graph, and stops at the depth limit', () => {
    const files: Record<string, string> = { 'conftest.py': 'import tools.m0\n' };
    for (let i = 0; i < IMPORT_LIMITS.depth + 3; i++) files[`tools/m${i}.py`] = `import tools.m${i + 1}\n`;
    const r = walk(files, ['conftest.py']);
    expect(r.reads.length).toBe(IMPORT_LIMITS.depth + 1);
  });

  test('imports are read in hook, setup, runner-config and test files', () => {
    for (const p of ['conftest.py', 'tests/test_calc.py', 'test/calc.test.mjs', 'jest.config.ts', 'vitest.config.mjs', 'setupTests.ts']) expect(importsAreRead(p)).toBe(true);
    for (const p of ['calc.py', 'src/calc.mjs', 'package.json', 'pytest.ini']) expect(importsAreRead(p)).toBe(false);
  });

  test('support paths: test and tooling directories and support names, not the product', () => {
    for (const p of ['tools/support.py', 'tests/support.py', 'scripts/x.py', 'helpers.py', 'test_utils.py', 'my_helpers/x.py', '__mocks__/fs.js', '.config/x.js', 'setup-tests.js', 'testing.py']) expect(isSupportPath(p)).toBe(true);
    for (const p of ['calc.py', 'calc/__init__.py', 'src/calc/core.py', 'src/index.js', 'lib/util.js']) expect(isSupportPath(p)).toBe(false);
  });

  test('Python import forms: dotted, aliased, parenthesized, relative, importlib', () => {
    const c = importCandidates('pkg/tests/conftest.py', 'import a.b as ab, c\nfrom ..d import (e,\n    f)\nfrom . import g\nimportlib.import_module("h.i")\n');
    for (const p of ['a/__init__.py', 'a/b.py', 'c.py', 'pkg/d.py', 'pkg/d/e.py', 'pkg/d/f.py', 'pkg/tests/g.py', 'h/i.py', 'src/a/b.py', 'pkg/tests/a/b.py']) expect(c).toContain(p);
  });

  test("a change to an imported file is listed as 'imported by' its importer", () => {
    const refs = [{ path: 'tools/support.py', by: 'conftest.py', imported: true }];
    expect(referencedChangesOf('M\0tools/support.py\0M\0calc.py\0', refs, []).map((c) => `${c.path}: ${c.what}`)).toEqual(['tools/support.py: imported by conftest.py']);
  });
});
