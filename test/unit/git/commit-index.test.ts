/**
 * The mirror's commit index (src/git/commit-index.ts) answers range reads from memory only where
 * the answer is git's own: the same commits in the same order (merges, skewed dates, empty ranges),
 * the same ancestry, the same changes (renames, names with newlines and quotes). Real git on a real
 * run mirror, compared with git's raw answer read from a copy nobody memoizes.
 */
import { afterAll, expect, test } from 'bun:test';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, gitOk } from '../../../src/git/git.ts';
import { isAncestor, listCommits } from '../../../src/git/commits.ts';
import { parseIndexedLog, readTurnRange } from '../../../src/git/commit-index.ts';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { HistoryFacts, mergeSurfaceOf, parseLogNameStatus } from '../../../src/loop/shell/history-facts.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);

/** A commit with a fixed committer date (skew on purpose: git's default order follows dates). */
function commit(repo: string, message: string, date: number): string {
  const when = `@${date} +0000`;
  gitOk(repo, ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', message], { env: { GIT_COMMITTER_DATE: when, GIT_AUTHOR_DATE: when } });
  return gitOk(repo, ['rev-parse', 'HEAD']).trim();
}

function write(repo: string, path: string, text: string): void {
  mkdirSync(join(repo, path, '..'), { recursive: true });
  writeFileSync(join(repo, path), text);
  gitOk(repo, ['add', '-A']);
}

/**
 * root → a (rename, odd names) → b → merge of side (older dates than main: skew) → c → d (empty).
 * Returns the shas and a mirror synced to HEAD, plus a plain copy of it nobody memoizes.
 */
function history() {
  const root = tempDir('commit-index-');
  const repo = join(root, 'repo');
  mkdirSync(repo);
  gitOk(repo, ['init', '-q', '-b', 'main']);
  write(repo, 'old.txt', 'x\n');
  const r0 = commit(repo, 'root', 1_000_000);
  gitOk(repo, ['mv', 'old.txt', 'new\nname "quoted".txt']);
  write(repo, '.peers/notes.md', 'n\n');
  const a = commit(repo, 'a: rename\n\nbody with a \x01 byte\n\nPeer: alice', 1_000_100);
  write(repo, 'test/x.test.ts', 'it("x", () => {})\n');
  const b = commit(repo, 'b', 1_000_200);
  gitOk(repo, ['checkout', '-q', '-b', 'side', r0]);
  write(repo, 'side.txt', 's\n');
  const s1 = commit(repo, 'side 1', 900_000);
  const s2 = commit(repo, 'side 2', 2_000_000);
  gitOk(repo, ['checkout', '-q', 'main']);
  gitOk(repo, ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'merge', '-q', '--no-edit', 'side'], { env: { GIT_COMMITTER_DATE: '@1000300 +0000', GIT_AUTHOR_DATE: '@1000300 +0000' } });
  const m = gitOk(repo, ['rev-parse', 'HEAD']).trim();
  write(repo, 'c.txt', 'c\n');
  const c = commit(repo, 'c', 500);
  const d = commit(repo, 'd: empty', 1_000_500);
  const observer = new RunObserver({ workDir: repo, mirror: join(root, 'mirror.git'), stage: join(root, 'stage.git'), lenient: true });
  observer.sync();
  const plain = join(root, 'plain.git');
  cpSync(observer.mirror, plain, { recursive: true });
  return { repo, mirror: observer.mirror, plain, r0, a, b, s1, s2, m, c, d };
}

/** git's own answer, from the copy that is never memoized: shas newest first. */
const gitOrder = (plain: string, range: string) => gitOk(plain, ['log', '--format=%H', range]).split('\n').filter(Boolean);

test('every range lists the commits git lists, in git\'s order (merges, skewed dates, whole history, empty ranges)', () => {
  const h = history();
  const ranges = [h.d, `${h.c}..${h.d}`, `${h.m}..${h.d}`, `${h.b}..${h.d}`, `${h.r0}..${h.d}`, `${h.a}..${h.b}`, `${h.s1}..${h.d}`, `${h.d}..${h.b}`, `${h.c}..${h.c}`, h.b, h.s2];
  // Twice: the first read asks git, the second is answered from what was kept.
  for (const round of [1, 2]) {
    for (const range of ranges) {
      const want = gitOrder(h.plain, range);
      expect({ round, range, shas: listCommits(h.mirror, range, { newestFirst: true }).map((c) => c.sha) }).toEqual({ round, range, shas: want });
      expect({ round, range, shas: listCommits(h.mirror, range).map((c) => c.sha) }).toEqual({ round, range, shas: [...want].reverse() });
      expect(listCommits(h.mirror, range, { newestFirst: true, limit: 2 }).map((c) => c.sha)).toEqual(want.slice(0, 2));
      expect(listCommits(h.mirror, range, { limit: 2 }).map((c) => c.sha)).toEqual(want.slice(0, 2).reverse());
    }
  }
  // Messages and trailers as git stores them (a \x01 byte in a message frames nothing).
  const a = listCommits(h.mirror, `${h.r0}..${h.a}`)[0]!;
  expect(a.message).toBe(gitOk(h.plain, ['log', '-1', '-z', '--format=%B', h.a]).replace(/\0$/, ''));
  expect(a.trailers.get('Peer')).toBe('alice');
});

