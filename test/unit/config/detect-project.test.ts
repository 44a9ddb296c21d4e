/**
 * What `peers init` proposes from the files it finds (src/config/detect-project.ts), and that each
 * proposed pass_when means "tests ran and none failed" on its runner's real output.
 */
import { describe, expect, test } from 'bun:test';
import { parse } from 'yaml';
import { ConfigSchema } from '../../../src/config/config-schema.ts';
import { detectProject, LFS_NOTE, SUBMODULES_NOTE, type ProjectFiles } from '../../../src/config/detect-project.ts';
import { GoalsSchema } from '../../../src/config/goals-schema.ts';
import { configTemplate, goalsTemplate } from '../../../src/mode-registry/init-project.ts';
import { renderConfig, renderGoals, TEMPLATE_LINES } from '../../../src/config/render-init.ts';
import { compilePassWhen } from '../../../src/pass-when/index.ts';

function files(tree: Record<string, string>): ProjectFiles {
  return {
    read: (rel) => tree[rel],
    exists: (rel) => rel in tree || Object.keys(tree).some((k) => k.startsWith(`${rel}/`)),
    list: (rel) => [...new Set(Object.keys(tree).filter((k) => (rel ? k.startsWith(`${rel}/`) : true)).map((k) => (rel ? k.slice(rel.length + 1) : k).split('/')[0]!))],
  };
}
const pkg = (o: Record<string, unknown>) => JSON.stringify({ name: 'lib', version: '1.0.0', ...o });
const passes = (passWhen: string, out: { exit_code?: number; stdout?: string; stderr?: string }) =>
  compilePassWhen(passWhen).evaluate({ exit_code: out.exit_code ?? 0, stdout: out.stdout ?? '', stderr: out.stderr ?? '', cwd: '/nonexistent' });

describe('node', () => {
  test('npm with a lockfile: npm test, npm ci, the npm registry', () => {
    const p = detectProject(files({ 'package.json': pkg({ scripts: { test: 'node --test' }, devDependencies: { c8: '1' } }), 'package-lock.json': '{}' }));
    expect(p).toMatchObject({ kinds: ['node'], setup: 'npm ci', egress: ['registry.npmjs.org'], notes: [] });
    expect(p.gates).toEqual([expect.objectContaining({ id: 'tests-pass', cmd: 'npm test', why: 'package.json scripts.test: node --test', timeout_s: 600 })]);
  });

  test('node --test: passes on TAP and spec summaries with tests run and none failed, never on zero tests', () => {
    const { gates } = detectProject(files({ 'package.json': pkg({ scripts: { test: 'node --test test/' } }) }));
    const pw = gates[0]!.pass_when;
    expect(passes(pw, { stdout: '> lib@1.0.0 test\n> node --test\n\nTAP version 13\n# tests 3\n# suites 0\n# pass 3\n# fail 0\n# cancelled 0\n' })).toBe(true);
    expect(passes(pw, { stdout: '✔ splits (0.5ms)\nℹ tests 3\nℹ pass 3\nℹ fail 0\n' })).toBe(true);
    expect(passes(pw, { stdout: '# tests 0\n# pass 0\n# fail 0\n' })).toBe(false);
    expect(passes(pw, { exit_code: 1, stdout: '# tests 3\n# pass 2\n# fail 1\n' })).toBe(false);
  });

  test('jest, vitest and mocha get a pass_when that reads their own summary', () => {
    const pw = (script: string) => detectProject(files({ 'package.json': pkg({ scripts: { test: script } }) })).gates[0]!.pass_when;
    expect(passes(pw('jest --ci'), { stderr: 'Test Suites: 1 passed, 1 total\nTests:       4 passed, 4 total\n' })).toBe(true);
    expect(passes(pw('jest --ci'), { stderr: 'No tests found, exiting with code 0\n' })).toBe(false);
    expect(passes(pw('vitest run'), { stdout: ' Test Files  1 passed (1)\n      Tests  4 passed (4)\n' })).toBe(true);
    expect(passes(pw('mocha'), { stdout: '\n  4 passing (6ms)\n' })).toBe(true);
    expect(passes(pw('mocha'), { stdout: '\n  0 passing (1ms)\n' })).toBe(false);
    // A status of 0 set from the code under test (process.exitCode = 0 in an exit listener) is not a pass.
    expect(passes(pw('mocha'), { stdout: '\n  1 passing (6ms)\n  1 failing\n' })).toBe(false);
    expect(pw('ava')).toBe('exit_code == 0');
  });

  test("npm's placeholder test script and a missing one propose no gate, and say why", () => {
    const placeholder = detectProject(files({ 'package.json': pkg({ scripts: { test: 'echo "Error: no test specified" && exit 1' } }) }));
    expect(placeholder.gates).toEqual([]);
    expect(placeholder.notes[0]).toContain('"no test specified" placeholder');
    expect(detectProject(files({ 'package.json': pkg({}) })).notes[0]).toContain('no scripts.test');
    expect(detectProject(files({ 'package.json': '{not json' })).notes[0]).toContain('does not parse');
  });

  test('pnpm, yarn (classic and berry), bun and no lockfile; a typecheck gate when the project has one', () => {
    // The image has npm only: setup installs the project's pnpm or yarn into node_modules/.peers-pm, the gates put it first on PATH.
    const onPath = 'PATH="$PWD/node_modules/.peers-pm/node_modules/.bin:$PATH"';
    const npmInstall = 'npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error --prefix node_modules/.peers-pm';
    expect(detectProject(files({ 'package.json': pkg({ scripts: { test: 'vitest run' } }), 'pnpm-lock.yaml': "lockfileVersion: '6.0'\n" }))).toMatchObject({ setup: `${npmInstall} pnpm@8 && ${onPath} pnpm install --frozen-lockfile`, gates: [{ cmd: `${onPath} pnpm test` }] });
    expect(detectProject(files({ 'package.json': pkg({ scripts: { test: 'vitest run' }, packageManager: 'pnpm@9.12.3+sha512.abc' }), 'pnpm-lock.yaml': '' })).setup).toStartWith(`${npmInstall} pnpm@9.12.3 &&`);
    expect(detectProject(files({ 'package.json': pkg({ scripts: { test: 'jest' } }), 'yarn.lock': '' }))).toMatchObject({ setup: `${npmInstall} yarn@1 && ${onPath} yarn install --frozen-lockfile`, egress: ['registry.npmjs.org', 'registry.yarnpkg.com'] });
    const berry = detectProject(files({ 'package.json': pkg({ scripts: { test: 'jest' }, packageManager: 'yarn@4.5.0' }), 'yarn.lock': '__metadata:\n', '.yarnrc.yml': '' }));
    expect(berry.setup).toStartWith(`${npmInstall} @yarnpkg/cli-dist@4.5.0 &&`);
    expect(berry.setup).toEndWith('yarn install --immutable');
    expect(berry.gates[0]!.cmd).toBe(`${onPath} YARN_ENABLE_GLOBAL_CACHE=false YARN_CACHE_FOLDER="$PWD/.yarn/cache" yarn test`);
    const bun = detectProject(files({ 'package.json': pkg({ scripts: { test: 'bun test' } }), 'bun.lock': '' }));
    expect(bun).toMatchObject({ setup: 'bun install --frozen-lockfile', gates: [{ cmd: 'bun run test' }] });
    expect(bun.notes[0]).toContain('bun is not in the workspace image');
    expect(passes(bun.gates[0]!.pass_when, { stderr: ' 12 pass\n 0 fail\n 30 expect() calls\n' })).toBe(true);
    const noLock = detectProject(files({ 'package.json': pkg({ scripts: { test: 'mocha', typecheck: 'tsc --noEmit' }, dependencies: { a: '1' } }) }));
    expect(noLock.setup).toBe('npm install --no-audit --no-fund');
    expect(noLock.gates.map((g) => [g.id, g.cmd])).toEqual([['tests-pass', 'npm test'], ['typecheck', 'npm run typecheck']]);
    const ts = detectProject(files({ 'package.json': pkg({ scripts: { test: 'mocha' }, devDependencies: { typescript: '5' } }), 'tsconfig.json': '{}' }));
    expect(ts.gates[1]).toMatchObject({ id: 'typecheck', cmd: 'npx --no-install tsc --noEmit' });
    expect(detectProject(files({ 'package.json': pkg({ scripts: { test: 'mocha' } }) })).setup).toBeUndefined();
  });
});

