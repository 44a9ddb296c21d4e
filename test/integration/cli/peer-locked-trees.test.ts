/**
 * As an unprivileged user (root removes anything): a directory tree the peers could write, left
 * with modes that deny its owner (`chmod 000`, which a peer may do to its own files: the workspace
 * runs as the user's uid), is still removed by the host commands that remove such trees. A peer's
 * `mkdir x && chmod 000 x` in its runner's socket dir made every `peers down` end in exit 70
 * "internal error: EACCES" after the pod was gone (the results line never printed), and the same in
 * its run clone made `peers prune` (every project's, not only this one) exit 70 and delete nothing,
 * so the disk the runs filled could not be freed by peers. SECURITY.md, "The loop's run state".
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, makeSandbox, STACK_LINE, type CliResult } from './peers-cli.ts';
import { projectKey, stateDirFor } from '../../../src/state/paths.ts';
import { runnerDirPaths } from '../../../sandbox/pod-plan.ts';

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
const ENV = { ...sb.env, XDG_CACHE_HOME: join(sb.home, '.cache'), XDG_RUNTIME_DIR: join(sb.home, 'run'), NO_COLOR: '1', PATH: process.env.PATH ?? '' };

function asUser(args: string[], cwd: string, extraEnv: Record<string, string> = {}): CliResult {
  const env = Object.entries({ ...ENV, ...extraEnv }).map(([k, v]) => `${k}=${v}`);
  const r = spawnSync('runuser', ['-u', user, '--', 'env', ...env, BUN, MAIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** What a peer leaves: a tree with a file, its top made unreadable and unsearchable to its owner (the test user). */
function lockedTree(at: string): void {
  mkdirSync(join(at, 'locked', 'inner'), { recursive: true });
  writeFileSync(join(at, 'locked', 'inner', 'f'), 'x\n');
  spawnSync('chown', ['-R', `${uid}:${uid}`, sb.root]);
  chmodSync(join(at, 'locked'), 0o000);
}

/** A repository with one commit, set up with `peers init`, everything the test user's. */
function userProject(name: string): string {
  const repo = makeRepo(sb.root, name);
  for (const d of [sb.home, ENV.XDG_CACHE_HOME, ENV.XDG_RUNTIME_DIR]) mkdirSync(d, { recursive: true, mode: 0o700 });
  spawnSync('chown', ['-R', `${uid}:${uid}`, sb.root]);
  chownSync(sb.root, uid, uid);
  const init = asUser(['init'], repo);
  expect(init.stderr).toBe('');
  expect(init.code).toBe(0);
  return repo;
}

function noInternalError(r: CliResult): void {
  expect(r.stderr).not.toContain('internal error');
  expect(r.stderr).not.toMatch(STACK_LINE);
}

test('peers prune deletes an archived run whose clone holds a directory the peers locked (chmod 000)', () => {
  const repo = userProject('prune-locked');
  const archived = join(`${stateDirFor(repo, ENV)}.archive`, '2020-01-01T00-00-00Z-run');
  lockedTree(join(archived, 'run', 'clone'));
  const dry = asUser(['prune', '--older-than', '1d', '--dry-run'], repo);
  noInternalError(dry);
  expect(dry.stdout).toContain(`would delete ${archived}`);
  expect(dry.code).toBe(0);
  expect(existsSync(archived)).toBe(true);
  const r = asUser(['prune', '--older-than', '1d'], repo);
  noInternalError(r);
  expect(r.stdout).toContain(`deleted ${archived}`);
  expect(r.code).toBe(0);
  expect(existsSync(archived)).toBe(false);
}, 60_000);

test("peers down removes the runner's socket dir although a peer locked a directory in it (chmod 000)", () => {
  const repo = userProject('down-locked');
  const key = projectKey(repo);
  const workspaceDir = runnerDirPaths(key, ENV).workspace!;
  lockedTree(workspaceDir);
  // podman as a stand-in that knows one stopped container of the project: down tears it down.
  const shim = join(sb.root, 'podman-shim');
  writeFileSync(shim, `#!/bin/sh\ncase "$1" in ps) echo '[{"Names":["peers-${key}-workspace"],"Labels":{"peers.role":"workspace","peers.project":"${key}"},"State":"exited","ExitCode":0}]';; *) exit 0;; esac\n`, { mode: 0o755 });
  const r = asUser(['down'], repo, { PEERS_PODMAN: shim });
  noInternalError(r);
  expect(r.code).toBe(0);
  expect(existsSync(workspaceDir)).toBe(false);
}, 60_000);
