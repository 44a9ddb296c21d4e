/**
 * `peers init` on real-shaped projects proposes the project's own test suite as a gate, and
 * `peers verify` then judges it with the real runner: green when tests pass, red when one fails,
 * and red when no test ran at all (the proposed pass_when is not just `exit_code == 0`).
 * Real npm + node --test, real pytest, real cargo (each skipped with a reason when the runner is
 * not installed on this machine; test/setup.sh installs them).
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { gitIn, makeRepo, makeSandbox, runPeers } from './peers-cli.ts';

const sb = makeSandbox();
afterAll(() => sb.cleanup());
const has = (cmd: string) => spawnSync('sh', ['-c', cmd], { stdio: 'ignore' }).status === 0;
// The sandbox HOME hides rustup's toolchains: point cargo at the real ones (read-only use).
const realHome = process.env.HOME ?? '/root';
const env = {
  ...sb.env,
  npm_config_cache: join(sb.root, 'npm-cache'),
  npm_config_update_notifier: 'false',
  RUSTUP_HOME: process.env.RUSTUP_HOME ?? join(realHome, '.rustup'),
  CARGO_HOME: process.env.CARGO_HOME ?? join(realHome, '.cargo'),
  CARGO_TARGET_DIR: join(sb.root, 'cargo-target'),
};

function project(name: string, tree: Record<string, string>): string {
  const repo = makeRepo(sb.root, name, { commits: 0 });
  for (const [rel, text] of Object.entries(tree)) {
    mkdirSync(join(repo, rel, '..'), { recursive: true });
    writeFileSync(join(repo, rel), text);
  }
  gitIn(repo, ['add', '-A']);
  gitIn(repo, ['commit', '-q', '-m', 'initial']);
  return repo;
}
const commitAll = (repo: string, message: string) => {
  gitIn(repo, ['add', '-A']);
  gitIn(repo, ['commit', '-q', '-m', message]);
};
const hardGates = (repo: string) => (parse(readFileSync(join(repo, '.peers/goals.yaml'), 'utf8')) as { goals: { id: string; type: string; cmd?: string }[] }).goals.filter((g) => g.type === 'hard');
const verify = (repo: string) => runPeers(['verify', '-C', repo], { cwd: repo, env });

describe('init proposes the real test suite; verify judges it', () => {
  test.skipIf(!has('npm --version'))('npm + node --test: green, then red on a failing test, then red with no tests at all', () => {
    const repo = project('npm-lib', {
      'package.json': JSON.stringify({ name: 'add', version: '1.0.0', type: 'module', scripts: { test: 'node --test' } }, null, 2),
      'index.js': 'export const add = (a, b) => a + b;\n',
      'test/add.test.js': "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { add } from '../index.js';\ntest('adds', () => assert.equal(add(1, 2), 3));\n",
    });
    const init = runPeers(['init'], { cwd: repo, env });
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('Found a node project; proposed:\n  gate tests-pass: npm test');
    expect(hardGates(repo).map((g) => [g.id, g.cmd])).toEqual([['self-review-on-handoff', 'peers check self-review-on-handoff'], ['bug-hunt-clean', 'peers check bug-hunt-clean'], ['tests-pass', 'npm test']]);

    const green = verify(repo);
    expect(green.stdout).toContain('Result: PASS (hard 3/3');
    expect(green.code).toBe(0);

    writeFileSync(join(repo, 'index.js'), 'export const add = (a, b) => a - b;\n');
    commitAll(repo, 'break add');
    const red = verify(repo);
    expect(red.code).toBe(1);
    expect(red.stdout).toMatch(/hard +tests-pass +FAIL/);

    rmSync(join(repo, 'test'), { recursive: true });
    commitAll(repo, 'no tests');
    const none = verify(repo);
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/hard +tests-pass +FAIL/);
  }, 120_000);

  test.skipIf(!has('python3 -m pytest --version'))('pyproject + pytest: green with passing tests, red with none collected', () => {
    const repo = project('py-lib', {
      'pyproject.toml': '[project]\nname = "calc"\nversion = "0.1.0"\n\n[tool.pytest.ini_options]\npythonpath = ["."]\n',
      'calc.py': 'def add(a, b):\n    return a + b\n',
      'tests/test_calc.py': 'from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n',
    });
    expect(runPeers(['init'], { cwd: repo, env }).code).toBe(0);
    expect(hardGates(repo).at(-1)).toMatchObject({ id: 'tests-pass', cmd: 'python3 -m pytest -q' });
    expect(verify(repo).code).toBe(0);
    writeFileSync(join(repo, 'tests/test_calc.py'), 'from calc import add\n');
    commitAll(repo, 'no tests');
    expect(verify(repo).code).toBe(1);
  }, 120_000);

  test.skipIf(!has('cargo --version'))('Cargo.toml: cargo test green; only doc-tests (0 passed) is red', () => {
    const repo = project('rs-lib', {
      'Cargo.toml': '[package]\nname = "calc"\nversion = "0.1.0"\nedition = "2021"\n',
      'src/lib.rs': 'pub fn add(a: i32, b: i32) -> i32 { a + b }\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() { assert_eq!(super::add(1, 2), 3); }\n}\n',
    });
    const init = runPeers(['init'], { cwd: repo, env });
    expect(init.stdout).toContain('note: the workspace image has no Rust toolchain');
    const config = parse(readFileSync(join(repo, '.peers/config.yaml'), 'utf8'));
    expect(config).toMatchObject({ setup: 'mkdir -p .cargo && cargo vendor .peers-vendor >> .cargo/config.toml', egress: { allow: ['crates.io', 'index.crates.io', 'static.crates.io'] } });
    expect(verify(repo).code).toBe(0);
    writeFileSync(join(repo, 'src/lib.rs'), 'pub fn add(a: i32, b: i32) -> i32 { a + b }\n');
    commitAll(repo, 'no tests');
    expect(verify(repo).code).toBe(1);
  }, 240_000);

  test.skipIf(!has('npm --version'))('a submodule the tests need: green in the working tree, red on the clean checkout, and init says why', () => {
    const helper = project('helper', { 'two.js': 'exports.two = () => 2;\n' });
    const repo = project('with-submodule', {
      'package.json': JSON.stringify({ name: 'uses-helper', version: '1.0.0', scripts: { test: 'node --test' } }, null, 2),
      'package-lock.json': JSON.stringify({ name: 'uses-helper', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'uses-helper', version: '1.0.0' } } }),
      'test/two.test.js': "const test = require('node:test');\nconst assert = require('node:assert');\ntest('two', () => assert.equal(require('../vendor/helper/two.js').two(), 2));\n",
    });
    gitIn(repo, ['-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', helper, 'vendor/helper']);
    commitAll(repo, 'the helper as a submodule');
    expect(spawnSync('npm', ['test'], { cwd: repo, env, encoding: 'utf8' }).status).toBe(0);

    const init = runPeers(['init'], { cwd: repo, env });
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('note: the repository has git submodules (.gitmodules): the peers and the gates get this repository\'s commits only');
    const red = verify(repo);
    expect(red.code).toBe(1);
    expect(red.stdout).toMatch(/hard +tests-pass +FAIL/);
  }, 120_000);

  // No PyPI on the test machines: init's proposal is checked here, the commands in test/unit/config/detect-project.test.ts.
  test('a uv project: init proposes the setup that installs uv into the checkout, PyPI in egress, a gate on .venv, and says why', () => {
    const repo = project('uv-lib', {
      'pyproject.toml': '[project]\nname = "calc"\nversion = "0.1.0"\n\n[dependency-groups]\ndev = ["pytest>=8"]\n\n[tool.uv]\nrequired-version = "==0.5.11"\n',
      'uv.lock': 'version = 1\nrequires-python = ">=3.11"\n',
      'tests/test_calc.py': 'def test_add():\n    assert 1 + 2 == 3\n',
    });
    const init = runPeers(['init'], { cwd: repo, env });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('uv is not in the workspace image (it has python3, venv and pip): setup installs it with pip into .peers-pm/ in the checkout');
    const config = parse(readFileSync(join(repo, '.peers/config.yaml'), 'utf8')) as { setup?: string; egress?: { allow?: string[] } };
    expect(config.setup).toContain('.peers-pm/venv/bin/pip install -q --disable-pip-version-check uv==0.5.11 && ');
    expect(config.setup).toEndWith('.peers-pm/venv/bin/uv sync --frozen');
    expect(config.egress?.allow).toEqual(expect.arrayContaining(['pypi.org', 'files.pythonhosted.org']));
    expect(hardGates(repo).find((g) => g.id === 'tests-pass')?.cmd).toBe('.venv/bin/python -m pytest -q');
  });

  test('nothing recognisable: the placeholder gate, and init says so', () => {
    const repo = project('docs-only', { 'README.md': '# notes\n' });
    const init = runPeers(['init'], { cwd: repo, env });
    expect(init.stdout).toContain('No test suite found: goals.yaml has a placeholder gate');
    expect(hardGates(repo).map((g) => g.id)).toContain('placeholder-replace-me');
    // Left as it is, `peers up` says the run cannot complete (before anything is paid for).
    const up = runPeers(['up', '--clone-only'], { cwd: repo, env });
    expect(up.code).toBe(0);
    expect(up.stderr).toContain(`peers up: warning: ${join(repo, '.peers/goals.yaml')}: the hard goal placeholder-replace-me is still the placeholder \`peers init\` left (it found no test suite): it never passes, so this run cannot complete`);
    // Replaced by a real gate: not a word.
    const goalsPath = join(repo, '.peers/goals.yaml');
    writeFileSync(goalsPath, readFileSync(goalsPath, 'utf8').replace('id: placeholder-replace-me', 'id: readme-present').replace('cmd: "false"', 'cmd: "test -f README.md"'));
    const again = runPeers(['up', '--clone-only', '--accept-changes'], { cwd: repo, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('placeholder');
  });

  test.skipIf(!has('npm --version'))('a project not committed yet (git init, then init): init says the gates it proposed are not in HEAD yet, and its advice, followed, makes verify judge them', () => {
    const repo = makeRepo(sb.root, 'fresh-lib', { commits: 0 });
    const tree: Record<string, string> = {
      'package.json': JSON.stringify({ name: 'fresh', version: '1.0.0', scripts: { test: 'node --test' } }, null, 2),
      'index.js': 'exports.add = (a, b) => a + b;\n',
      'test/add.test.js': "const test = require('node:test');\nconst assert = require('node:assert');\nconst { add } = require('../index.js');\ntest('adds', () => assert.equal(add(1, 2), 3));\n",
    };
    for (const [rel, text] of Object.entries(tree)) {
      mkdirSync(join(repo, rel, '..'), { recursive: true });
      writeFileSync(join(repo, rel), text);
    }
    // No identity, whatever the machine's host name (git would make an email of it).
    const noIdentity = { ...env, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'user.useConfigOnly', GIT_CONFIG_VALUE_0: 'true' };
    const init = runPeers(['init'], { cwd: repo, env: noIdentity });
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('gate tests-pass: npm test');
    const note = init.stdout.split('\n').find((l) => l.includes('not committed'));
    expect(note, init.stdout).toBeDefined();
    expect(note).toContain('tests-pass (`npm test`)');
    expect(note).toContain('package.json');
    // Before: verify judged HEAD (init's .gitignore commit alone) and failed on a missing package.json.
    // The note's commands, run as printed, commit the project and move the baseline onto it.
    const advice = [...note!.matchAll(/`((?:git|peers) [^`]+)`/g)].map((m) => m[1]!).filter((c) => c.startsWith('git'));
    expect(advice.length).toBeGreaterThan(0);
    // This machine's git has no identity for the user (a new user's): the note says to set one, in
    // commands that work as printed; before, its `git commit` failed ("unable to auto-detect email").
    expect(note).toContain('git has no name and email for you yet');
    // The user's own global git config: a file of the sandbox (never the sandbox's GIT_CONFIG_GLOBAL
    // of /dev/null, which `git config --global` would replace with a regular file, as root).
    const userGitConfig = join(sb.root, 'fresh-lib-user.gitconfig');
    for (const cmd of advice) {
      const r = spawnSync('sh', ['-c', cmd], { cwd: repo, env: { ...process.env, ...noIdentity, GIT_CONFIG_GLOBAL: userGitConfig }, encoding: 'utf8' });
      expect(r.status, `${cmd}: ${r.stderr}`).toBe(0);
    }
    expect(gitIn(repo, ['rev-parse', 'peers-baseline^{commit}'])).toBe(gitIn(repo, ['rev-parse', 'HEAD']));
    const green = verify(repo);
    expect(green.stdout).toContain('Result: PASS (hard 3/3');
    expect(green.code).toBe(0);

    // A committed project gets no such note.
    const committed = project('committed-lib', tree);
    expect(runPeers(['init'], { cwd: committed, env }).stdout).not.toContain('not committed');
  }, 120_000);
});