describe('npm registries the project names', () => {
  test('a committed .npmrc registry (and a scope\'s) and the lockfile\'s tarball hosts are allowed for setup; one that wants a token is said to get none in the pod', () => {
    // Before: egress registry.npmjs.org only, and setup's npm ci got 403 for the project's own registry.
    const p = detectProject(files({
      'package.json': pkg({ scripts: { test: 'node --test' }, dependencies: { '@acme/ui': '1.0.0', ms: '2.1.3' } }),
      '.npmrc': 'registry=https://registry.npmmirror.com/\n@acme:registry=https://npm.pkg.github.com\n//npm.pkg.github.com/:_authToken=${NODE_AUTH_TOKEN}\n',
      'package-lock.json': JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/ms': { resolved: 'https://registry.npmmirror.com/ms/-/ms-2.1.3.tgz' }, 'node_modules/@acme/ui': { resolved: 'https://npm.pkg.github.com/download/@acme/ui/1.0.0/abc' }, 'node_modules/x': { resolved: 'git+ssh://git@github.com/a/x.git#abc' } } }),
    }));
    expect(p.setup).toBe('npm ci');
    expect(p.egress).toEqual(['registry.npmjs.org', 'registry.npmmirror.com', 'npm.pkg.github.com']);
    expect(p.notes).toContain('.npmrc gives npm a token (_authToken) for npm.pkg.github.com: setup runs in the pod without your credentials, so installing from a registry that needs one fails there; vendor or commit those packages, or install them from a registry that needs no token');
    // A registry on another port is allowed on that port; one named by its address cannot be allowed at all.
    expect(detectProject(files({ 'package.json': pkg({ scripts: { test: 'node --test' }, dependencies: { ms: '2' } }), '.npmrc': 'registry=http://verdaccio.lan:4873/\n@x:registry=https://10.1.2.3/\n' })).egress).toEqual(['registry.npmjs.org', 'verdaccio.lan:4873']);
    // A token for the public registry is for publishing: installing needs none, nothing said.
    expect(detectProject(files({ 'package.json': pkg({ scripts: { test: 'node --test' }, dependencies: { ms: '2' } }), '.npmrc': '//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n' })).notes.join('\n')).not.toContain('token');
    // The public registry alone: nothing added, nothing said.
    const plain = detectProject(files({ 'package.json': pkg({ scripts: { test: 'node --test' }, dependencies: { ms: '2.1.3' } }), 'package-lock.json': JSON.stringify({ packages: { 'node_modules/ms': { resolved: 'https://registry.npmjs.org/ms/-/ms-2.1.3.tgz' } } }) }));
    expect(plain.egress).toEqual(['registry.npmjs.org']);
    expect(plain.notes.join('\n')).not.toContain('token');
  });
});

