/**
 * A user whose projects live under a directory with a space in its name (`~/my projects/ring buf`,
 * a home like `/Users/Jane Doe`): every command peers prints for them to run next is one they can
 * paste into their shell as it is. Before, the path went in unquoted (`peers up /…/my projects/ring
 * buf`), which the shell splits into two arguments. The printed commands are split by a real `sh`
 * and the pasted `peers verify` is run.
 */
import { afterAll, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitIn, makeRepo, makeSandbox, runPeers } from './peers-cli.ts';

const sb = makeSandbox();
afterAll(() => sb.cleanup());

const BUN = join(import.meta.dir, '../../../node_modules/.bin/bun');
const MAIN = join(import.meta.dir, '../../../src/main.ts');

/** The words `sh` makes of a printed command line (what the user's shell would run). */
function shellWords(line: string): string[] {
  const r = spawnSync('sh', ['-c', `set -- ${line}; printf '%s\\0' "$@"`], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout.split('\0').slice(0, -1);
}

/** The first `peers …` command in `text` (inside backticks when quoted as code, else to the end of the line or a `  #` comment). */
function printedCommand(text: string, start: string): string {
  const line = text.split('\n').find((l) => l.includes(start));
  if (!line) throw new Error(`no line with ${JSON.stringify(start)} in:\n${text}`);
  const from = line.slice(line.indexOf(start));
  return from.startsWith('peers') && line[line.indexOf(start) - 1] === '`' ? from.slice(0, from.indexOf('`')) : from.split('  #')[0]!.trim();
}

test('a project and a state dir with spaces in their paths: the commands peers prints paste as they are', () => {
  const repo = makeRepo(join(sb.root, 'my projects'), 'ring buf', { commits: 0 });
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'ring-buf', version: '1.0.0', scripts: { test: 'node --test' } }, null, 2));
  mkdirSync(join(repo, 'test'));
  writeFileSync(join(repo, 'test', 'ring.test.js'), "const test = require('node:test');\nconst assert = require('node:assert');\nconst { size } = require('../ring.js');\ntest('an empty ring has size 0', () => assert.equal(size([]), 0));\n");
  writeFileSync(join(repo, 'ring.js'), 'exports.size = (items) => items.length - 1;\n'); // the bug the peers are to fix
  gitIn(repo, ['add', '-A']);
  gitIn(repo, ['commit', '-q', '-m', 'ring buffer']);
  const env = { ...sb.env, XDG_STATE_HOME: join(sb.root, 'state home'), npm_config_cache: join(sb.root, 'npm-cache'), npm_config_update_notifier: 'false' };
  expect(runPeers(['init'], { cwd: repo, env }).code).toBe(0);

  // status before any run: how to start one.
  const status = runPeers(['status'], { cwd: repo, env });
  expect(status.code).toBe(0);
  expect(shellWords(printedCommand(status.stdout, 'peers up'))).toEqual(['peers', 'up', repo]);

  // reset of a prepared run: where its report is.
  expect(runPeers(['up', '--clone-only'], { cwd: repo, env }).code).toBe(0);
  const reset = runPeers(['reset'], { cwd: repo, env });
  expect(reset.code).toBe(0);
  const report = shellWords(printedCommand(reset.stderr + reset.stdout, 'peers report --state-dir'));
  expect(report.slice(0, 3)).toEqual(['peers', 'report', '--state-dir']);
  expect(report).toHaveLength(4);
  expect(report[3]!.startsWith(join(sb.root, 'state home'))).toBe(true);

  // doctor after a verify that found the bug: the command that runs verify again, pasted, runs it on this project.
  expect(runPeers(['verify', '-C', repo], { cwd: repo, env }).code).toBe(1);
  const doctor = runPeers(['doctor'], { cwd: sb.root, env });
  const rerun = printedCommand(doctor.stdout, 'peers verify -C');
  expect(shellWords(rerun)).toEqual(['peers', 'verify', '-C', repo]);
  const pasted = spawnSync('sh', ['-c', rerun.replace(/^peers /, `'${BUN}' '${MAIN}' `)], { cwd: sb.root, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8' });
  expect(pasted.stdout).toMatch(/hard +tests-pass +FAIL/);
  expect(pasted.stdout).toContain(`Wrote ${repo}/.peers/VERIFY.md`);
  expect(pasted.status).toBe(1);
}, 120_000);

test('a project whose path has a line break and non-ASCII letters: verify runs its gates (git read the path from its alternates file as two, exit 70)', () => {
  const repo = makeRepo(sb.root, 'line\nbreak-é✓');
  expect(runPeers(['init'], { cwd: repo, env: sb.env }).code).toBe(0);
  writeFileSync(join(repo, '.peers/goals.yaml'), 'goals:\n  - id: ok\n    type: hard\n    cmd: test -f .gitignore\n    pass_when: exit_code == 0\n');
  const verify = runPeers(['verify', '--json'], { cwd: repo, env: sb.env });
  expect(verify.stderr).not.toContain('internal error');
  expect(JSON.parse(verify.stdout).hard).toEqual([expect.objectContaining({ id: 'ok', state: 'pass' })]);
  expect(verify.code).toBe(0);
}, 60_000);
