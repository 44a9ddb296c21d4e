import { describe, expect, test } from 'bun:test';
import { formatSurfaceChange, formatSurfaceList, gateSurfaceOf, surfaceChangesOf } from '../../../src/protocol/gate-surface.ts';

describe("the gate's surface, per language", () => {
  const kinds = (paths: string[]) => Object.fromEntries(paths.map((p) => [p, gateSurfaceOf(p)?.kind ?? null]));

  test('JS/TS: tests, runner config, package scripts and lock files, vendored tools', () => {
    expect(
      kinds(['test/a.test.mjs', 'src/b.spec.ts', 'jest.config.js', 'jest.config.ts', 'vitest.config.mts', 'vite.config.ts', '.mocharc.yml', 'playwright.config.ts', 'babel.config.js', '.babelrc', 'tsconfig.json', 'tsconfig.test.json', 'package.json', 'package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', '.npmrc', 'node_modules/.bin/node', 'node_modules/jest/bin/jest.js', 'tools/.bin/run', '.nvmrc', 'src/__snapshots__/a.test.ts.snap']),
    ).toEqual({
      'test/a.test.mjs': 'test', 'src/b.spec.ts': 'test', 'jest.config.js': 'runner-config', 'jest.config.ts': 'runner-config', 'vitest.config.mts': 'runner-config', 'vite.config.ts': 'runner-config', '.mocharc.yml': 'runner-config', 'playwright.config.ts': 'runner-config', 'babel.config.js': 'runner-config', '.babelrc': 'runner-config', 'tsconfig.json': 'runner-config', 'tsconfig.test.json': 'test',
      'package.json': 'package-manager', 'package-lock.json': 'package-manager', 'pnpm-lock.yaml': 'package-manager', 'yarn.lock': 'package-manager', '.npmrc': 'package-manager', 'node_modules/.bin/node': 'vendored-tool', 'node_modules/jest/bin/jest.js': 'vendored-tool', 'tools/.bin/run': 'vendored-tool', '.nvmrc': 'toolchain', 'src/__snapshots__/a.test.ts.snap': 'test-data',
    });
  });

  // Attack (cheats/package-artifacts.test.ts): a local wheel added to requirements/test.txt, whose
  // pytest11 entry point loads a plugin that reports every failure as a pass; neither file was surface.
  test('what a dependency install reads: requirements files by any name or pulled in from requirements/, package archives anywhere', () => {
    expect(kinds(['requirements/test.txt', 'requirements/base.in', 'dev-requirements.txt', 'test-constraints.txt', 'tools/calc_tools-1.0-py3-none-any.whl', 'vendored/calc-tools-1.0.tar.gz', 'pkg/lib.tgz', 'dist/x.egg', 'tools/x.zip', 'src/requirements.py', 'docs/requirements.md'])).toEqual({
      'requirements/test.txt': 'package-manager', 'requirements/base.in': 'package-manager', 'dev-requirements.txt': 'package-manager', 'test-constraints.txt': 'package-manager',
      'tools/calc_tools-1.0-py3-none-any.whl': 'vendored-tool', 'vendored/calc-tools-1.0.tar.gz': 'vendored-tool', 'pkg/lib.tgz': 'vendored-tool', 'dist/x.egg': 'vendored-tool', 'tools/x.zip': 'vendored-tool',
      'src/requirements.py': null, 'docs/requirements.md': null,
    });
  });

  test('Python: conftest, pytest.ini, pyproject/setup.cfg/tox, requirements, startup hooks, virtualenvs', () => {
    expect(kinds(['conftest.py', 'tests/conftest.py', 'pytest.ini', 'pyproject.toml', 'setup.cfg', 'tox.ini', 'noxfile.py', 'requirements-dev.txt', 'poetry.lock', 'sitecustomize.py', 'lib/evil.pth', '.venv/bin/pytest', 'tests/test_a.py', 'pkg/a_test.py'])).toEqual({
      'conftest.py': 'runner-config', 'tests/conftest.py': 'runner-config', 'pytest.ini': 'runner-config', 'pyproject.toml': 'runner-config', 'setup.cfg': 'runner-config', 'tox.ini': 'runner-config', 'noxfile.py': 'runner-config', 'requirements-dev.txt': 'package-manager', 'poetry.lock': 'package-manager',
      'sitecustomize.py': 'vendored-tool', 'lib/evil.pth': 'vendored-tool', '.venv/bin/pytest': 'vendored-tool', 'tests/test_a.py': 'test', 'pkg/a_test.py': 'test',
    });
  });

  // Setup installs uv or Poetry into .peers-pm/ and the dependencies into .venv/ (src/config/python-tool.ts);
  // uv.toml and poetry.toml choose the index and the venv those installs use.
  test('Python: the tool setup installs (.peers-pm/), its config (uv.toml, poetry.toml) and its lock files', () => {
    expect(kinds(['.peers-pm/venv/bin/uv', '.peers-pm/venv/bin/poetry', 'sub/.peers-pm/x', 'uv.toml', 'poetry.toml', 'api/poetry.toml', 'uv.lock', '.venv/lib/python3.11/site-packages/x.py', 'src/peers-pm.py'])).toEqual({
      '.peers-pm/venv/bin/uv': 'vendored-tool', '.peers-pm/venv/bin/poetry': 'vendored-tool', 'sub/.peers-pm/x': 'vendored-tool', 'uv.toml': 'package-manager', 'poetry.toml': 'package-manager', 'api/poetry.toml': 'package-manager', 'uv.lock': 'package-manager',
      '.venv/lib/python3.11/site-packages/x.py': 'vendored-tool', 'src/peers-pm.py': null,
    });
  });

  test('Python: what sys.path imports instead of the runner, the standard library or the source is surface; ordinary modules are not', () => {
    expect(
      kinds(['pytest.toml', '.pytest.toml', 'pytest/__init__.py', 'pytest/__main__.py', '_pytest/main.py', 'pluggy.py', 'argparse.py', 'src/inspect.py', 'lib/json/__init__.py', 'calc_tools-1.0.dist-info/entry_points.txt', 'x.egg-info/entry_points.txt', 'x.egg-link', '__pycache__/calc.cpython-311.pyc', 'src/pkg/__pycache__/a.cpython-312.pyc', 'calc.pyc', 'calc.cpython-311-x86_64-linux-gnu.so']),
    ).toEqual({
      'pytest.toml': 'runner-config', '.pytest.toml': 'runner-config', 'pytest/__init__.py': 'vendored-tool', 'pytest/__main__.py': 'vendored-tool', '_pytest/main.py': 'vendored-tool', 'pluggy.py': 'vendored-tool', 'argparse.py': 'vendored-tool', 'src/inspect.py': 'vendored-tool', 'lib/json/__init__.py': 'vendored-tool',
      'calc_tools-1.0.dist-info/entry_points.txt': 'vendored-tool', 'x.egg-info/entry_points.txt': 'vendored-tool', 'x.egg-link': 'vendored-tool', '__pycache__/calc.cpython-311.pyc': 'vendored-tool', 'src/pkg/__pycache__/a.cpython-312.pyc': 'vendored-tool', 'calc.pyc': 'vendored-tool', 'calc.cpython-311-x86_64-linux-gnu.so': 'vendored-tool',
    });
    // A package's own submodules (src/mylib/types.py) are reached as mylib.types: they shadow nothing.
    // A directory without __init__.py is a namespace package: a regular module of its name still wins.
    expect(kinds(['calc.py', 'src/mylib/types.py', 'mylib/json.py', 'code/README.md', 'html/index.html', 'src/mylib/__init__.py', 'pytest_helpers.md', 'packaging/build_deb.py', 'code/gen.py'])).toEqual({
      'calc.py': null, 'src/mylib/types.py': null, 'mylib/json.py': null, 'code/README.md': null, 'html/index.html': null, 'src/mylib/__init__.py': null, 'pytest_helpers.md': null, 'packaging/build_deb.py': null, 'code/gen.py': null,
    });
    expect(kinds(['packaging/__init__.py', 'code/__init__.py', 'pluggy/_hooks.py'])).toEqual({ 'packaging/__init__.py': 'vendored-tool', 'code/__init__.py': 'vendored-tool', 'pluggy/_hooks.py': 'vendored-tool' });
  });

  test("Python: every private name (the interpreter's private modules and C accelerators) and every pytest_* plugin name shadows; __init__ and a package's own private modules do not", () => {
    // `__future__.py` at the top is what `from __future__ import annotations` in pytest loads; `_json.py`
    // wins over lib-dynload's accelerator; a `pytest_benchmark/` package over the installed plugin.
    expect(
      kinds(['__future__.py', '_json.py', 'src/_compression.py', '_strptime/__init__.py', '_colorize.py', 'pytest_benchmark/__init__.py', 'pytest_benchmark/plugin.py', 'pytest_cov.py', 'compression/__init__.py']),
    ).toEqual({
      '__future__.py': 'vendored-tool', '_json.py': 'vendored-tool', 'src/_compression.py': 'vendored-tool', '_strptime/__init__.py': 'vendored-tool', '_colorize.py': 'vendored-tool',
      'pytest_benchmark/__init__.py': 'vendored-tool', 'pytest_benchmark/plugin.py': 'vendored-tool', 'pytest_cov.py': 'vendored-tool', 'compression/__init__.py': 'vendored-tool',
    });
    expect(gateSurfaceOf('__future__.py')?.what).toBe("module named __future__, imported instead of the runner's or the standard library's");
    expect(kinds(['__init__.py', '__main__.py', 'src/mylib/_internal.py', 'src/mylib/_version.py', '_notes/todo.py', 'pytest_notes.md'])).toEqual({
      '__init__.py': null, '__main__.py': null, 'src/mylib/_internal.py': null, 'src/mylib/_version.py': null, '_notes/todo.py': null, 'pytest_notes.md': null,
    });
  });

  test('Go and Rust: go.mod/go.sum, vendor/, testdata/, Cargo files, build.rs, .cargo/config, toolchain', () => {
    expect(kinds(['go.mod', 'go.sum', 'vendor/github.com/x/y.go', 'pkg/testdata/golden.txt', 'pkg/a_test.go', 'Cargo.toml', 'Cargo.lock', 'build.rs', '.cargo/config.toml', 'rust-toolchain.toml', 'tests/it.rs'])).toEqual({
      'go.mod': 'runner-config', 'go.sum': 'package-manager', 'vendor/github.com/x/y.go': 'vendored-tool', 'pkg/testdata/golden.txt': 'test-data', 'pkg/a_test.go': 'test', 'Cargo.toml': 'runner-config', 'Cargo.lock': 'package-manager', 'build.rs': 'runner-config', '.cargo/config.toml': 'runner-config', 'rust-toolchain.toml': 'toolchain', 'tests/it.rs': 'test',
    });
  });

  test('a runner name in a file that no runner loads is not surface (notes named after a tool); its config files are', () => {
    expect(kinds(['c8.txt', 'notes/jest.md', 'ava.txt', 'docs/vitest.html', 'c8.config.mjs', 'jest.config.json', 'cypress.json', 'ava.config.cjs', 'jest.setup.tsx', 'vitest.workspace.yaml'])).toEqual({
      'c8.txt': null, 'notes/jest.md': null, 'ava.txt': null, 'docs/vitest.html': null,
      'c8.config.mjs': 'runner-config', 'jest.config.json': 'runner-config', 'cypress.json': 'runner-config', 'ava.config.cjs': 'runner-config', 'jest.setup.tsx': 'runner-config', 'vitest.workspace.yaml': 'runner-config',
    });
  });

  test('shared: task runners and test scripts, git attributes; product code, docs and .peers/ are not surface', () => {
    expect(kinds(['Makefile', 'justfile', 'scripts/run-tests.sh', '.gitattributes', 'src/calc.ts', 'README.md', 'bin/cli.js', 'docs/guide.md', '.peers/goals.yaml', 'src/attest.py'])).toEqual({
      Makefile: 'runner-config', justfile: 'runner-config', 'scripts/run-tests.sh': 'runner-config', '.gitattributes': 'git-attributes', 'src/calc.ts': null, 'README.md': null, 'bin/cli.js': null, 'docs/guide.md': null, '.peers/goals.yaml': null, 'src/attest.py': null,
    });
  });
});