describe('node version the project needs', () => {
  test('engines.node (or .nvmrc / .node-version without engines) newer than the image\'s Node 18: init says the gates may fail in a run although verify passes here', () => {
    // Before: nothing said; verify passed on the host's Node 20 and every tick's gate was red in the image's 18 ([].toSorted).
    const need = (o: { engines?: string; nvmrc?: string; nodeVersion?: string }) => detectProject(files({ 'package.json': pkg({ scripts: { test: 'node --test' }, ...(o.engines ? { engines: { node: o.engines } } : {}) }), ...(o.nvmrc ? { '.nvmrc': o.nvmrc } : {}), ...(o.nodeVersion ? { '.node-version': o.nodeVersion } : {}) })).notes.find((n) => n.includes('the workspace image has Node.js 18'));
    expect(need({ engines: '>=20' })).toBe('package.json engines.node (>=20) asks for Node.js 20 or newer, and the workspace image has Node.js 18 (Debian bookworm\'s): the gates may fail in a run although `peers verify` passes on this machine; build the image on a Debian bookworm base that has node 20 or newer on its PATH (`peers image build --force --base IMAGE`, e.g. node:20-bookworm)');
    expect(need({ engines: '^20.11.0 || >=22' })).toContain('asks for Node.js 20 or newer');
    expect(need({ engines: '>=20.19.0 <21 || >=22.12' })).toContain('(>=20.19.0 <21 || >=22.12) asks for Node.js 20 or newer');
    expect(need({ nvmrc: 'v22.3.0\n' })).toStartWith('.nvmrc (v22.3.0) asks for Node.js 22 or newer');
    expect(need({ nvmrc: 'lts/iron\n' })).toContain('asks for Node.js 20 or newer');
    expect(need({ nodeVersion: '24\n' })).toStartWith('.node-version (24) asks for Node.js 24');
    // Node 18 is accepted, or nothing is said: no note.
    for (const o of [{ engines: '>=18' }, { engines: '>=16 <23' }, { engines: '18 || 20' }, { engines: '*' }, { engines: '>=18', nvmrc: '22' }, { nvmrc: 'lts/*' }, { nvmrc: 'node' }, {}]) expect(need(o)).toBeUndefined();
  });
});

describe('node workspaces (a monorepo)', () => {
  const ws = (rootTest: string, a: string, b: string) =>
    detectProject(files({ 'package.json': pkg({ private: true, workspaces: ['packages/*'], scripts: { test: rootTest } }), 'packages/a/package.json': pkg({ scripts: { test: a } }), 'packages/b/package.json': pkg({ scripts: { test: b } }) }));

  test("a root script that runs the workspaces' tests gets their runner's pass_when: tests ran and none failed", () => {
    const p = ws('npm test --workspaces', 'node --test', 'node --test');
    expect(p.gates[0]).toMatchObject({ cmd: 'npm test', description: 'The test suite passes (node --test in 2 workspaces).' });
    const two = '> a@1.0.0 test\n> node --test\n# tests 1\n# pass 1\n# fail 0\n> b@1.0.0 test\n> node --test\n# tests 2\n# pass 2\n# fail 0\n';
    expect(passes(p.gates[0]!.pass_when, { stdout: two })).toBe(true);
    expect(passes(p.gates[0]!.pass_when, { stdout: '> a@1.0.0 test\n# tests 0\n# pass 0\n# fail 0\n' })).toBe(false);
    expect(ws('pnpm -r test', 'vitest run', 'vitest run').gates[0]!.description).toBe('The test suite passes (vitest in 2 workspaces).');
  });

  test('workspaces with different or unknown runners keep the exit code; a mocha -r flag is not a workspace run', () => {
    expect(ws('npm test -ws', 'node --test', 'jest').gates[0]!.pass_when).toBe('exit_code == 0');
    expect(detectProject(files({ 'package.json': pkg({ scripts: { test: 'mocha -r ts-node/register' } }) })).gates[0]!.description).toBe('The test suite passes (mocha).');
  });
});

