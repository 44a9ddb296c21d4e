/**
 * As an unprivileged user (root writes anywhere): a repository, `.git` or `.peers/` this user
 * cannot write is bad input named by its path, exit 2, with nothing written: `peers init` used to
 * end in exit 70 "internal error: EACCES", and after a read-only `.git` it left `.peers/` and an
 * untracked `.gitignore` behind; `peers verify` ran every gate, then exited 70 on VERIFY.md.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitIn, makeRepo, makeSandbox, STACK_LINE, type CliResult } from './peers-cli.ts';

const sb = makeSandbox();
const user = process.env.PEERS_TEST_USER || 'peerstest';
let uid: number;
beforeAll(() => {
  const id = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  if (id.status !== 0) throw new Error(`test user ${user} does not exist: run test/setup.sh (as root) first`);
  uid = Number(id.stdout.trim());
});
afterAll(() => {
  spawnSync('chmod', ['-R', 'u+rwX', sb.root]);
  sb.cleanup();
});

const BUN = join(import.meta.dir, '../../../node_modules/.bin/bun');
const MAIN = join(import.meta.dir, '../../../src/main.ts');

/** A repository with one commit, owned by the test user. */
function userRepo(name: string): string {
  const repo = makeRepo(sb.root, name);
  spawnSync('chown', ['-R', `${uid}:${uid}`, repo, sb.home]);
  chownSync(sb.root, uid, uid);
  return repo;
}

function asUser(args: string[], cwd: string, extraEnv: Record<string, string> = {}): CliResult {
  const env = Object.entries({ ...sb.env, NO_COLOR: '1', PATH: process.env.PATH ?? '', ...extraEnv }).map(([k, v]) => `${k}=${v}`);
  const r = spawnSync('runuser', ['-u', user, '--', 'env', ...env, BUN, MAIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function refused(r: CliResult, message: string): void {
  expect(r.stderr).toContain(message);
  expect(r.stderr).not.toContain('internal error');
  expect(r.stderr).not.toMatch(STACK_LINE);
  expect(r.code).toBe(2);
}

test('init in a repository (or a .git) this user cannot write: exit 2 naming it, nothing written', () => {
  const readOnlyTop = userRepo('read-only-top');
  chmodSync(readOnlyTop, 0o555);
  refused(asUser(['init'], readOnlyTop), `${readOnlyTop}: permission denied: peers init writes .peers/ and .gitignore here`);
  chmodSync(readOnlyTop, 0o755);

  const readOnlyGit = userRepo('read-only-git');
  const head = gitIn(readOnlyGit, ['-c', 'safe.directory=*', 'rev-parse', 'HEAD']);
  chmodSync(join(readOnlyGit, '.git'), 0o555);
  refused(asUser(['init'], readOnlyGit), `${join(readOnlyGit, '.git')}: permission denied: peers init commits .gitignore and tags HEAD here`);
  chmodSync(join(readOnlyGit, '.git'), 0o755);
  expect(existsSync(join(readOnlyGit, '.peers'))).toBe(false);
  expect(gitIn(readOnlyGit, ['-c', 'safe.directory=*', 'status', '--porcelain'])).toBe('');
  expect(gitIn(readOnlyGit, ['-c', 'safe.directory=*', 'rev-parse', 'HEAD'])).toBe(head);
}, 60_000);

test('a goals file this user cannot read, verify where it cannot write VERIFY.md, init --force over a .peers/ it cannot read: exit 2 naming the path', () => {
  const repo = userRepo('locked-peers');
  expect(asUser(['init'], repo).code).toBe(0);
  writeFileSync(join(repo, '.peers/goals.yaml'), 'goals:\n  - id: ok\n    type: hard\n    cmd: "true"\n    pass_when: exit_code == 0\n');
  // A file this user cannot read: its permissions are the fix, not "replace it with a regular YAML file".
  chmodSync(join(repo, '.peers/goals.yaml'), 0o000);
  const info = asUser(['info'], repo);
  refused(info, `${join(repo, '.peers/goals.yaml')}: goals file: permission denied\n  hint: this user cannot use it: check its permissions and its directories' (\`ls -ld ${join(repo, '.peers/goals.yaml')}\`), or run peers as the user who owns it\n`);
  chmodSync(join(repo, '.peers/goals.yaml'), 0o644);
  chmodSync(join(repo, '.peers'), 0o555);
  const verify = asUser(['verify'], repo);
  refused(verify, `${join(repo, '.peers/VERIFY.md')}: verify report: permission denied`);
  mkdirSync(join(repo, '.peers/schema/locked'));
  chmodSync(join(repo, '.peers'), 0o755);
  chmodSync(join(repo, '.peers/schema'), 0o000);
  refused(asUser(['init', '--force'], repo), `${join(repo, '.peers')}: the existing .peers/: permission denied`);
  chmodSync(join(repo, '.peers/schema'), 0o755);
}, 60_000);

test('a state directory this user cannot read (a run once started with sudo) is named, exit 2: status said "fresh, no run yet", logs "never started"', () => {
  const repo = userRepo('root-run');
  expect(asUser(['init'], repo).code).toBe(0);
  const state = join(sb.root, 'root-state');
  mkdirSync(state, { mode: 0o700 }); // root's, as `sudo peers up` leaves it
  writeFileSync(join(state, 'state.json'), '{}');
  const status = asUser(['status'], repo, { PEERS_STATE_DIR: state });
  expect(status.stdout).not.toContain('No run yet');
  refused(status, `${join(state, 'state.json')}: run state: permission denied`);
  refused(asUser(['logs'], repo, { PEERS_STATE_DIR: state }), `${join(state, 'loop.log')}: loop output: permission denied`);
}, 60_000);
