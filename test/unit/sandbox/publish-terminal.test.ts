/**
 * `down` (and `up`, `status`, `report`) publish the run's commits into the user's repository as
 * peers/<project>, and tell the user to `git log -p` it. git prints a commit's message and its
 * author and committer names as they are: a peer that put terminal escape sequences there (clear
 * the screen, retitle the window, OSC 52 to the clipboard) reached the user's terminal through
 * their own git. SECURITY.md, "Results come back as a branch".
 */
import { afterEach, beforeEach, expect, setDefaultTimeout, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { observedHead } from '../../../src/git/observer.ts';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { statePaths, type StatePaths } from '../../../src/state/paths.ts';
import { describePublish, publishRunBranch } from '../../../sandbox/publish-branch.ts';
import { prepareRunClone } from '../../../sandbox/run-clone.ts';

setDefaultTimeout(60_000);

let root: string;
let repo: string;
let paths: StatePaths;
const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@t' };
const git = (cwd: string, args: string[], env: NodeJS.ProcessEnv = ENV) => {
  const r = spawnSync('git', args, { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
};
const peerCommit = (file: string, msg: string, env: NodeJS.ProcessEnv = ENV) => {
  writeFileSync(join(paths.clone, file), `${file}\n`);
  git(paths.clone, ['add', file]);
  git(paths.clone, ['commit', '-q', '--cleanup=verbatim', '-m', msg], env);
  new RunObserver({ workDir: paths.clone, mirror: paths.mirror, stage: paths.stage, lenient: false }).sync();
  return git(paths.clone, ['rev-parse', 'HEAD']).trim();
};

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'peers-publish-terminal-'));
  repo = join(root, 'app');
  git(root, ['init', '-q', '-b', 'main', repo]);
  writeFileSync(join(repo, 'README.md'), '# app\n');
  git(repo, ['add', 'README.md']);
  git(repo, ['commit', '-qm', 'readme']);
  paths = statePaths(join(root, 'state'));
  prepareRunClone(repo, paths);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

test('a commit whose message or author name holds terminal escape sequences is not published into the user\'s repository', () => {
  peerCommit('a.txt', 'honest work');
  const bad = peerCommit('b.txt', 'fix parser\x1b]52;c;cm0gLXJmIH4K\x07\x1b[2J\x1b[Hall tests pass');
  const pub = publishRunBranch(repo, paths, 'peers/app');
  expect(pub.updated).toBe(false);
  expect(pub.note).toContain(bad.slice(0, 10));
  expect(pub.note).toContain('control character');
  expect(describePublish(pub)).not.toContain('\x1b');
  expect(spawnSync('git', ['rev-parse', '--verify', '--quiet', 'refs/heads/peers/app'], { cwd: repo }).status).not.toBe(0);
  // The run keeps it: the mirror still has it, for the operator to look at knowingly.
  expect(observedHead(paths.mirror)).toBe(bad);
});

test('an author name with an escape sequence is refused the same way; a clean history is published', () => {
  const clean = peerCommit('a.txt', 'honest work\n\nwith a body\tand a tab');
  expect(publishRunBranch(repo, paths, 'peers/app')).toMatchObject({ updated: true, sha: clean });
  peerCommit('b.txt', 'more', { ...ENV, GIT_AUTHOR_NAME: 'bob\x1b]0;owned\x07' });
  const pub = publishRunBranch(repo, paths, 'peers/app');
  expect(pub.updated).toBe(false);
  expect(pub.note).toContain('control character');
  expect(git(repo, ['rev-parse', 'peers/app']).trim()).toBe(clean);
});