describe('python, rust, go', () => {
  test('pytest from pyproject, requirements or pytest.ini: python3 -m pytest, passing only when tests passed', () => {
    const p = detectProject(files({ 'pyproject.toml': '[project]\nname = "x"\n\n[tool.pytest.ini_options]\n', 'tests/test_x.py': '' }));
    expect(p.gates).toEqual([expect.objectContaining({ id: 'tests-pass', cmd: 'python3 -m pytest -q' })]);
    expect(passes(p.gates[0]!.pass_when, { stdout: '...\n3 passed in 0.02s\n' })).toBe(true);
    expect(passes(p.gates[0]!.pass_when, { exit_code: 5, stdout: 'no tests ran in 0.01s\n' })).toBe(false);
    // Code the tests import can set the status (atexit.register(os._exit, 0)): the summary's failure still counts.
    expect(passes(p.gates[0]!.pass_when, { stdout: 'F.\n1 failed, 1 passed in 0.02s\n' })).toBe(false);
    expect(passes(p.gates[0]!.pass_when, { stdout: '.E\n1 passed, 1 error in 0.02s\n' })).toBe(false);
    expect(detectProject(files({ 'pytest.ini': '[pytest]\n' })).gates[0]!.cmd).toBe('python3 -m pytest -q');
  });

  test('requirements files or pyproject dependencies: setup installs them into a venv in the checkout, the gate runs its python', () => {
    const req = detectProject(files({ 'requirements.txt': 'requests==2.31.0\n', 'requirements-dev.txt': 'pytest==8\n', 'tests/test_x.py': 'def test_a():\n    assert 1\n' }));
    expect(req).toMatchObject({
      setup: 'python3 -m venv --system-site-packages .venv && .venv/bin/pip install -q -r requirements.txt -r requirements-dev.txt',
      gates: [{ cmd: '.venv/bin/python -m pytest -q' }],
      egress: ['pypi.org', 'files.pythonhosted.org'],
      notes: [],
    });
    const pyproject = detectProject(files({ 'pyproject.toml': '[project]\nname = "x"\ndependencies = [\n  "attrs>=23",\n]\n', 'tests/test_x.py': '' }));
    expect(pyproject).toMatchObject({ setup: 'python3 -m venv --system-site-packages .venv && .venv/bin/pip install -q -e .', gates: [{ cmd: '.venv/bin/python -m pytest -q' }] });
    const extras = detectProject(files({ 'pyproject.toml': '[project]\nname = "x"\ndependencies = ["attrs"]\n\n[project.optional-dependencies]\ndocs = ["sphinx"]\ntest = ["pytest", "hypothesis"]\n\n[tool.pytest.ini_options]\n', 'tests/test_x.py': '' }));
    expect(extras.setup).toBe("python3 -m venv --system-site-packages .venv && .venv/bin/pip install -q -e '.[test]'");
    const unittest = detectProject(files({ 'requirements.txt': 'attrs\n', 'test_calc.py': 'import unittest\n' }));
    expect(unittest.gates[0]).toMatchObject({ cmd: '.venv/bin/python -m unittest discover -v' });
    // Nothing to install: no venv, no registry.
    expect(detectProject(files({ 'pyproject.toml': '[project]\nname = "x"\ndependencies = []\n', 'tests/test_x.py': '' }))).toMatchObject({ gates: [{ cmd: 'python3 -m pytest -q' }], egress: [] });
    expect(detectProject(files({ 'pyproject.toml': '[project]\nname = "x"\ndependencies = []\n' })).setup).toBeUndefined();
  });

  test('a src layout without dependencies (the tests import the installed package): setup installs the project into the venv; a pytest pythonpath, a flat layout or nothing to build needs none', () => {
    // Before: `python3 -m pytest -q` alone, red from the first tick in the pod ("No module named 'srclib'").
    const src = { 'pyproject.toml': '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "srclib"\nversion = "0.1.0"\n', 'src/srclib/__init__.py': 'def add(a, b):\n    return a + b\n', 'tests/test_add.py': 'from srclib import add\n\ndef test_add():\n    assert add(1, 2) == 3\n' };
    expect(detectProject(files(src))).toMatchObject({
      setup: 'python3 -m venv --system-site-packages .venv && .venv/bin/pip install -q -e .',
      gates: [{ cmd: '.venv/bin/python -m pytest -q' }],
      egress: ['pypi.org', 'files.pythonhosted.org'],
    });
    expect(detectProject(files({ ...src, 'setup.py': 'from setuptools import setup\nsetup()\n', 'pyproject.toml': '[tool.black]\n' })).setup).toEndWith('pip install -q -e .');
    // pytest puts src on sys.path itself; a flat layout is on it from the working directory.
    expect(detectProject(files({ ...src, 'pyproject.toml': `${src['pyproject.toml']}\n[tool.pytest.ini_options]\npythonpath = ["src"]\n` })).setup).toBeUndefined();
    expect(detectProject(files({ 'pyproject.toml': src['pyproject.toml'], 'srclib/__init__.py': '', 'tests/test_add.py': src['tests/test_add.py'] })).setup).toBeUndefined();
    // src/ without a build configuration is no installable project.
    expect(detectProject(files({ 'pytest.ini': '[pytest]\n', 'src/srclib/__init__.py': '', 'tests/test_add.py': '' })).setup).toBeUndefined();
  });

  test('uv and poetry: setup installs the tool with pip into .peers-pm, it fills .venv, the gates run .venv/bin/python', () => {
    // The image has python3, venv and pip only; the gates have no network and need neither tool.
    // A committed .venv or .peers-pm/ (a python that prints "3 passed") is removed before anything runs.
    const tool = (t: string) => `rm -rf .peers-pm .venv && python3 -m venv .peers-pm/venv && .peers-pm/venv/bin/pip install -q --disable-pip-version-check ${t}`;
    const uvEnv = 'env -u VIRTUAL_ENV UV_PROJECT_ENVIRONMENT=.venv UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never';
    const poetryEnv = 'env -u VIRTUAL_ENV POETRY_VIRTUALENVS_IN_PROJECT=true POETRY_VIRTUALENVS_CREATE=true POETRY_VIRTUALENVS_PATH="$PWD/.peers-pm/virtualenvs"';
    const uv = detectProject(files({ 'pyproject.toml': '[project]\nname = "x"\n\n[tool.uv]\nrequired-version = ">=0.5.0"\n', 'uv.lock': 'version = 1\n' }));
    expect(uv).toMatchObject({ kinds: ['python'], setup: `${tool("'uv>=0.5.0'")} && ${uvEnv} .peers-pm/venv/bin/uv sync --frozen`, gates: [{ id: 'tests-pass', cmd: '.venv/bin/python -m pytest -q', why: 'uv.lock' }], egress: ['pypi.org', 'files.pythonhosted.org'] });
    expect(uv.notes).toEqual([expect.stringContaining('uv is not in the workspace image (it has python3, venv and pip): setup installs it with pip into .peers-pm/ in the checkout')]);
    expect(passes(uv.gates[0]!.pass_when, { stdout: '...\n3 passed in 0.02s\n' })).toBe(true);
    expect(passes(uv.gates[0]!.pass_when, { exit_code: 5, stdout: 'no tests ran in 0.01s\n' })).toBe(false);
    // Unpinned uv: the newest, and the note says how to pin it.
    const unpinned = detectProject(files({ 'pyproject.toml': '', 'uv.lock': '' }));
    expect(unpinned.setup).toStartWith(`${tool('uv')} &&`);
    expect(unpinned.notes[1]).toContain('pin one with `required-version` under [tool.uv]');
    // Poetry: the version that wrote poetry.lock.
    const lock = '# This file is automatically @generated by Poetry 1.8.3 and should not be changed by hand.\n';
    const poetry = detectProject(files({ 'pyproject.toml': '[tool.poetry]\nname = "x"\n', 'poetry.lock': lock }));
    expect(poetry).toMatchObject({ setup: `${tool('poetry==1.8.3')} && ${poetryEnv} .peers-pm/venv/bin/poetry install --no-interaction`, gates: [{ cmd: '.venv/bin/python -m pytest -q', why: 'poetry.lock' }], egress: ['pypi.org', 'files.pythonhosted.org'] });
    expect(poetry.notes).toHaveLength(1);
    // No lock file: found by its pyproject table, resolved on each setup, and the note says so.
    const lockless = detectProject(files({ 'pyproject.toml': '[project]\nname = "x"\n\n[tool.uv]\ndev-dependencies = ["pytest"]\n' }));
    expect(lockless.setup).toEndWith('.peers-pm/venv/bin/uv sync');
    expect(lockless.notes).toContain('no uv.lock: setup resolves the dependencies anew on each gate run; commit uv.lock');
    expect(detectProject(files({ 'pyproject.toml': '[tool.poetry.dependencies]\npython = "^3.11"\n' })).setup).toEndWith('poetry install --no-interaction');
    // A project that needs a newer Python than the image's 3.11: setup fails there, and init says so first.
    const py312 = detectProject(files({ 'pyproject.toml': '[project]\nname = "x"\nrequires-python = ">=3.12"\n', 'uv.lock': '' }));
    expect(py312.notes).toContain('pyproject.toml requires Python 3.12 or newer, and the workspace image has 3.11 (Debian bookworm): setup fails in a run; build the image on a Debian bookworm base that has python3.12 on its PATH (`peers image build --force --base IMAGE`)');
    expect(detectProject(files({ 'pyproject.toml': '[tool.poetry.dependencies]\npython = "^3.13"\n', 'poetry.lock': '' })).notes.join('\n')).toContain('requires Python 3.13 or newer');
    expect(detectProject(files({ 'pyproject.toml': '[project]\nrequires-python = ">=3.9"\n', 'uv.lock': '' })).notes.join('\n')).not.toContain('requires Python');
    // A pin the shell would read is ignored, never written into the setup line.
    expect(detectProject(files({ 'pyproject.toml': '[tool.uv]\nrequired-version = "0.5; rm -rf ~"\n', 'uv.lock': '' })).setup).toStartWith(`${tool('uv')} &&`);
  });

  test('plain test_*.py files get unittest', () => {
    const ut = detectProject(files({ 'test_calc.py': 'import unittest\n' }));
    expect(ut.gates[0]).toMatchObject({ cmd: 'python3 -m unittest discover -v' });
    expect(passes(ut.gates[0]!.pass_when, { stderr: 'test_a ... ok\n\nRan 1 test in 0.001s\n\nOK\n' })).toBe(true);
    // A status of 0 set from the code under test is not a pass while unittest says FAILED.
    expect(passes(ut.gates[0]!.pass_when, { stderr: 'test_a ... FAIL\n\nRan 1 test in 0.001s\n\nFAILED (failures=1)\n' })).toBe(false);
    expect(passes(ut.gates[0]!.pass_when, { stderr: 'test_add ... ok\n\n----\nRan 1 test in 0.000s\n\nOK\n' })).toBe(true);
    expect(passes(ut.gates[0]!.pass_when, { stderr: '\n----\nRan 0 tests in 0.000s\n\nNO TESTS RAN\n' })).toBe(false);
  });

  test('Git LFS: a note that the peers and the gates see pointer files', () => {
    const lfs = detectProject(files({ '.gitattributes': '*.bin filter=lfs diff=lfs merge=lfs -text\n', 'package.json': pkg({ scripts: { test: 'node --test' } }) }));
    expect(lfs.notes).toContain(LFS_NOTE);
    expect(LFS_NOTE).toContain('get the pointer files, not their content');
    expect(detectProject(files({ '.gitattributes': '*.png binary\n' })).notes).toEqual([]);
  });

  test('a Makefile-only project (C) with a test or check target gets make as its suite, with what the image lacks', () => {
    const c = detectProject(files({ Makefile: 'all:\n\tcc -o hello hello.c\ntest: all\n\t./hello | grep -q hi\n', 'hello.c': 'int main(){}\n' }));
    expect(c).toMatchObject({ kinds: ['make'], gates: [{ id: 'tests-pass', cmd: 'make test', pass_when: 'exit_code == 0', why: 'Makefile target test' }] });
    expect(c.notes[0]).toContain('no make and no C compiler');
    expect(detectProject(files({ GNUmakefile: 'check:\n\t./run\n' })).gates[0]).toMatchObject({ cmd: 'make check' });
    expect(detectProject(files({ Makefile: 'TEST := 1\nall:\n\tcc x.c\n' })).gates).toEqual([]);
    // Another ecosystem's suite wins: a Makefile beside go.mod is not the suite.
    expect(detectProject(files({ Makefile: 'test:\n\tgo test ./...\n', 'go.mod': 'module x\n' })).kinds).toEqual(['go']);
  });

  test('test files written for pytest (bare test functions, no unittest) get pytest: unittest discover would run none of them', () => {
    const py = detectProject(files({ 'requirements.txt': 'requests==2.31.0\n', 'calc.py': 'def add(a, b):\n    return a + b\n', 'tests/test_calc.py': 'from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n' }));
    expect(py.gates[0]).toMatchObject({ cmd: '.venv/bin/python -m pytest -q' });
    expect(detectProject(files({ 'tests/test_x.py': 'import unittest\nclass T(unittest.TestCase):\n    def test_a(self):\n        pass\n' })).gates[0]).toMatchObject({ cmd: 'python3 -m unittest discover -v' });
  });

  test('cargo test and go test, with their fetch steps, registries, and the toolchain the image lacks', () => {
    const rust = detectProject(files({ 'Cargo.toml': '[package]\nname="x"\n', 'Cargo.lock': '' }));
    expect(rust).toMatchObject({ setup: 'mkdir -p .cargo && cargo vendor --locked .peers-vendor >> .cargo/config.toml', egress: ['crates.io', 'index.crates.io', 'static.crates.io'], gates: [{ cmd: 'cargo test' }] });
    expect(rust.notes[0]).toContain('no Rust toolchain');
    expect(passes(rust.gates[0]!.pass_when, { stdout: 'running 2 tests\ntest a ... ok\n\ntest result: ok. 2 passed; 0 failed\n' })).toBe(true);
    // A library's doc-test binary reports ok with 0 passed: no tests at all must not pass.
    expect(passes(rust.gates[0]!.pass_when, { stdout: 'running 0 tests\n\ntest result: ok. 0 passed; 0 failed\n' })).toBe(false);
    // No Cargo.lock: not --locked. The gates read the commit's files, so the source replacement
    // never goes into a committed one: a committed .cargo/config.toml is copied to .cargo/config
    // (which cargo then reads alone); a committed legacy .cargo/config gets a note to rename it.
    // A config that names its own sources (vendored already, a mirror) is left alone.
    expect(detectProject(files({ 'Cargo.toml': '[package]\nname="x"\n', '.cargo/config.toml': '[build]\njobs = 2\n' })).setup).toBe('cp .cargo/config.toml .cargo/config && cargo vendor .peers-vendor >> .cargo/config');
    const legacy = detectProject(files({ 'Cargo.toml': '[package]\nname="x"\n', '.cargo/config': '[build]\njobs = 2\n' }));
    expect(legacy.setup).toBe('cargo vendor .peers-vendor >> .cargo/config');
    expect(legacy.notes.join('\n')).toContain('git mv .cargo/config .cargo/config.toml');
    expect(detectProject(files({ 'Cargo.toml': '[package]\nname="x"\n', '.cargo/config.toml': '[source.crates-io]\nreplace-with = "vendored-sources"\n' })).setup).toBeUndefined();
    const go = detectProject(files({ 'go.mod': 'module x\n', 'go.sum': '' }));
    expect(go).toMatchObject({ setup: 'go mod vendor', gates: [{ cmd: 'go test -v ./...' }] });
    // Modules committed in vendor/: nothing to fetch.
    expect(detectProject(files({ 'go.mod': 'module x\n', 'go.sum': '', 'vendor/modules.txt': '' })).setup).toBeUndefined();
    expect(passes(go.gates[0]!.pass_when, { stdout: '=== RUN   TestParse\n--- PASS: TestParse (0.00s)\nPASS\nok  \texample.com/x\t0.01s\n?   \texample.com/x/cmd\t[no test files]\n' })).toBe(true);
    // The package's code ended the test binary before any test (os.Exit(0) in an init): go still prints `ok`.
    expect(passes(go.gates[0]!.pass_when, { stdout: 'ok  \texample.com/x\t0.01s\n' })).toBe(false);
    expect(passes(go.gates[0]!.pass_when, { stdout: '?   \texample.com/x\t[no test files]\n' })).toBe(false);
  });

  test('two ecosystems: both suites, the first as tests-pass, setups joined', () => {
    const p = detectProject(files({ 'package.json': pkg({ scripts: { test: 'node --test' } }), 'package-lock.json': '', 'pyproject.toml': '[tool.pytest.ini_options]\n' }));
    expect(p.kinds).toEqual(['node', 'python']);
    expect(p.gates.map((g) => g.id)).toEqual(['tests-pass', 'python-tests-pass']);
    expect(p.setup).toBe('npm ci');
  });

  test('git submodules: a note that the peers and the gates do not get their files', () => {
    const p = detectProject(files({ 'package.json': pkg({ scripts: { test: 'node --test' } }), 'package-lock.json': '{}', '.gitmodules': '[submodule "vendor/helper"]\n\tpath = vendor/helper\n\turl = ../helper\n' }));
    expect(p.gates.map((g) => g.cmd)).toEqual(['npm test']);
    expect(p.notes).toEqual([SUBMODULES_NOTE]);
    expect(detectProject(files({ '.gitmodules': '' })).notes).toEqual([SUBMODULES_NOTE]);
  });
  test('nothing recognisable: no proposal', () => {
    expect(detectProject(files({ 'README.md': '# hi' }))).toEqual({ kinds: [], gates: [], egress: [], notes: [] });
  });
});

