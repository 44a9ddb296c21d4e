/**
 * The notes under a verify result, where the user's working tree and what verify judged differ.
 *
 * A repository whose tests import a submodule's files: they pass in the user's working tree, and
 * `peers verify` (a checkout of this repository's commits only, as in a run) fails them with a bare
 * "module not found". Verify says why, naming the submodule, in the terminal, VERIFY.md and --json.
 * Real git (a file:// submodule), real node --test, the real CLI entry point.
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';

const MAIN = resolve(import.meta.dir, '../../../src/main.ts');
const ID = ['-c', 'user.name=t', '-c', 'user.email=t@example.com'];
const root = mkdtempSync(join(tmpdir(), 'verify-notes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function verify(repo: string, ...args: string[]) {
  const env = { ...process.env, NO_COLOR: '1', HOME: join(root, 'home') };
  const res = Bun.spawnSync([process.execPath, MAIN, 'verify', '-C', repo, ...args], { stdout: 'pipe', stderr: 'pipe', env });
  return { code: res.exitCode, stdout: res.stdout.toString() };
}

test('tests that need a submodule fail in verify with a note naming the submodule; a green verify has no note', () => {
  const sub = join(root, 'sublib');
  mkdirSync(sub, { recursive: true });
  gitOk(sub, ['init', '-q', '-b', 'main']);
  writeFileSync(join(sub, 'two.js'), 'export const two = 2;\n');
  gitOk(sub, ['add', '.']);
  gitOk(sub, [...ID, 'commit', '-q', '-m', 'two']);

  const repo = join(root, 'app');
  mkdirSync(join(repo, '.peers'), { recursive: true });
  mkdirSync(join(repo, 'test'));
  gitOk(repo, ['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, '.gitignore'), '.peers/\n');
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', scripts: { test: 'node --test' } }));
  writeFileSync(join(repo, 'test', 'two.test.js'), "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { two } from '../vendor/sublib/two.js';\ntest('two', () => assert.equal(two, 2));\n");
  gitOk(repo, ['-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub, 'vendor/sublib']);
  gitOk(repo, ['add', '.']);
  gitOk(repo, [...ID, 'commit', '-q', '-m', 'app on sublib']);
  writeFileSync(join(repo, '.peers', 'config.yaml'), 'peers:\n  - { name: a, tool: custom, argv: [cat] }\n  - { name: b, tool: custom, argv: [cat] }\n');
  writeFileSync(join(repo, '.peers', 'goals.yaml'), 'goals:\n  - { id: tests-pass, type: hard, cmd: node --test, pass_when: exit_code == 0 }\n');
  // In the working tree the submodule is there and the suite is green.
  expect(Bun.spawnSync(['node', '--test'], { cwd: repo }).exitCode).toBe(0);

  const r = verify(repo);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain('note: the repository has git submodules: vendor/sublib');
  expect(r.stdout).toContain('each submodule is an empty directory');
  expect(readFileSync(join(repo, '.peers', 'VERIFY.md'), 'utf8')).toContain('## Notes\n\n- `the repository has git submodules: vendor/sublib');
  expect(JSON.parse(verify(repo, '--json').stdout).notes).toEqual([expect.stringContaining('vendor/sublib')]);

  // A suite that does not need the submodule: green, and nothing to explain.
  writeFileSync(join(repo, '.peers', 'goals.yaml'), 'goals:\n  - { id: tests-pass, type: hard, cmd: "true", pass_when: exit_code == 0 }\n');
  const green = verify(repo);
  expect(green.code).toBe(0);
  expect(green.stdout).not.toContain('note:');
  expect(JSON.parse(verify(repo, '--json').stdout).notes).toEqual([]);
});

test('a working tree with uncommitted changes: verify says which of them its result leaves out', () => {
  const repo = join(root, 'dirty');
  mkdirSync(join(repo, '.peers'), { recursive: true });
  gitOk(repo, ['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, '.gitignore'), '.peers/\n');
  writeFileSync(join(repo, 'lib.js'), 'export const one = 1;\n');
  gitOk(repo, ['add', '.']);
  gitOk(repo, [...ID, 'commit', '-q', '-m', 'lib']);
  writeFileSync(join(repo, '.peers', 'config.yaml'), 'peers:\n  - { name: a, tool: custom, argv: [cat] }\n  - { name: b, tool: custom, argv: [cat] }\n');
  writeFileSync(join(repo, '.peers', 'goals.yaml'), 'goals:\n  - { id: lib-present, type: hard, cmd: test -f lib.js, pass_when: exit_code == 0 }\n');
  expect(verify(repo).stdout).not.toContain('uncommitted');
  // The user's edit that breaks the gate, not committed: the green result is about HEAD only.
  writeFileSync(join(repo, 'lib.js'), 'export const one = 2;\n');
  writeFileSync(join(repo, 'scratch.txt'), 'notes\n');
  const r = verify(repo);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/note: 2 uncommitted change\(s\) are not part of this result \(verify judges commit [0-9a-f]{12}; commit them to have them checked\): M lib\.js, \?\? scratch\.txt/);
  expect(readFileSync(join(repo, '.peers', 'VERIFY.md'), 'utf8')).toContain('- `2 uncommitted change(s) are not part of this result');
  // A local environment (an untracked venv/) is not work to commit: the note says .gitignore.
  mkdirSync(join(repo, 'venv', 'bin'), { recursive: true });
  writeFileSync(join(repo, 'venv', 'pyvenv.cfg'), 'home = /usr/bin\n');
  const env = verify(repo);
  expect(env.stdout).toMatch(/note: 3 uncommitted change\(s\) are not part of this result \(verify judges commit [0-9a-f]{12}; commit what the run needs to have them checked; add venv\/ to \.gitignore \(local: the run makes its own in setup\)\): M lib\.js, \?\? scratch\.txt, \?\? venv\//);
  rmSync(join(repo, 'scratch.txt'));
  gitOk(repo, ['checkout', '-q', 'lib.js']);
  expect(verify(repo).stdout).toMatch(/note: 1 uncommitted change\(s\) are not part of this result \(verify judges commit [0-9a-f]{12}; add venv\/ to \.gitignore: it is local, and the run makes its own in setup\): \?\? venv\//);
});

test('a goals.yaml with no hard goal (an emptied file) measures nothing: verify fails (exit 1) and says so, it never reads PASS (hard 0/0)', () => {
  const repo = join(root, 'unmeasured');
  mkdirSync(join(repo, '.peers'), { recursive: true });
  gitOk(repo, ['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, '.gitignore'), '.peers/\n');
  gitOk(repo, ['add', '.']);
  gitOk(repo, [...ID, 'commit', '-q', '-m', 'start']);
  writeFileSync(join(repo, '.peers', 'config.yaml'), 'peers:\n  - { name: a, tool: custom, argv: [cat] }\n  - { name: b, tool: custom, argv: [cat] }\n');
  writeFileSync(join(repo, '.peers', 'goals.yaml'), '');
  const r = verify(repo);
  expect(r.stdout).toContain(`note: ${join(repo, '.peers', 'goals.yaml')}: no hard goal: nothing measures the work, so a run would end \`complete\` on the peers' word alone`);
  expect(r.stdout).toContain('Result: FAIL (hard 0/0)');
  expect(r.code).toBe(1);
});
