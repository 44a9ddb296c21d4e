/**
 * The run clone, the branch that brings results back, and the fingerprint `down` checks — with
 * real git repositories shaped like users' (an ordinary one, a `git worktree`, a dirty tree,
 * submodules, a tracked `.peers/`). No podman: the pod only mounts what these make.
 */
import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { observedHead, RUN_HEAD_REF } from '../../../src/git/observer.ts';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { hasRunClone, projectKey, statePaths, type StatePaths } from '../../../src/state/paths.ts';
import { defaultResultsBranch, defaultRunBranch, describePublish, publishRunBranch } from '../../../sandbox/publish-branch.ts';
import { changedParts, fingerprintRepo, saveFingerprint } from '../../../sandbox/repo-fingerprint.ts';
import { checkUserRepo, down } from '../../../sandbox/down.ts';
import { manifestsNotInHead, prepareRunClone } from '../../../sandbox/run-clone.ts';
import { publishIfRun, runBranch } from '../../../sandbox/publish-if-run.ts';

setDefaultTimeout(60_000);

let root: string;
let repo: string;
let paths: StatePaths;
const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@t' };
const git = (cwd: string, ...args: string[]) => {
  const r = spawnSync('git', args, { cwd, env: ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
};
const commit = (cwd: string, file: string, text: string, msg = file) => {
  mkdirSync(join(cwd, file, '..'), { recursive: true });
  writeFileSync(join(cwd, file), text);
  git(cwd, 'add', file);
  git(cwd, 'commit', '-qm', msg);
  return git(cwd, 'rev-parse', 'HEAD');
};
/** Peers' work in the clone, then the mirror sync the loop does after a tick. */
let made = 0;
const peerCommits = (n: number) => {
  for (let i = 0; i < n; i++, made++) commit(paths.clone, `peer-${made}.txt`, `${made}\n`, `peer work ${made}`);
  new RunObserver({ workDir: paths.clone, mirror: paths.mirror, stage: paths.stage, lenient: false }).sync();
};

beforeEach(() => {
  made = 0;
  root = mkdtempSync(join(tmpdir(), 'peers-run-clone-'));
  repo = join(root, 'app');
  git(root, 'init', '-q', '-b', 'main', repo);
  git(repo, 'config', 'user.name', 'Ann');
  git(repo, 'config', 'user.email', 'ann@example.com');
  commit(repo, 'README.md', '# app\n');
  paths = statePaths(join(root, 'state'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('the run clone', () => {
  test('made from the user\'s HEAD on the same branch, sharing no object file, no alternates; reused afterwards', () => {
    const head = git(repo, 'rev-parse', 'HEAD');
    writeFileSync(join(repo, '.git/info/exclude'), 'build/\n');
    const made = prepareRunClone(repo, paths);
    expect(made).toMatchObject({ created: true, base: head, head });
    expect(git(paths.clone, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(paths.clone, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');
    expect(lstatSync(join(paths.clone, '.git')).isDirectory()).toBe(true);
    expect(existsSync(join(paths.clone, '.git/objects/info/alternates'))).toBe(false);
    expect(git(paths.clone, 'remote')).toBe('');
    // No object file is a hard link (a peer could chmod and rewrite the user's objects through it).
    const objects = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? objects(join(dir, e.name)) : [join(dir, e.name)]));
    for (const f of objects(join(paths.clone, '.git/objects'))) expect(lstatSync(f).nlink).toBe(1);
    // Nothing of the user's config is copied (the peers' identity reaches them in their environment),
    // and the user's private ignore rules hold for the peers too.
    expect(readFileSync(join(paths.clone, '.git/config'), 'utf8')).not.toMatch(/ann|user/i);
    expect(readFileSync(join(paths.clone, '.git/info/exclude'), 'utf8')).toBe('build/\n');
    peerCommits(2);
    commit(repo, 'later.txt', 'user keeps working\n');
    const again = prepareRunClone(repo, paths);
    expect(again.created).toBe(false);
    expect(again.base).toBe(head);
    expect(again.head).toBe(git(paths.clone, 'rev-parse', 'HEAD'));
    expect(again.notes.join('\n')).toContain('your HEAD');
    expect(git(paths.clone, 'rev-list', '--count', 'HEAD')).toBe('3');
  });

  test('a peer that removes or replaces the clone\'s .git cannot make the next up throw the run away: the mirror keeps the run\'s history', () => {
    prepareRunClone(repo, paths);
    peerCommits(2);
    const runHead = observedHead(paths.mirror)!;
    // Gone (`rm -rf .git` in the workspace), then a .git file naming nothing.
    for (const plant of [() => {}, () => writeFileSync(join(paths.clone, '.git'), 'gitdir: /nowhere\n')]) {
      rmSync(join(paths.clone, '.git'), { recursive: true, force: true });
      plant();
      expect(() => prepareRunClone(repo, paths)).toThrow(/run clone .* no longer a git repository/);
      expect(observedHead(paths.mirror)).toBe(runHead);
      // Still a pod run: `down` (and status, report) publish the run's commits from the mirror.
      expect(hasRunClone(paths)).toBe(true);
      expect(publishIfRun(repo, paths.dir)).toMatchObject({ sha: runHead });
      expect(git(repo, 'rev-parse', `refs/heads/${runBranch(paths, projectKey(repo), repo)}`)).toBe(runHead);
    }
  });

  test('a dirty tree is not an error: up names what is not in the run, and the user\'s files stay as they were', () => {
    writeFileSync(join(repo, 'README.md'), '# app, edited\n');
    writeFileSync(join(repo, 'notes.txt'), 'mine\n');
    git(repo, 'add', 'notes.txt');
    writeFileSync(join(repo, 'scratch.txt'), 'untracked\n');
    const before = fingerprintRepo(repo);
    const made = prepareRunClone(repo, paths);
    const note = made.notes.find((n) => n.includes('NOT in the run'))!;
    expect(note).toContain('3 uncommitted change(s)');
    for (const f of ['M README.md', 'A notes.txt', '?? scratch.txt']) expect(note).toContain(f);
    expect(readFileSync(join(paths.clone, 'README.md'), 'utf8')).toBe('# app\n');
    expect(existsSync(join(paths.clone, 'notes.txt'))).toBe(false);
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toBe('# app, edited\n');
    expect(changedParts(before, fingerprintRepo(repo))).toEqual([]);
  });

  // A new user's trial: files staged in a repository whose HEAD had only .gitignore; up listed them
  // among the uncommitted changes and started, setup failed on the missing pyproject.toml, every gate was red.
  test("a project manifest the working tree has and HEAD has not (staged or untracked) is a warning that says to commit it; one HEAD has, edited, is not", () => {
    writeFileSync(join(repo, 'pyproject.toml'), '[project]\nname = "app"\n');
    git(repo, 'add', 'pyproject.toml');
    writeFileSync(join(repo, 'package.json'), '{}\n');
    writeFileSync(join(repo, 'README.md'), '# app, edited\n');
    const made = prepareRunClone(repo, paths);
    const warning = made.notes.find((n) => n.startsWith('WARNING'));
    expect(warning).toBe('WARNING: your HEAD has no pyproject.toml, package.json, which your working tree has: the run starts from HEAD, so its setup and gates will not find them. Commit them (`git add pyproject.toml package.json && git commit`), then `peers up --fresh`');
    expect(manifestsNotInHead(['M package.json', 'A src/pyproject.toml', '?? Makefile', 'AM go.mod'])).toEqual(['Makefile', 'go.mod']);
  });

  test('a `git worktree` checkout: the clone starts from the worktree\'s own HEAD and branch', () => {
    const wt = join(root, 'feature-wt');
    git(repo, 'worktree', 'add', '-q', '-b', 'feature', wt);
    const tip = commit(wt, 'feature.txt', 'f\n');
    const made = prepareRunClone(wt, paths);
    expect(made.base).toBe(tip);
    expect(git(paths.clone, 'symbolic-ref', 'HEAD')).toBe('refs/heads/feature');
    expect(lstatSync(join(paths.clone, '.git')).isDirectory()).toBe(true);
    peerCommits(1);
    const pub = publishRunBranch(wt, paths, 'peers/app');
    expect(pub).toMatchObject({ updated: true, ahead: 1 });
    // Branches are shared by all worktrees: the main checkout sees it too.
    expect(git(repo, 'rev-parse', 'peers/app')).toBe(observedHead(paths.mirror)!);
  });

  test("a branch named as users name them (fix/#42-ünï: git takes '#' and UTF-8) is read and cloned: it made up fail with exit 70, 'refusing the ref name'", () => {
    git(repo, 'checkout', '-q', '-b', 'fix/#42-ünï');
    const tip = commit(repo, 'fix.txt', 'f\n');
    expect(prepareRunClone(repo, paths).base).toBe(tip);
    expect(git(paths.clone, 'symbolic-ref', 'HEAD')).toBe('refs/heads/fix/#42-ünï');
    peerCommits(1);
    expect(publishRunBranch(repo, paths, 'peers/app')).toMatchObject({ updated: true, ahead: 1 });
    // What git refuses stays refused: a name that climbs out of refs/, or one with a space.
    writeFileSync(join(repo, '.git/HEAD'), 'ref: refs/heads/a b\n');
    expect(() => prepareRunClone(repo, statePaths(join(root, 'state2')))).toThrow(/refusing the ref name/);
  });

  test('submodules are not part of the run, and up says so; a tracked .peers/ stays out of the clone', () => {
    const sub = join(root, 'lib');
    git(root, 'init', '-q', '-b', 'main', sub);
    commit(sub, 'lib.txt', 'lib\n');
    git(repo, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub, 'vendor/lib');
    git(repo, 'commit', '-qm', 'add lib');
    commit(repo, '.peers/goals.yaml', 'goals: []\n');
    const made = prepareRunClone(repo, paths);
    expect(made.notes.join('\n')).toContain('submodules are not part of the run (their directories are empty for the peers and the gates): vendor/lib');
    expect(readdirSync(join(paths.clone, 'vendor/lib'))).toEqual([]);
    expect(existsSync(join(paths.clone, '.peers'))).toBe(false);
    expect(git(paths.clone, 'status', '--porcelain')).toBe('');
  });

  test('a shallow clone (git clone --depth 1): the run starts from its HEAD, its history ends where the clone\'s does, and the results come back', () => {
    commit(repo, 'a.txt', 'a\n');
    commit(repo, 'b.txt', 'b\n');
    const shallow = join(root, 'shallow');
    git(root, 'clone', '-q', '--depth', '1', `file://${repo}`, shallow);
    const tip = git(shallow, 'rev-parse', 'HEAD');
    // `up` failed here with exit 70: the mirror's fetch refused the clone's shallow roots.
    expect(prepareRunClone(shallow, paths).base).toBe(tip);
    expect(git(paths.clone, 'log', '--format=%s')).toBe('b.txt');
    peerCommits(1);
    expect(publishRunBranch(shallow, paths, 'peers/app')).toMatchObject({ updated: true, ahead: 1 });
    expect(git(shallow, 'log', '--format=%s', 'peers/app')).toBe('peer work 0\nb.txt');
  });

  test('a partial clone (git clone --filter=blob:none) lacking its older files: the run starts from HEAD alone, says so, and fetches nothing', () => {
    commit(repo, 'a.txt', 'a\n');
    commit(repo, 'a.txt', 'a, again\n');
    git(repo, 'config', 'uploadpack.allowFilter', 'true');
    const partial = join(root, 'partial');
    git(root, 'clone', '-q', '--filter=blob:none', `file://${repo}`, partial);
    const missing = () => git(partial, 'rev-list', '--objects', '--missing=print', '--all').split('\n').filter((l) => l.startsWith('?')).length;
    const before = missing();
    expect(before).toBeGreaterThan(0);
    const made = prepareRunClone(partial, paths);
    expect(made.base).toBe(git(partial, 'rev-parse', 'HEAD'));
    expect(made.notes.join('\n')).toContain('your repository is a partial clone');
    expect(readFileSync(join(paths.clone, 'a.txt'), 'utf8')).toBe('a, again\n');
    expect(git(paths.clone, 'log', '--format=%s')).toBe('a.txt');
    expect(missing()).toBe(before);
    peerCommits(1);
    expect(publishRunBranch(partial, paths, 'peers/app')).toMatchObject({ updated: true, ahead: 1 });
  });

  test('a repository without a commit is bad input', () => {
    const empty = join(root, 'empty');
    git(root, 'init', '-q', empty);
    expect(() => prepareRunClone(empty, statePaths(join(root, 'state2')))).toThrow(/no commit yet/);
  });
});

describe('results as a branch', () => {
  test('peers/<project> is created and moved with the run; HEAD, index, config and hooks of the user never change', () => {
    writeFileSync(join(repo, 'staged.txt'), 'staged\n');
    git(repo, 'add', 'staged.txt');
    const before = fingerprintRepo(repo);
    prepareRunClone(repo, paths);
    const branch = defaultRunBranch('app-1a2b3c4d');
    expect(branch).toBe('peers/app');
    peerCommits(2);
    expect(publishRunBranch(repo, paths, branch)).toMatchObject({ updated: true, ahead: 2, sha: observedHead(paths.mirror) });
    expect(git(repo, 'log', '--format=%s', 'main..peers/app')).toBe('peer work 1\npeer work 0');
    peerCommits(1);
    expect(publishRunBranch(repo, paths, branch)).toMatchObject({ updated: true, ahead: 3 });
    expect(publishRunBranch(repo, paths, branch)).toMatchObject({ updated: false, ahead: 3 });
    expect(changedParts(before, fingerprintRepo(repo))).toEqual([]);
    expect(git(repo, 'merge', '-q', '--no-edit', 'peers/app')).toBe('');
    expect(existsSync(join(repo, 'peer-2.txt'))).toBe(true);
  });

  test('the default results branch reads like the directory name; a project that published under the old name keeps it', () => {
    // "clamp lib é": the state key's sanitizing gave peers/clamp-lib- (and "Ünïcode lib" peers/n-code-lib-).
    expect(defaultRunBranch('clamp-lib--7ee2042e')).toBe('peers/clamp-lib-');
    expect(defaultResultsBranch('/home/dev/clamp lib é', 'clamp-lib--7ee2042e', paths)).toBe('peers/clamp-lib-e');
    expect(defaultResultsBranch('/home/dev/Ünïcode lib', 'n-code-lib-1a2b3c4d', paths)).toBe('peers/Unicode-lib');
    expect(defaultResultsBranch(repo, 'app-1a2b3c4d', paths)).toBe('peers/app');
    // A run that published to the old name before an upgrade goes on publishing there.
    prepareRunClone(repo, paths);
    peerCommits(1);
    publishRunBranch(repo, paths, 'peers/clamp-lib-');
    expect(defaultResultsBranch('/home/dev/clamp lib é', 'clamp-lib--7ee2042e', paths)).toBe('peers/clamp-lib-');
  });

  test('a branch the user moved is not overwritten; a checked-out branch is never touched', () => {
    prepareRunClone(repo, paths);
    peerCommits(1);
    publishRunBranch(repo, paths, 'peers/app');
    git(repo, 'branch', '-f', 'peers/app', 'main');
    peerCommits(1);
    const r = publishRunBranch(repo, paths, 'peers/app');
    expect(r.updated).toBe(false);
    expect(r.note).toContain('moved outside peers');
    expect(git(repo, 'rev-parse', 'peers/app')).toBe(git(repo, 'rev-parse', 'main'));
    // The user checks out the run's branch to look at it: never moved under them.
    git(repo, 'branch', '-D', 'peers/app');
    publishRunBranch(repo, paths, 'peers/app');
    git(repo, 'checkout', '-q', 'peers/app');
    peerCommits(1);
    const held = publishRunBranch(repo, paths, 'peers/app');
    expect(held.updated).toBe(false);
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(git(repo, 'rev-parse', 'HEAD')).not.toBe(observedHead(paths.mirror));
  });

  test("the results branch checked out in another worktree: the note says where and what to do, not git's refusal alone; once switched away, the branch moves", () => {
    prepareRunClone(repo, paths);
    peerCommits(1);
    publishRunBranch(repo, paths, 'peers/app');
    const look = join(root, 'look');
    git(repo, 'worktree', 'add', '-q', look, 'peers/app');
    peerCommits(1);
    const held = publishRunBranch(repo, paths, 'peers/app');
    expect(held.updated).toBe(false);
    expect(held.note).toContain(`peers/app is checked out in ${look}, and git does not move a branch a worktree has checked out`);
    expect(held.note).toContain(`git -C ${look} switch --detach`);
    expect(held.note).toContain(`git -C ${look} pull --ff-only`);
    git(look, 'switch', '-q', '--detach');
    expect(publishRunBranch(repo, paths, 'peers/app')).toMatchObject({ updated: true, sha: observedHead(paths.mirror) });
  });

  test('a branch of the user named "peers" (git cannot have peers/app beside it): the note says so and what to do, not git\'s "git remote prune"', () => {
    git(repo, 'branch', 'peers');
    prepareRunClone(repo, paths);
    peerCommits(1);
    const r = publishRunBranch(repo, paths, 'peers/app');
    expect(r.updated).toBe(false);
    expect(r.note).toBe('your branch "peers" is in the way: git cannot have a branch peers/app beside it. Rename yours (`git branch -m peers NEW-NAME`), or give the results another branch with results: {branch: NAME} in .peers/config.yaml (`peers up --accept-changes` takes it)');
    git(repo, 'branch', '-m', 'peers', 'peers-mine');
    expect(publishRunBranch(repo, paths, 'peers/app')).toMatchObject({ updated: true, sha: observedHead(paths.mirror) });
  });

  test("down with no podman, or one that does not answer: the run's commits still come home; a broken podman is an error that says what to do", async () => {
    prepareRunClone(repo, paths);
    peerCommits(1);
    const runtime = join(root, 'run');
    mkdirSync(runtime, { mode: 0o700 });
    const broken = join(root, 'broken-podman');
    writeFileSync(broken, "#!/bin/sh\necho 'Error: cannot re-exec process to join the existing user namespace' >&2\nexit 125\n", { mode: 0o755 });
    const env = (podman: string) => ({ ...ENV, PEERS_STATE_DIR: paths.dir, XDG_RUNTIME_DIR: runtime, XDG_CONFIG_HOME: join(root, 'config'), PEERS_PODMAN: podman });
    const gone = await down({ target: repo, graceS: 1, progress: () => {}, env: env(join(root, 'no-such-podman')) });
    expect(gone).toMatchObject({ wasRunning: false, podmanMissing: join(root, 'no-such-podman'), results: { branch: 'peers/app', updated: true, sha: observedHead(paths.mirror) } });
    peerCommits(1);
    const error = await down({ target: repo, graceS: 1, progress: () => {}, env: env(broken) }).catch((e: Error & { hint?: string }) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("podman does not answer, so down could not look for this project's pod: podman ps -a failed (exit 125): Error: cannot re-exec process to join the existing user namespace");
    expect((error as { hint?: string }).hint).toBe(`the run's commits are home anyway (results: branch peers/app at ${observedHead(paths.mirror)!.slice(0, 10)} (2 commits by the run); review with \`git log -p peers/app\`, take them with \`git merge peers/app\`); \`peers doctor\` says what is wrong with podman; then \`peers down\` again`);
    expect(git(repo, 'rev-parse', 'peers/app')).toBe(observedHead(paths.mirror)!);
  });

  test('the mirror\'s head is what gets published, whatever the clone\'s config says', () => {
    prepareRunClone(repo, paths);
    peerCommits(1);
    // A peer plants an upload-pack hook and a remote in the clone: the fetch never reads the clone.
    git(paths.clone, 'config', 'uploadpack.packObjectsHook', `touch ${join(root, 'pwned')}`);
    git(paths.clone, 'config', 'core.fsmonitor', `touch ${join(root, 'pwned')}`);
    expect(publishRunBranch(repo, paths, 'peers/app').updated).toBe(true);
    expect(existsSync(join(root, 'pwned'))).toBe(false);
    expect(git(repo, 'rev-parse', 'peers/app')).toBe(git(paths.mirror, 'rev-parse', RUN_HEAD_REF));
  });
});

describe('the fingerprint down compares', () => {
  test('a `git status` on the host is no change: git rewrites the index file with new file times, the staged content is the same', () => {
    const before = fingerprintRepo(repo);
    const raw = readFileSync(join(repo, '.git/index'));
    // An editor saving README.md unchanged, then the user's `git status`: git refreshes the
    // index's stat data and its caches and writes the file again.
    writeFileSync(join(repo, 'README.md'), readFileSync(join(repo, 'README.md')));
    const t = new Date(Date.now() + 5_000);
    utimesSync(join(repo, 'README.md'), t, t);
    git(repo, 'config', 'core.untrackedCache', 'true');
    git(repo, 'status', '--porcelain');
    git(repo, 'update-index', '--refresh');
    expect(readFileSync(join(repo, '.git/index')).equals(raw)).toBe(false);
    git(repo, 'config', '--unset', 'core.untrackedCache');
    expect(changedParts(before, fingerprintRepo(repo))).toEqual([]);
    // A change staged, even with no commit, is a change; so is a file marked skip-worktree.
    writeFileSync(join(repo, 'README.md'), '# staged\n');
    git(repo, 'add', 'README.md');
    expect(changedParts(before, fingerprintRepo(repo))).toEqual(['index']);
    git(repo, 'reset', '-q');
    git(repo, 'checkout', '-q', '--', 'README.md');
    expect(changedParts(before, fingerprintRepo(repo))).toEqual([]);
    git(repo, 'update-index', '--skip-worktree', 'README.md');
    expect(changedParts(before, fingerprintRepo(repo))).toEqual(['index']);
  });

  test('names each part that changed: HEAD, index, config, attributes, hooks, .peers/', () => {
    mkdirSync(join(repo, '.peers'));
    writeFileSync(join(repo, '.peers/goals.yaml'), 'goals: []\n');
    const before = fingerprintRepo(repo);
    writeFileSync(join(repo, '.git/hooks/post-checkout'), '#!/bin/sh\n', { mode: 0o755 });
    git(repo, 'config', 'core.fsmonitor', 'true');
    writeFileSync(join(repo, '.git/info/attributes'), '* diff=x\n');
    writeFileSync(join(repo, '.peers/goals.yaml'), 'goals: [x]\n');
    writeFileSync(join(repo, 'new.txt'), 'n\n');
    git(repo, 'add', 'new.txt');
    git(repo, 'commit', '-qm', 'moved');
    expect(changedParts(before, fingerprintRepo(repo))).toEqual(['head', 'index', 'config', 'attributes', 'hooks', 'peers']);
  });

  test("the user merged the run's results before `peers down`: down says so instead of telling them to look into a change", () => {
    // The README's morning: `peers status`, `git merge peers/app`, then `peers down`. The merge
    // moves HEAD and rewrites the index; down used to call that a change "done on the host; if
    // not by you, look into it".
    const fp = join(root, 'fingerprint.json');
    saveFingerprint(fp, fingerprintRepo(repo));
    prepareRunClone(repo, paths);
    peerCommits(0);
    // `peers up` before the first tick: nothing to review or merge yet.
    expect(describePublish(publishRunBranch(repo, paths, 'peers/app'))).toBe(`results: branch peers/app at ${git(repo, 'rev-parse', 'HEAD').slice(0, 10)} (no commits by the run yet)`);
    peerCommits(2);
    const results = publishRunBranch(repo, paths, 'peers/app');
    expect(describePublish(results)).toEndWith('take them with `git merge peers/app`');
    git(repo, 'merge', '-q', '--ff-only', 'peers/app');
    // status and down say where the results are now, not "take them with git merge" again.
    expect(describePublish(publishRunBranch(repo, paths, 'peers/app'))).toBe(`results: branch peers/app at ${results.sha!.slice(0, 10)} (2 commits by the run), already in your HEAD (merged)`);
    const took = checkUserRepo(repo, fp, results);
    expect(took.line).toBe(`your repository: you took the run's commits (main moved to ${results.sha!.slice(0, 10)}, which has peers/app); nothing else changed since \`peers up\` (.git/config, .git/info/attributes, .git/hooks, .peers/)`);
    expect(took).toMatchObject({ checked: true, unchanged: false, changed: ['HEAD and its branch', 'the index (staged changes)'] });
    // A commit of the user's own on top of the merge still has the run's commits: the same line.
    commit(repo, 'mine.txt', 'mine\n');
    expect(checkUserRepo(repo, fp, results).line).toContain("you took the run's commits (main moved to");
    // HEAD somewhere the run's commits are not, or a hook changed as well: the warning as before.
    git(repo, 'reset', '-q', '--hard', 'HEAD~3');
    commit(repo, 'other.txt', 'o\n');
    expect(checkUserRepo(repo, fp, results).line).toContain('if not by you, look into it');
    git(repo, 'merge', '-q', '--no-edit', 'peers/app');
    writeFileSync(join(repo, '.git/hooks/post-merge'), '#!/bin/sh\n', { mode: 0o755 });
    expect(checkUserRepo(repo, fp, results).line).toContain('changed since `peers up`: HEAD and its branch, the index (staged changes), .git/hooks.');
  });
});