describe('the files init writes', () => {
  test('the template lines a proposal replaces exist', () => {
    expect(configTemplate.split('\n')).toEqual(expect.arrayContaining([TEMPLATE_LINES.setup, TEMPLATE_LINES.allow]));
    expect(goalsTemplate.split('\n')).toContain(TEMPLATE_LINES.placeholderStart);
  });

  test('with a proposal: valid files, the placeholder goal gone, setup and egress set', () => {
    const p = detectProject(files({ 'package.json': pkg({ scripts: { test: 'node --test', typecheck: 'tsc' } }), 'package-lock.json': '', 'Cargo.toml': '' }));
    const goals = GoalsSchema.parse(parse(renderGoals(goalsTemplate, p)));
    const hard = goals.goals.filter((g) => g.type === 'hard').map((g) => g.id);
    expect(hard).toEqual(['self-review-on-handoff', 'bug-hunt-clean', 'tests-pass', 'typecheck', 'rust-tests-pass']);
    const config = ConfigSchema.parse(parse(renderConfig(configTemplate, p)));
    expect(config.setup).toBe('npm ci && mkdir -p .cargo && cargo vendor .peers-vendor >> .cargo/config.toml');
    expect(config.egress.allow).toEqual(['registry.npmjs.org', 'crates.io', 'index.crates.io', 'static.crates.io']);
  });

  test('without one: the templates as they are, placeholder included', () => {
    const none = detectProject(files({}));
    expect(renderGoals(goalsTemplate, none)).toBe(goalsTemplate);
    expect(renderConfig(configTemplate, none)).toBe(configTemplate);
  });
});