describe('surfaceChangesOf (git diff --name-status -M -z)', () => {
  test('added, modified and deleted surface files; product files are left out', () => {
    const z = ['M', 'package.json', 'A', 'conftest.py', 'D', 'test/a.test.mjs', 'M', 'src/calc.mjs', ''].join('\0');
    expect(surfaceChangesOf(z).map((c) => [c.path, c.change, c.kind])).toEqual([
      ['package.json', 'modified', 'package-manager'],
      ['conftest.py', 'added', 'runner-config'],
      ['test/a.test.mjs', 'deleted', 'test'],
    ]);
  });

  test("renaming a test out of the runner's reach is a deletion; a rename that keeps it runnable is not", () => {
    const z = ['R100', 'test/calc.test.mjs', 'test/calc.test.mjs.off', 'R095', 'test/a.test.mjs', 'test/unit/a.test.mjs', 'R100', 'src/x.ts', 'src/y.ts', ''].join('\0');
    expect(surfaceChangesOf(z)).toEqual([
      { path: 'test/calc.test.mjs', from: 'test/calc.test.mjs', change: 'deleted', kind: 'test', what: "test file moved out of the runner's reach (to test/calc.test.mjs.off)", movedOutOfReach: true },
      { path: 'test/unit/a.test.mjs', from: 'test/a.test.mjs', change: 'renamed', kind: 'test', what: 'test file', movedOutOfReach: false },
    ]);
  });
});

