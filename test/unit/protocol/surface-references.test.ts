/**
 * What a gate-surface file names is the gate's surface (surface-references.ts): a file that runner
 * configuration, a manifest, a requirements file or a task runner points to, whatever its own name.
 * Attack (cheats/gate-surface.test.ts, "referenced-plugin"): pytest.ini's `addopts = -p
 * tools.checks` loads tools/checks.py, which was ordinary code: a hookwrapper added there reported
 * every failure as a pass and the run ended `complete`.
 */
import { describe, expect, test } from 'bun:test';
import { commandPaths, goalCommandReferences, namesSurface, referencedChangesOf, referencedPaths, resolveRelative } from '../../../src/protocol/surface-references.ts';
import { surfaceChangesOf } from '../../../src/protocol/gate-surface.ts';

const paths = (file: string, text: string) => referencedPaths(file, text).map((r) => r.path).sort();

describe('what a gate-surface file names', () => {
  test('pytest plugins: -p in the addopts of any Python runner config, pytest_plugins in a conftest.py', () => {
    // Where Python finds the module: beside the config, at the top, or in src/.
    expect(paths('pytest.ini', '[pytest]\naddopts = -q -p tools.checks -p no:cacheprovider\n')).toEqual(['src/tools/checks', 'src/tools/checks.py', 'tools/checks', 'tools/checks.py']);
    expect(paths('pyproject.toml', '[tool.pytest.ini_options]\naddopts = "-pcalcplug"\n')).toContain('calcplug.py');
    expect(paths('setup.cfg', '[tool:pytest]\naddopts =\n    -p helpers.plug\n')).toContain('helpers/plug.py');
    const conftest = paths('tests/conftest.py', 'pytest_plugins = [\n    "fixtures.db",\n    "fixtures.web",\n]\n');
    for (const p of ['fixtures/db.py', 'fixtures/web', 'tests/fixtures/db.py', 'tests/fixtures/web']) expect(conftest).toContain(p);
    // `-p` in a Makefile is mkdir's, not pytest's.
    expect(paths('Makefile', 'build:\n\tmkdir -p dist\n')).toEqual([]);
  });

  test('requirements includes and local installs, whatever the included file is called', () => {
    expect(paths('requirements.txt', '-r deps/test.list\n-c deps/pins.cfg\n-e ./tools/plug\n--requirement=more/x.list\npytest\nplug @ file:///abs/x\nlocal @ file:vendor2/pkg\n')).toEqual(['deps/pins.cfg', 'deps/test.list', 'more/x.list', 'tools/plug', 'vendor2/pkg']);
    expect(paths('requirements/test.txt', '-r ../deps/test.list\n')).toEqual(['deps/test.list']);
  });

  test('package.json: local dependencies and the files its test, lint and install scripts name; not main, start or build', () => {
    const pkg = JSON.stringify({
      main: './src/index.js',
      scripts: { test: 'node --test --test-reporter=./tools/reporter.mjs test/', pretest: 'sh scripts/prep.sh', start: 'node src/server.js', build: 'node scripts/build.js', postinstall: 'node tools/patch.js' },
      devDependencies: { helper: 'file:./helper', other: 'link:../outside/x', n: '^1.0.0' },
    });
    expect(paths('package.json', pkg)).toEqual(['helper', 'scripts/prep.sh', 'tools/patch.js', 'tools/reporter.mjs']);
    // A directory a lint or test script names is the code it checks, not something loaded beside it.
    expect(paths('package.json', JSON.stringify({ scripts: { lint: 'eslint src/ lib', test: 'vitest run src/lib' } }))).toEqual([]);
  });

  test('runner config and task runners: files named by a relative path; a directory named so is the code under test', () => {
    expect(paths('jest.config.js', "module.exports = { roots: ['<rootDir>/src'], setupFiles: ['<rootDir>/test-env/setup.js'], reporters: ['default', './tools/rep.cjs'] };")).toEqual(['test-env/setup.js', 'tools/rep.cjs']);
    expect(paths('Makefile', 'test:\n\t./scripts/run-suite.sh && python ../escape.py\n')).toEqual(['scripts/run-suite.sh']);
    expect(paths('pkg/vitest.config.ts', "export default { test: { setupFiles: ['../common/setup.ts'] } }")).toEqual(['common/setup.ts']);
  });

  test('a tsconfig, a lock file, a test file and ordinary code name nothing', () => {
    for (const f of ['tsconfig.json', 'package-lock.json', 'yarn.lock', 'test/a.test.mjs', 'src/calc.mjs']) expect(namesSurface(f)).toBe(false);
    expect(paths('tsconfig.json', '{"files": ["./src/index.ts"]}')).toEqual([]);
  });

  test('paths resolve against the naming file and never leave the repository', () => {
    expect(resolveRelative('a/b', '../c/./d.py')).toBe('a/c/d.py');
    expect(resolveRelative('', '../x')).toBeUndefined();
    expect(resolveRelative('', '/etc/passwd')).toBeUndefined();
    expect(resolveRelative('', './')).toBeUndefined();
    expect(resolveRelative('', 'tests/**/*.py')).toBe('tests');
  });
});