describe('a repository whose projects sit one directory down', () => {
  test('nothing at the top, a node app and a Python API beside it: a gate per directory that changes into it, setup likewise', () => {
    const p = detectProject(files({
      'README.md': '# shop\n',
      'frontend/package.json': pkg({ scripts: { test: 'node --test' } }),
      'frontend/package-lock.json': '{}',
      'backend/requirements.txt': 'pytest\nrequests\n',
      'backend/tests/test_api.py': 'def test_x():\n    assert 1\n',
      'node_modules/left-pad/package.json': pkg({ scripts: { test: 'node --test' } }),
      '.github/package.json': pkg({ scripts: { test: 'node --test' } }),
    }));
    expect(p.kinds).toEqual(['python (backend/)', 'node (frontend/)']);
    expect(p.gates.map((g) => [g.id, g.cmd])).toEqual([
      ['backend-tests-pass', 'cd backend && .venv/bin/python -m pytest -q'],
      ['frontend-tests-pass', 'cd frontend && npm test'],
    ]);
    // Neither is `tests-pass`, the stuck detector's default: config.yaml names them to it.
    expect(p.stuckHaltGates).toEqual(['backend-tests-pass', 'frontend-tests-pass', 'no-prior-regression']);
    expect(p.gates[0]!.why).toBe('backend/: pytest configured or required');
    expect(p.setup).toBe('(cd backend && python3 -m venv --system-site-packages .venv && .venv/bin/pip install -q -r requirements.txt) && (cd frontend && npm ci)');
    expect(p.egress).toEqual(['pypi.org', 'files.pythonhosted.org', 'registry.npmjs.org']);
    // Every gate it writes is one the schema takes.
    expect(() => GoalsSchema.parse(parse(renderGoals(goalsTemplate, p)))).not.toThrow();
  });

  test('two levels down (packages/*, apps/*): a gate per package named by its path; examples and docs are not searched a level down', () => {
    const p = detectProject(files({
      'README.md': '# mono\n',
      'packages/core/package.json': pkg({ scripts: { test: 'node --test' } }),
      'packages/core/package-lock.json': '{}',
      'packages/web/package.json': pkg({ scripts: { test: 'vitest run', typecheck: 'tsc' } }),
      'apps/api/pyproject.toml': '[project]\nname = "api"\n[tool.pytest.ini_options]\n',
      'examples/demo/package.json': pkg({ scripts: { test: 'node --test' } }),
      'packages/core/node_modules/x/package.json': pkg({ scripts: { test: 'node --test' } }),
    }));
    expect(p.gates.map((g) => [g.id, g.cmd])).toEqual([
      ['apps-api-tests-pass', 'cd apps/api && python3 -m pytest -q'],
      ['packages-core-tests-pass', 'cd packages/core && npm test'],
      ['packages-web-tests-pass', 'cd packages/web && npm test'],
      ['packages-web-typecheck', 'cd packages/web && npm run typecheck'],
    ]);
    expect(p.setup).toBe('(cd packages/core && npm ci)');
    expect(() => GoalsSchema.parse(parse(renderGoals(goalsTemplate, p)))).not.toThrow();
  });

  test('a workspace root whose package.json runs no tests: its packages\' suites, the root install only, no "no scripts.test" note', () => {
    const p = detectProject(files({
      'package.json': pkg({ private: true, workspaces: ['packages/*'], devDependencies: { turbo: '1' } }),
      'package-lock.json': '{}',
      'packages/a/package.json': pkg({ scripts: { test: 'node --test' }, dependencies: { ms: '2' } }),
      'packages/b/package.json': pkg({ scripts: { test: 'jest' } }),
    }));
    expect(p.gates.map((g) => [g.id, g.cmd])).toEqual([['packages-a-tests-pass', 'cd packages/a && npm test'], ['packages-b-tests-pass', 'cd packages/b && npm test']]);
    expect(p.setup).toBe('npm ci');
    expect(p.notes).toEqual([]);
    // Without any package suite, the root's own note stays.
    expect(detectProject(files({ 'package.json': pkg({ workspaces: ['packages/*'] }), 'packages/a/package.json': pkg({}) })).notes).toEqual(['package.json has no scripts.test: no test gate proposed']);
  });

  test('a Go and a Rust service in services/: each gate carries its directory, whichever comes first, and config.yaml watches both for stuck', () => {
    const p = detectProject(files({
      'README.md': '# mono\n',
      'services/gosvc/go.mod': 'module example.com/gosvc\n\ngo 1.22\n',
      'services/gosvc/main_test.go': 'package main\n',
      'services/rustlib/Cargo.toml': '[package]\nname = "rustlib"\nversion = "0.1.0"\n',
      'services/rustlib/src/lib.rs': 'pub fn f() {}\n',
    }));
    expect(p.gates.map((g) => g.id)).toEqual(['services-gosvc-tests-pass', 'services-rustlib-tests-pass']);
    expect(p.gates.map((g) => g.cmd.split(' && ')[0])).toEqual(['cd services/gosvc', 'cd services/rustlib']);
    expect(p.stuckHaltGates).toEqual(['services-gosvc-tests-pass', 'services-rustlib-tests-pass', 'no-prior-regression']);
    const config = ConfigSchema.parse(parse(renderConfig(configTemplate, p)));
    expect(config.goals.stuck_halt_gates).toEqual(['services-gosvc-tests-pass', 'services-rustlib-tests-pass', 'no-prior-regression']);
    // One sub-project alone keeps `tests-pass`, and the default stuck gates.
    const one = detectProject(files({ 'services/gosvc/go.mod': 'module example.com/gosvc\n', 'services/gosvc/main_test.go': 'package main\n' }));
    expect(one.gates.map((g) => g.id)).toEqual(['tests-pass']);
    expect(one.stuckHaltGates).toBeUndefined();
    expect(renderConfig(configTemplate, one)).not.toContain('stuck_halt_gates');
  });

  test('a project at the top is the proposal (its packages are its own business); a directory name a shell would split is left out, with a note', () => {
    expect(detectProject(files({ 'package.json': pkg({ scripts: { test: 'node --test' } }), 'docs/package.json': pkg({ scripts: { test: 'node --test' } }) })).gates.map((g) => g.cmd)).toEqual(['npm test']);
    const odd = detectProject(files({ 'my app/package.json': pkg({ scripts: { test: 'node --test' } }) }));
    expect(odd.gates).toEqual([]);
    expect(odd.notes).toContain('my app/ has a node project, but its name is not a plain word: no gate proposed for it; add one with cmd: cd \'my app\' && …');
  });
});