test('ancestry from memory agrees with git, and a turn\'s range says whether it only extended history', () => {
  const h = history();
  listCommits(h.mirror, h.d);
  const pairs: Array<[string, string]> = [[h.r0, h.d], [h.b, h.d], [h.s1, h.d], [h.d, h.b], [h.a, h.s2], [h.s2, h.a], [h.c, h.d], [h.d, h.d]];
  for (const [x, y] of pairs) {
    const want = git(h.plain, ['merge-base', '--is-ancestor', x, y]).code === 0;
    expect({ x, y, is: isAncestor(h.mirror, x, y) }).toEqual({ x, y, is: want });
  }
  for (const [x, y] of [[h.s2, h.a], [h.a, h.s2], [h.d, h.c]] as Array<[string, string]>) expect(isAncestor(h.mirror, x, y)).toBe(false);
  // Extended: the new commits, oldest last here (newest first); moved back or sideways: not extended.
  expect(readTurnRange(h.mirror, h.c, h.d)).toMatchObject({ extends: true, commits: [{ sha: h.d }] });
  expect(readTurnRange(h.mirror, h.s1, h.d)?.extends).toBe(true);
  expect(readTurnRange(h.mirror, h.d, h.c)).toEqual({ extends: false, commits: [] });
  expect(readTurnRange(h.mirror, h.a, h.s2)?.extends).toBe(false);
});

test('the changes kept for each commit are the history facts git\'s own name-status log gives (renames, odd names, .peers, merges)', () => {
  const h = history();
  const fromIndex = new HistoryFacts(h.mirror);
  readTurnRange(h.mirror, h.r0, h.d);
  const raw = gitOk(h.plain, ['log', '-z', '--format=%x01%H', '--name-status', '-M', '--diff-merges=first-parent', '--no-ext-diff', `${h.r0}..${h.d}`]);
  const want = parseLogNameStatus(raw);
  for (const sha of [h.a, h.b, h.m, h.c, h.d, h.s1, h.s2]) {
    // A merge's gate surface is read against every parent (a first parent can hide a deletion).
    const surface = sha === h.m ? mergeSurfaceOf(gitOk(h.plain, ['log', '-z', '--format=%x01%H', '--name-status', '-M', '--diff-merges=separate', '--no-ext-diff', '-n1', sha])) : want.get(sha)!.surface;
    expect({ sha, changesTree: fromIndex.changesTree(sha), surface: fromIndex.surfaceOf(sha) }).toEqual({ sha, changesTree: want.get(sha)!.changesTree, surface });
  }
  expect(fromIndex.changesTree(h.d)).toBe(false);
});

test('output that does not frame as sha, parents, names and emails, message, changes is refused, not guessed', () => {
  const sha = 'a'.repeat(40);
  const who = 'A\0a@x\0C\0c@x';
  expect(parseIndexedLog(`${sha}\0\0${who}\0m\n\0\nM\0f\0`, true)).toMatchObject([{ sha, parents: [], authorName: 'A', authorEmail: 'a@x', committerName: 'C', committerEmail: 'c@x', message: 'm\n', changes: 'M\0f\0' }]);
  expect(() => parseIndexedLog(`${sha}\0not a parent\0${who}\0m\0`, false)).toThrow();
  expect(() => parseIndexedLog(`${sha}\0\0${who}\0m\0\nQ\0f\0`, true)).toThrow();
  expect(() => parseIndexedLog(`${sha}\0\0${who}\0m\0\nR100\0only-one\0`, true)).toThrow();
  expect(() => parseIndexedLog(`xyz\0\0${who}\0m\0`, false)).toThrow();
  // A record cut short (the old sha, parents, email, message framing) is not read as one.
  expect(() => parseIndexedLog(`${sha}\0\0e@x\0m\0`, false)).toThrow();
});