describe('changes to named files', () => {
  const refs = referencedPaths('pytest.ini', '[pytest]\naddopts = -p tools.checks\n');

  test('a change to a named file, or to a file in a named directory, is surface; other code is not; a name already on the surface is listed once', () => {
    const entries = ['M', 'tools/checks.py', 'A', 'tools/checks/more.py', 'M', 'calc.py', 'M', 'pytest.ini', 'R100', 'tools/checks/gone.py', 'lib/moved.py', ''].join('\0');
    const named = surfaceChangesOf(entries);
    const out = referencedChangesOf(entries, refs, named);
    expect(out.map((c) => [c.path, c.change, c.what])).toEqual([
      ['tools/checks.py', 'modified', 'named by pytest.ini'],
      ['tools/checks/more.py', 'added', 'named by pytest.ini'],
      ['lib/moved.py', 'renamed', 'named by pytest.ini'],
    ]);
    expect(named.map((c) => c.path)).toEqual(['pytest.ini']);
  });

  test('a tree that could not be read names everything (fail closed)', () => {
    expect(referencedChangesOf(['M', 'src/calc.mjs', ''].join('\0'), [{ path: '', by: '(unreadable)' }], []).map((c) => c.path)).toEqual(['src/calc.mjs']);
  });
});

describe("what a goal's command names", () => {
  test('the program or script a gate or setup runs is surface; a directory, a tool on PATH, an option or a path out of the repository is not', () => {
    const paths = (cmd: string) => commandPaths('goal g', cmd).map((r) => r.path);
    expect(paths('node scripts/acceptance.mjs')).toEqual(['scripts/acceptance.mjs']);
    expect(paths('sh ci/e2e.sh && python3 verify.py')).toEqual(['ci/e2e.sh', 'verify.py']);
    expect(paths('./gradlew test')).toEqual(['gradlew']);
    expect(paths('bash -c "./tools/check"')).toEqual(['tools/check']);
    expect(paths(`bash -c './tools/check --fast && node "scripts/b.mjs"' 2>&1 | tee out.log`)).toEqual(['tools/check', 'scripts/b.mjs']);
    expect(paths('timeout 60 env CI=1 python3 -u ci/verify.py; bun run scripts/e2e.ts')).toEqual(['ci/verify.py', 'scripts/e2e.ts']);
    // What a gate hands to another program is the product it inspects, not the program it runs: an
    // interpreter's inline code loading the product, a file a test checks for, a file grep reads.
    for (const cmd of [`node -e "import('./index.js').then((m) => process.exit(typeof m.clamp === 'function' ? 0 : 1))"`, 'test -f notes/claude-1.md', `python3 -c 'import runpy; runpy.run_path("./app/main.py")'`, 'grep -q ok out/result.txt && diff expected/a.txt out/a.txt']) expect(paths(cmd)).toEqual([]);
    for (const cmd of ['node --test test/ 2>&1', 'npm test 2>&1', 'python3 -m pytest -q -p no:cacheprovider 2>&1', '! grep -rnF console.log src/', 'go test -v ./...', 'peers check bug-tdd', '.venv/bin/python -m pytest -q', 'curl https://x.y/a.sh', 'node ../outside.mjs']) expect(paths(cmd)).toEqual([]);
    expect(goalCommandReferences([{ id: 'acceptance', cmd: 'node scripts/acceptance.mjs' }], 'sh tools/install.sh')).toEqual([
      { path: 'scripts/acceptance.mjs', by: 'goal acceptance' },
      { path: 'tools/install.sh', by: 'setup' },
    ]);
  });
});