describe('what the gate-surface warning says about each file', () => {
  test('each rule names what the file is', () => {
    const what = (p: string) => gateSurfaceOf(p)?.what;
    expect(
      Object.fromEntries(['vendor/x/y.go', 'tools/.bin/jest', 'lib/sitecustomize.py', 'jest.config.js', 'pytest.ini', 'go.mod', 'Makefile', 'package.json', '.nvmrc', '.gitattributes', 'testdata/in.txt', 'conftest.py', 'test/a.test.mjs'].map((p) => [p, what(p)])),
    ).toEqual({
      'vendor/x/y.go': 'vendored dependency or tool shim',
      'tools/.bin/jest': 'tool shim directory',
      'lib/sitecustomize.py': 'python startup hook',
      'jest.config.js': 'JS/TS test runner configuration',
      'pytest.ini': 'Python test runner configuration',
      'go.mod': 'Go/Rust build configuration',
      Makefile: 'task runner or test script',
      'package.json': 'package manager scripts or config',
      '.nvmrc': 'toolchain selection',
      '.gitattributes': 'git attributes (filters, diff drivers)',
      'testdata/in.txt': 'test fixtures or snapshots',
      'conftest.py': 'pytest plugin and hook file',
      'test/a.test.mjs': 'test file',
    });
  });

  test('names match whatever their case, and a leading ./ changes nothing', () => {
    expect(gateSurfaceOf('PACKAGE.JSON')?.kind).toBe('package-manager');
    expect(gateSurfaceOf('./package.json')?.kind).toBe('package-manager');
  });

  test(".peers/ is the operator's, never gate surface, even for test-shaped files; a look-alike directory is not .peers", () => {
    expect(gateSurfaceOf('.peers')).toBeUndefined();
    expect(gateSurfaceOf('.peers/goals.yaml')).toBeUndefined();
    expect(gateSurfaceOf('.peers/checks/a.test.js')).toBeUndefined();
    expect(gateSurfaceOf('x.peers/a.test.js')?.kind).toBe('test');
  });

  test('copies count as added, type changes and unknown statuses are named, each entry in full', () => {
    const z = ['C100', 'package.json', 'pkg/package.json', 'T', 'Makefile', 'U', 'go.mod', 'A', 'jest.config.js', ''].join('\0');
    expect(surfaceChangesOf(z)).toEqual([
      { path: 'pkg/package.json', from: 'package.json', change: 'added', kind: 'package-manager', what: 'package manager scripts or config', movedOutOfReach: false },
      { path: 'Makefile', change: 'type-changed', kind: 'runner-config', what: 'task runner or test script', movedOutOfReach: false },
      { path: 'go.mod', change: 'modified', kind: 'runner-config', what: 'Go/Rust build configuration', movedOutOfReach: false },
      { path: 'jest.config.js', change: 'added', kind: 'runner-config', what: 'JS/TS test runner configuration', movedOutOfReach: false },
    ]);
  });

  test('a rename into or out of the surface counts, named by where it lands when that is surface', () => {
    const z = ['R100', 'notes.txt', 'package.json', 'R090', 'jest.config.js', 'old/jest-config.bak', 'R100', 'package.json', 'tsconfig.json', ''].join('\0');
    expect(surfaceChangesOf(z).map((c) => [c.from, c.path, c.change, c.kind])).toEqual([
      ['notes.txt', 'package.json', 'renamed', 'package-manager'],
      ['jest.config.js', 'old/jest-config.bak', 'renamed', 'runner-config'],
      ['package.json', 'tsconfig.json', 'renamed', 'runner-config'],
    ]);
  });

  test('the warning line: path, change and what; a test moved out of reach says where to', () => {
    const [moved, edited] = surfaceChangesOf(['R100', 'test/a.test.mjs', 'test/a.test.mjs.off', 'M', 'package.json', ''].join('\0'));
    expect(formatSurfaceChange(moved!)).toBe("test/a.test.mjs test file moved out of the runner's reach (to test/a.test.mjs.off)");
    expect(formatSurfaceChange(edited!)).toBe('package.json modified (package manager scripts or config)');
  });
});