describe("the checks the project's own CI runs", () => {
  const WORKFLOW = [
    'name: ci',
    'on: [push]',
    'jobs:',
    '  lint:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - uses: actions/checkout@v4',
    '      - run: pip install ruff mypy',
    '      - run: ruff check .',
    '      - name: types',
    '        run: |',
    '          mypy src',
    '          black --check .',
    '          black .',
    '  test:',
    '    steps:',
    '      - run: python -m pytest -q',
  ].join('\n');
  const py = { 'pyproject.toml': '[project]\nname = "shapes"\n', 'tests/test_shapes.py': 'def test_x(): pass\n' };

  test('a new user whose CI runs ruff and mypy is told so, with the file, not only "add lint"', () => {
    const p = detectProject(files({ ...py, '.github/workflows/ci.yml': WORKFLOW }));
    const note = p.notes.find((n) => n.startsWith('your CI also runs'));
    expect(note).toBe("your CI also runs `ruff check .` (.github/workflows/ci.yml), `mypy src` (.github/workflows/ci.yml), `black --check .` (.github/workflows/ci.yml): add those you rely on to .peers/goals.yaml as hard gates; they run in the workspace image, so its tools or your `setup` must provide each program (`peers verify` shows whether they do)");
    // The test suite is proposed as the gate; installing tools and a rewriting `black .` are no checks.
    expect(p.gates.map((g) => g.id)).toEqual(['tests-pass']);
  });

  test('tox, a Makefile lint target, GitLab CI and pre-commit are read too; a check the proposal already has is not named again', () => {
    const p = detectProject(files({
      ...py,
      'tox.ini': '[tox]\nenvlist = py311\n[testenv:lint]\ncommands =\n    flake8 src\n    pytest\n[testenv]\ndeps = pytest\n',
      Makefile: 'test:\n\tpytest\nlint:\n\t@ruff check src\n\t-pylint src\n',
      '.gitlab-ci.yml': 'stages: [check]\ntypes:\n  script:\n    - pyright\n',
      '.pre-commit-config.yaml': 'repos:\n  - repo: https://github.com/pre-commit/mirrors-mypy\n    hooks:\n      - id: mypy\n      - id: trailing-whitespace\n',
    }));
    const note = p.notes.find((n) => n.startsWith('your CI also runs'))!;
    expect(note).toContain('`pyright` (.gitlab-ci.yml)');
    expect(note).toContain('`flake8 src` (tox.ini)');
    expect(note).toContain('`ruff check src` (Makefile)');
    expect(note).toContain('`pylint src` (Makefile)');
    expect(note).toContain('`mypy (a pre-commit hook)` (.pre-commit-config.yaml)');
    expect(note).not.toContain('trailing-whitespace');
    expect(note).not.toContain('pytest');
  });

  test('no CI, a CI with only tests, or a CI file that does not parse: no note', () => {
    expect(detectProject(files(py)).notes.some((n) => n.startsWith('your CI'))).toBe(false);
    expect(detectProject(files({ ...py, '.github/workflows/t.yml': 'jobs:\n  t:\n    steps:\n      - run: pytest\n' })).notes.some((n) => n.startsWith('your CI'))).toBe(false);
    expect(detectProject(files({ ...py, '.github/workflows/bad.yml': 'jobs: [unclosed\n  - run: ruff check .' })).notes.some((n) => n.startsWith('your CI'))).toBe(false);
  });
});

test("a node project's CI: npm run lint is named; the typecheck init proposes is not named again", () => {
  const p = detectProject(files({
    'package.json': pkg({ scripts: { test: 'node --test', lint: 'eslint .' }, devDependencies: { typescript: '5' } }),
    'package-lock.json': '{}',
    'tsconfig.json': '{}',
    '.github/workflows/ci.yml': 'jobs:\n  ci:\n    steps:\n      - run: npm ci\n      - run: npm run lint\n      - run: npx tsc --noEmit\n      - run: npm test\n',
  }));
  expect(p.gates.map((g) => g.id)).toEqual(['tests-pass', 'typecheck']);
  expect(p.notes.find((n) => n.startsWith('your CI also runs'))).toStartWith('your CI also runs `npm run lint` (.github/workflows/ci.yml): add those');
});
