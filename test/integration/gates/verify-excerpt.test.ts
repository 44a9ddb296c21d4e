/**
 * `peers verify` shows where a failing command's error is: npm prints its real error first
 * (`npm error code EUSAGE`) and a log path last, so the head of the output is shown, not only the
 * tail; in the terminal, in VERIFY.md and in --json. Real npm, real git, the real CLI entry point.
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { failureExcerpt, streamExcerpt } from '../../../src/gates/output-excerpt.ts';

const MAIN = resolve(import.meta.dir, '../../../src/main.ts');
const ID = ['-c', 'user.name=t', '-c', 'user.email=t@example.com'];
const root = mkdtempSync(join(tmpdir(), 'verify-excerpt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function verify(repo: string, ...args: string[]) {
  // npm writes its cache and logs under HOME: keep them in the scratch directory.
  const env = { ...process.env, NO_COLOR: '1', HOME: join(root, 'home'), npm_config_cache: join(root, 'npm-cache'), npm_config_update_notifier: 'false' };
  const res = Bun.spawnSync([process.execPath, MAIN, 'verify', '-C', repo, ...args], { stdout: 'pipe', stderr: 'pipe', env });
  return { code: res.exitCode, stdout: res.stdout.toString() };
}

test('a failing `npm ci` shows npm\'s first lines (the error) as well as its last (the log path)', () => {
  const repo = join(root, 'lib');
  mkdirSync(join(repo, '.peers'), { recursive: true });
  gitOk(repo, ['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, '.gitignore'), '.peers/\n');
  // No package-lock.json: `npm ci` refuses, saying so at the top of ~100 lines of usage text.
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'lib', version: '1.0.0', scripts: { test: 'node --test' } }));
  gitOk(repo, ['add', '.']);
  gitOk(repo, [...ID, 'commit', '-q', '-m', 'initial']);
  writeFileSync(join(repo, '.peers', 'config.yaml'), 'peers:\n  - { name: a, tool: custom, argv: [cat] }\n  - { name: b, tool: custom, argv: [cat] }\nsetup: npm ci\n');
  writeFileSync(join(repo, '.peers', 'goals.yaml'), 'goals:\n  - { id: tests-pass, type: hard, cmd: npm test, pass_when: exit_code == 0 }\n');

  const r = verify(repo);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain('What the failures printed (the first lines are often where the error is):');
  expect(r.stdout).toContain('  setup: npm ci\n    stderr:\n      npm error code EUSAGE');
  expect(r.stdout).toMatch(/npm ci. command can only install with an existing package-lock\.json/);
  expect(r.stdout).toMatch(/… \d+ more lines …/);
  expect(r.stdout).toMatch(/A complete log of this run can be found in/);
  expect(r.stdout).toMatch(/Result: FAIL: setup failed, so no gate ran \(1 not run; the code was not judged\) {2}\(commit [0-9a-f]{12}, took \d+\.\d s\)/);

  const md = readFileSync(join(repo, '.peers', 'VERIFY.md'), 'utf8');
  expect(md).toContain('## What the failures printed');
  expect(md).toContain('### setup — `npm ci`\n\n```text\nstderr:\n  npm error code EUSAGE');

  const json = JSON.parse(verify(repo, '--json').stdout);
  expect(json.setup.excerpt).toStartWith('stderr:\n  npm error code EUSAGE');
  expect(json.duration_ms).toBeGreaterThan(0);
});

test('a failing hard goal carries its excerpt too; a passing one carries none', () => {
  const repo = join(root, 'gates');
  mkdirSync(join(repo, '.peers'), { recursive: true });
  gitOk(repo, ['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, '.gitignore'), '.peers/\n');
  gitOk(repo, ['add', '.']);
  gitOk(repo, [...ID, 'commit', '-q', '-m', 'initial']);
  writeFileSync(join(repo, '.peers', 'config.yaml'), 'peers:\n  - { name: a, tool: custom, argv: [cat] }\n  - { name: b, tool: custom, argv: [cat] }\n');
  writeFileSync(
    join(repo, '.peers', 'goals.yaml'),
    'goals:\n  - { id: red, type: hard, cmd: "echo FIRST: the real error >&2; seq 1 50 >&2; exit 1", pass_when: exit_code == 0 }\n  - { id: green, type: hard, cmd: "echo fine", pass_when: exit_code == 0 }\n',
  );
  const json = JSON.parse(verify(repo, '--json').stdout);
  const red = json.hard.find((g: { id: string }) => g.id === 'red');
  expect(red.excerpt).toStartWith('stderr:\n  FIRST: the real error\n  1\n');
  expect(red.cmd).toContain('FIRST');
  expect(json.hard.find((g: { id: string }) => g.id === 'green').excerpt).toBeUndefined();
});

test('the excerpt: short output whole; long output head, a count, tail; control characters removed', () => {
  expect(streamExcerpt('\n\na\nb\n\n')).toEqual(['a', 'b']);
  const long = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n');
  const lines = streamExcerpt(long);
  expect(lines.slice(0, 2)).toEqual(['line 1', 'line 2']);
  expect(lines).toContain('… 25 more lines …');
  expect(lines.at(-1)).toBe('line 40');
  expect(failureExcerpt('out\n', '\u001b[31merr\u001b[0m\u0007\n')).toBe('stderr:\n  err\nstdout:\n  out');
  expect(failureExcerpt('', '')).toBe('');
});