describe('formatSurfaceList (the approval request for one commit)', () => {
  const nameStatus = (entries: Array<[string, string]>) => entries.map(([st, path]) => `${st}\0${path}\0`).join('');

  test('everything but a test added or edited comes first, and nothing is cut off silently: what does not fit is counted by change and kind', () => {
    const padding = Array.from({ length: 10 }, (_, i) => ['A', `lib/a${String(i + 1).padStart(2, '0')}xxxx.test.mjs`] as [string, string]);
    const changes = surfaceChangesOf(nameStatus([...padding, ['M', 'package.json'], ['D', 'test/calc.test.mjs']]));
    const list = formatSurfaceList(changes);
    expect(list.startsWith('package.json modified (package manager scripts or config); test/calc.test.mjs deleted (test file); lib/a01xxxx.test.mjs added (test file)')).toBe(true);
    expect(list.length).toBeLessThan(520);
    expect(list).toMatch(/; … and \d+ more not listed here \(\d+ added test\)$/);
    // Every entry the list names is whole.
    for (const entry of list.split('; ').slice(0, -1)) expect(entry).toMatch(/ \((test file|package manager scripts or config)\)$/);
  });

  test('a short list is every entry in git order within its group, with no count', () => {
    const changes = surfaceChangesOf(nameStatus([['A', 'test/b.test.mjs'], ['M', 'pytest.ini'], ['A', 'test/a.test.mjs']]));
    expect(formatSurfaceList(changes)).toBe('pytest.ini modified (Python test runner configuration); test/b.test.mjs added (test file); test/a.test.mjs added (test file)');
  });

  test('what does not fit is counted per kind, non-test kinds included', () => {
    const many = Array.from({ length: 30 }, (_, i) => ['A', `vendor/pkg${i}/index.js`] as [string, string]);
    const list = formatSurfaceList(surfaceChangesOf(nameStatus([...many, ['A', 'test/x.test.mjs']])));
    expect(list).toMatch(/; … and \d+ more not listed here \(\d+ added vendored-tool, 1 added test\)$/);
  });
});
