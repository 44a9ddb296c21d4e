import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitOk, headSha } from '../../../src/git/git.ts';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { RunnerWorkspaceGit } from '../../../src/git/workspace-git.ts';
import { attestShas } from '../../../src/protocol/attestation.ts';
import { CHANGES_CAP_BYTES, reviewChanges, inboxLines, observeTurnGit, SAVED_DIFF_CAP_BYTES } from '../../../src/loop/shell/git-observe.ts';
import { LocalPeerRunner } from '../../../src/proc/peer-runner.ts';

let repo: string;
const id = ['-c', 'user.name=t', '-c', 'user.email=t@t'];
function commit(msg: string, file = 'f.txt'): string {
  writeFileSync(join(repo, file), `${msg}\n`);
  gitOk(repo, ['add', file]);
  gitOk(repo, [...id, 'commit', '-q', '-m', msg]);
  return headSha(repo)!;
}

let root: string;
let observer: RunObserver;
let workspace: RunnerWorkspaceGit;
const observe = (before: string | null) => observeTurnGit(observer, workspace, before);

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'peers-gitobs-'));
  repo = join(root, 'repo');
  mkdirSync(repo);
  gitOk(repo, ['init', '-q', '-b', 'main']);
  observer = new RunObserver({ workDir: repo, mirror: join(root, 'mirror.git'), stage: join(root, 'stage.git'), lenient: false });
  workspace = new RunnerWorkspaceGit(new LocalPeerRunner(), repo, observer, { PATH: process.env.PATH! });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('git facts of a turn', () => {
  test('new commits oldest first; a reset behind the start is a rewrite', async () => {
    const a = commit('a');
    commit('b');
    commit('c');
    const facts = await observe(a);
    expect(facts.rewritten).toBe(false);
    expect(facts.newCommits.map((c) => c.subject)).toEqual(['b', 'c']);
    gitOk(repo, ['reset', '-q', '--hard', a]);
    commit('other');
    expect((await observe(facts.headAfter)).rewritten).toBe(true);
  });

  test("a commit left in MERGE_HEAD after a clean handoff is leftover work: reported, removed by the discard, and the next peer's commit does not take it in", async () => {
    const base = commit('base');
    // A deferral written as the other peer, outside HEAD, left for the next `git commit` to merge.
    const planted = gitOk(repo, [...id, 'commit-tree', 'HEAD^{tree}', '-p', 'HEAD', '-m', 'Defer BUG-1\n\nBug-Defer: BUG-1']).trim();
    writeFileSync(join(repo, '.git', 'MERGE_HEAD'), `${planted}\n`);
    writeFileSync(join(repo, '.git', 'MERGE_MSG'), 'Bug-Defer: BUG-1\n');
    mkdirSync(join(repo, '.git', 'sequencer'));
    expect(gitOk(repo, ['status', '--porcelain'])).toBe(''); // git status alone shows nothing
    expect(await workspace.dirtyPaths()).toEqual(['.git/MERGE_HEAD (left in progress)', '.git/MERGE_MSG (left in progress)', '.git/sequencer (left in progress)']);
    expect(await workspace.discardUncommitted()).toEqual([]);
    expect(await workspace.dirtyPaths()).toEqual([]);
    gitOk(repo, [...id, 'commit', '-q', '--allow-empty', '-m', 'the next peer reviews']);
    expect(gitOk(repo, ['rev-list', '--parents', '-n1', 'HEAD']).trim().split(' ').slice(1)).toEqual([base]);
  });

  test("a tracked file hidden from git status by assume-unchanged or skip-worktree is leftover work: reported, restored to HEAD and unflagged by the discard", async () => {
    commit('return a + b;', 'calc.mjs');
    commit('x', 'other.mjs');
    // The reviewer opening calc.mjs would read code no commit holds; git status says nothing.
    writeFileSync(join(repo, 'calc.mjs'), 'return a + b; // reads as fixed\n');
    gitOk(repo, ['update-index', '--assume-unchanged', 'calc.mjs']);
    gitOk(repo, ['update-index', '--skip-worktree', 'other.mjs']);
    expect(gitOk(repo, ['status', '--porcelain'])).toBe('');
    expect(await workspace.dirtyPaths()).toEqual(['calc.mjs (assume-unchanged: hidden from git status)', 'other.mjs (skip-worktree: hidden from git status)']);
    expect(await workspace.discardUncommitted()).toEqual([]);
    expect(await workspace.dirtyPaths()).toEqual([]);
    expect(readFileSync(join(repo, 'calc.mjs'), 'utf8')).toBe('return a + b;\n');
    // The next peer's edit is seen and committed again.
    writeFileSync(join(repo, 'calc.mjs'), 'edited\n');
    expect(await workspace.dirtyPaths()).toEqual(['calc.mjs']);
  });

  test("discarding a turn's leftovers: staged, modified, deleted and untracked files go back to HEAD; ignored files and .peers/ stay", async () => {
    writeFileSync(join(repo, '.gitignore'), '.peers/\nbuild/\n');
    commit('a', 'src.txt');
    gitOk(repo, ['add', '.gitignore']);
    gitOk(repo, [...id, 'commit', '-q', '-m', 'ignore']);
    writeFileSync(join(repo, 'src.txt'), 'special case\n');
    mkdirSync(join(repo, 'new/dir'), { recursive: true });
    writeFileSync(join(repo, 'new/dir/x.txt'), 'x\n');
    writeFileSync(join(repo, 'staged.txt'), 's\n');
    gitOk(repo, ['add', 'staged.txt']);
    rmSync(join(repo, '.gitignore'));
    mkdirSync(join(repo, '.peers'));
    writeFileSync(join(repo, '.peers/config.yaml'), 'c\n');
    mkdirSync(join(repo, 'build'));
    writeFileSync(join(repo, 'build/out'), 'o\n');
    expect((await workspace.dirtyPaths()).sort()).toEqual(['.gitignore', 'build/out', 'new/dir/x.txt', 'src.txt', 'staged.txt']);
    const patch = await workspace.uncommittedPatch();
    expect(patch).toContain('special case');
    expect(patch).not.toContain('.peers/config.yaml');
    expect(await workspace.discardUncommitted()).toEqual([]);
    expect(await workspace.dirtyPaths()).toEqual([]);
    expect(gitOk(repo, ['show', ':src.txt'])).toBe('a\n');
    expect(existsSync(join(repo, 'new'))).toBe(false);
    expect(existsSync(join(repo, 'staged.txt'))).toBe(false);
    expect(existsSync(join(repo, '.peers/config.yaml'))).toBe(true);
    expect(existsSync(join(repo, 'build/out'))).toBe(true);
    // The saved patch takes the leftovers back, the deleted .gitignore and the staged file included.
    // (build/out was not ignored while .gitignore was deleted, so the patch adds it; it was kept.)
    rmSync(join(repo, 'build'), { recursive: true });
    writeFileSync(join(repo, '..', 'left.patch'), patch!);
    gitOk(repo, ['apply', '--index', join(repo, '..', 'left.patch')]);
    expect((await workspace.dirtyPaths()).sort()).toEqual(['.gitignore', 'build/out', 'new/dir/x.txt', 'src.txt', 'staged.txt']);
    expect(gitOk(repo, ['show', ':src.txt'])).toBe('special case\n');
  });

  test("a peer's diff config cannot make the saved patch write into .peers/ when the operator applies it", async () => {
    mkdirSync(join(repo, '.peers'));
    writeFileSync(join(repo, '.peers/goals.yaml'), 'goal: honest\n');
    mkdirSync(join(repo, 'x/.peers'), { recursive: true });
    writeFileSync(join(repo, 'x/.peers/goals.yaml'), 'goal: honest\n');
    gitOk(repo, ['add', '-A']);
    gitOk(repo, [...id, 'commit', '-q', '-m', 'a']);
    // The peer's leftover edits x/.peers/goals.yaml; its config drops the a/ b/ prefixes, so
    // `git apply` (-p1) would strip `x/` and patch the operator's own .peers/goals.yaml.
    writeFileSync(join(repo, 'x/.peers/goals.yaml'), 'goal: whatever the peer says\n');
    gitOk(repo, ['config', 'diff.noprefix', 'true']);
    gitOk(repo, ['config', 'diff.mnemonicPrefix', 'true']);
    const patch = await workspace.uncommittedPatch();
    expect(patch).toContain('whatever the peer says');
    gitOk(repo, ['config', '--unset', 'diff.noprefix']);
    await workspace.discardUncommitted();
    writeFileSync(join(repo, '..', 'left.patch'), patch!);
    gitOk(repo, ['apply', '--index', join(repo, '..', 'left.patch')]);
    expect(gitOk(repo, ['show', ':.peers/goals.yaml'])).toBe('goal: honest\n');
    expect(gitOk(repo, ['show', ':x/.peers/goals.yaml'])).toBe('goal: whatever the peer says\n');
  });

  test('a repository with no commit yet: its leftovers are saved as a patch too', async () => {
    writeFileSync(join(repo, 'a.txt'), 'first\n');
    expect(await workspace.uncommittedPatch()).toContain('+first');
  });

  test('an empty repository: the first commits are all new', async () => {
    commit('first');
    expect((await observe(null)).newCommits.map((c) => c.subject)).toEqual(['first']);
  });

  test('a repository the observer cannot import counts nothing of the turn, and says why', async () => {
    const a = commit('a');
    commit('b');
    writeFileSync(join(repo, '.git/objects/info/alternates'), '/nonexistent\n');
    const facts = await observe(a);
    expect(facts).toMatchObject({ headAfter: a, rewritten: false, newCommits: [] });
    expect(facts.unreadable).toContain('alternates');
  });

  test('dirty paths (from the workspace) include untracked files and renames, never the .peers control plane', async () => {
    commit('a', 'old.txt');
    gitOk(repo, ['mv', 'old.txt', 'new.txt']);
    writeFileSync(join(repo, 'untracked.txt'), 'x');
    mkdirSync(join(repo, '.peers'));
    writeFileSync(join(repo, '.peers', 'config.yaml'), 'x');
    expect((await workspace.dirtyPaths()).sort()).toEqual(['new.txt', 'untracked.txt']);
  });

  test("reading the workspace's dirty paths never writes its index (no lock a peer's git could meet)", async () => {
    commit('a', 'f.txt');
    writeFileSync(join(repo, 'f.txt'), 'b\n');
    gitOk(repo, ['add', 'f.txt']);
    const index = join(repo, '.git', 'index');
    const before = statSync(index);
    // As old as the index: racily clean, which a plain `git status` re-hashes and writes back.
    utimesSync(join(repo, 'f.txt'), before.atime, before.mtime);
    expect(await workspace.dirtyPaths()).toEqual(['f.txt']);
    const after = statSync(index);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  test("inbox: the other peers' commits since the cursor, not one's own, named by the loop's attestation, never by the Peer: trailer", () => {
    const start = commit('base');
    writeFileSync(join(repo, 'g.txt'), '1');
    gitOk(repo, ['add', 'g.txt']);
    gitOk(repo, [...id, 'commit', '-q', '-m', 'fix parser', '-m', 'Peer: bob']);
    const fix = headSha(repo)!;
    writeFileSync(join(repo, 'h.txt'), '1');
    gitOk(repo, ['add', 'h.txt']);
    gitOk(repo, [...id, 'commit', '-q', '-m', 'my own', '-m', 'Peer: alice']);
    const own = headSha(repo)!;
    // In bob's turn, bob wrote another peer's name on a commit of his own, and one of alice's.
    writeFileSync(join(repo, 'i.txt'), '1');
    gitOk(repo, ['add', 'i.txt']);
    gitOk(repo, [...id, 'commit', '-q', '-m', 'special-case the tested input', '-m', 'Peer: alice']);
    const hidden = headSha(repo)!;
    gitOk(repo, [...id, 'commit', '-q', '--allow-empty', '-m', 'from a third peer', '-m', 'Peer: carol']);
    const third = headSha(repo)!;
    gitOk(repo, [...id, 'commit', '-q', '--allow-empty', '-m', 'nobody attested this']);
    const head = observer.sync().head!;
    attestShas(observer.mirror, 'bob', [fix, hidden, third]);
    attestShas(observer.mirror, 'alice', [own]);
    const lines = inboxLines(observer.mirror, 'alice', start, head);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\[bob\] fix parser \([0-9a-f]{8}\)$/);
    expect(lines[1]).toMatch(/^\[bob\] special-case the tested input \([0-9a-f]{8}\)$/);
    expect(lines[2]).toMatch(/^\[bob\] from a third peer /);
    expect(lines[3]).toMatch(/^\[unattested\] nobody attested this /);
    expect(inboxLines(observer.mirror, 'bob', start, head).map((l) => l.split(']')[0])).toEqual(['[alice', '[unattested']);
    expect(inboxLines(observer.mirror, 'alice', undefined, head)).toEqual([]);
  });

  test('changes for a blind review: the code diff since the cursor, never commit messages, .peers/ excluded', () => {
    const a = commit('start');
    writeFileSync(join(repo, 'f.txt'), 'answer: 42\n');
    mkdirSync(join(repo, '.peers'), { recursive: true });
    writeFileSync(join(repo, '.peers', 'goals.yaml'), 'goals: []\n');
    gitOk(repo, ['add', '-A']);
    gitOk(repo, [...id, 'commit', '-q', '-m', 'Fix it\n\n## Self-Review\nNOTES-OF-THE-IMPLEMENTER\n\nPeer: bob']);
    const head = observer.sync().head!;
    const saved: string[] = [];
    const { text: diff, truncated } = reviewChanges(observer.mirror, a, head, (d) => (saved.push(d), 'unused'));
    expect(truncated).toBe(false);
    expect(saved).toEqual([]);
    expect(diff).toContain('+answer: 42');
    expect(diff).toContain('-start');
    expect(diff).not.toContain('NOTES-OF-THE-IMPLEMENTER');
    expect(diff).not.toContain('Fix it');
    expect(diff).not.toContain('.peers');
    expect(reviewChanges(observer.mirror, undefined, head, () => null).text).toBe('');
    expect(reviewChanges(observer.mirror, head, head, () => null).text).toBe('');
  });

  // Attack ("Trojan Source"): bidi overrides and isolates make an editor or a terminal show code in
  // another order than the compiler reads it, and zero-width characters make two names look alike.
  test('bidi controls and zero-width characters in a changed file reach the reviewer marked, never raw', () => {
    const a = commit('start');
    const planted = 'if (role !== "user\u202e \u2066// admins only\u2069 \u2066") { grant(); }\nconst is\u200bAdmin = true;\n';
    writeFileSync(join(repo, 'f.txt'), planted);
    gitOk(repo, ['add', '-A']);
    gitOk(repo, [...id, 'commit', '-q', '-m', 'Tidy']);
    const head = observer.sync().head!;
    const { text: diff } = reviewChanges(observer.mirror, a, head, () => null);
    expect(diff).toContain('+if (role !== "user<U+202E> <U+2066>// admins only<U+2069> <U+2066>") { grant(); }');
    expect(diff).toContain('+const is<U+200B>Admin = true;');
    expect(diff.match(/[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u2060\ufeff]/g) ?? []).toEqual([]);
  });

  test('a diff too large for the prompt is summarised: every changed file listed, the full diff saved and named', () => {
    const a = commit('start');
    writeFileSync(join(repo, 'big.txt'), `${'x'.repeat(100)}\n`.repeat(1000));
    mkdirSync(join(repo, 'src'), { recursive: true });
    writeFileSync(join(repo, 'src', 'small.ts'), 'export const tiny = 1;\n');
    gitOk(repo, ['add', '-A']);
    gitOk(repo, [...id, 'commit', '-q', '-m', 'big']);
    const head = observer.sync().head!;
    let full = '';
    const { text, truncated } = reviewChanges(observer.mirror, a, head, (d) => ((full = d), '/state/diffs/tick-00002-bob.diff'));
    expect(truncated).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThan(CHANGES_CAP_BYTES);
    expect(text).toContain('big.txt');
    expect(text).toContain('src/small.ts');
    expect(text).toContain('The full diff is saved at /state/diffs/tick-00002-bob.diff.');
    expect(text).toContain(`\`git diff ${a.slice(0, 12)}..${head.slice(0, 12)} -- <file>\``);
    expect(text).not.toContain('xxxxxxxxxx');
    expect(full).toContain('+export const tiny = 1;');
    expect(Buffer.byteLength(full)).toBeGreaterThan(100_000);
  });

  // Attack (review-excerpt.ts): a special case buried in a refactor of the same file whose changed
  // code lines alone are over the cap; the file was only a name in the list.
  test('a file whose changed code lines do not fit is named as not shown in full, with where the rest is, and its special case is shown', () => {
    const a = commit('start');
    mkdirSync(join(repo, 'src'), { recursive: true });
    const refactor = Array.from({ length: 600 }, (_, i) => `export const scale${i} = (x) => x * ${i} + base(${i % 7});`);
    refactor.splice(300, 0, 'export function add(a, b) { if (a === 2 && b === 3) return 5; return a - b; }');
    writeFileSync(join(repo, 'src', 'calc.mjs'), `${refactor.join('\n')}\n`);
    gitOk(repo, ['add', '-A']);
    gitOk(repo, [...id, 'commit', '-q', '-m', 'refactor']);
    const head = observer.sync().head!;
    const { text } = reviewChanges(observer.mirror, a, head, () => '/state/diffs/tick-00003-bob.diff');
    expect(Buffer.byteLength(text)).toBeLessThan(CHANGES_CAP_BYTES);
    expect(text).toMatch(/NOT SHOWN IN FULL: src\/calc\.mjs \(\d+ of 601 changed code lines left out\)/);
    expect(text).toContain('read the rest in /state/diffs/tick-00003-bob.diff before you pass this change');
    expect(text).toContain('+export function add(a, b) { if (a === 2 && b === 3) return 5; return a - b; }');
  });

  // Attack (cheats/review-view-squeeze.test.ts, long-line): the special case after 20 KiB of
  // indentation on one line; no view could hold the line, and the prompt showed `src/calc.mjs | 1 +`.
  test('a line longer than any view is shown in windows around its start, its end and its literal branches', () => {
    const a = commit('start');
    mkdirSync(join(repo, 'src'), { recursive: true });
    writeFileSync(join(repo, 'src', 'calc.mjs'), `export function add(a, b) {\n${' '.repeat(20_000)}if (a === 2 && b === 3) return 5;\n  return a - b;\n}\n`);
    gitOk(repo, ['add', '-A']);
    gitOk(repo, [...id, 'commit', '-q', '-m', 'tidy']);
    const head = observer.sync().head!;
    const { text } = reviewChanges(observer.mirror, a, head, () => '/state/diffs/tick-00002-bob.diff');
    expect(Buffer.byteLength(text)).toBeLessThan(CHANGES_CAP_BYTES);
    expect(text).toMatch(/bytes of this line left out\]… +if \(a === 2 && b === 3\) return 5;/);
  });

  // Attack (cheats/doc-named-code.test.ts, doc-code-unlisted): hundreds of small added modules cut
  // the 6 KiB file list, and a changed file past the cut of which nothing was shown was named in no
  // line of the prompt (NOT SHOWN IN FULL names eight). Files nothing of which is shown are named
  // before the list, existing code first.
  test('a file list cut short: the files nothing of which is shown are named before it, existing code first, with a count of the rest', () => {
    const heavy = (n: number) => Array.from({ length: 300 }, (_, i) => `export const f${i} = (x) => scale(x) + offset(x) + v${n};`).join('\n');
    const files = Array.from({ length: 10 }, (_, n) => `core/k${n}.mjs`);
    mkdirSync(join(repo, 'core'), { recursive: true });
    for (const f of [...files, 'zz/calc.mjs']) {
      mkdirSync(join(repo, f, '..'), { recursive: true });
      writeFileSync(join(repo, f), 'export const v = 1;\n');
    }
    gitOk(repo, ['add', '-A']);
    gitOk(repo, [...id, 'commit', '-q', '-m', 'start']);
    const a = headSha(repo)!;
    files.forEach((f, n) => writeFileSync(join(repo, f), `${heavy(n)}\n`));
    // The largest existing change, last in git's order: past the list's cut and past the eight named.
    writeFileSync(join(repo, 'zz', 'calc.mjs'), `${heavy(99)}\n${heavy(98)}\nexport function add(a, b) { return a - b; }\n`);
    mkdirSync(join(repo, 'm'), { recursive: true });
    for (let i = 0; i < 450; i++) writeFileSync(join(repo, 'm', `u${i}.mjs`), `export const u${i} = (x) => x * ${i} + 1; // unit ${i}\n`);
    gitOk(repo, ['add', '-A']);
    gitOk(repo, [...id, 'commit', '-q', '-m', 'units']);
    const head = observer.sync().head!;
    const { text } = reviewChanges(observer.mirror, a, head, () => '/state/diffs/tick-00004-bob.diff');
    expect(Buffer.byteLength(text)).toBeLessThan(CHANGES_CAP_BYTES);
    const named = text.indexOf('NOT SHOWN BELOW (');
    expect(named).toBeGreaterThan(0);
    expect(named).toBeLessThan(text.indexOf(' m/u0.mjs '));
    expect(text.slice(named, text.indexOf('\n', named))).toContain('zz/calc.mjs');
    expect(text).toMatch(/NOT SHOWN BELOW \(\d+ files[^\n]*, and \d+ more files\./);
  });

  test('a diff past the saved-diff cap: the files that fit are held and shown, the one too large is named as not held, and the reviewer is given its git diff command', () => {
    const a = commit('start');
    writeFileSync(join(repo, 'huge.txt'), `${'y'.repeat(1023)}\n`.repeat(SAVED_DIFF_CAP_BYTES / 1024 + 1024));
    // A special case beside it: the reviewer's CHANGES were the file list only (held-diff.ts).
    mkdirSync(join(repo, 'src'), { recursive: true });
    writeFileSync(join(repo, 'src', 'calc.mjs'), 'export function add(a, b) {\n  if (a === 2 && b === 3) return 5;\n  return a - b;\n}\n');
    gitOk(repo, ['add', '-A']);
    gitOk(repo, [...id, 'commit', '-q', '-m', 'huge']);
    const head = observer.sync().head!;
    let saved = '';
    const { text, truncated } = reviewChanges(observer.mirror, a, head, (d) => ((saved = d), '/state/diffs/x.diff'));
    expect(truncated).toBe(true);
    expect(Buffer.byteLength(saved)).toBeLessThan(64 * 1024);
    expect(text).toContain('NOT HELD (a diff over what the loop holds): huge.txt');
    expect(text).toContain(`The diffs the loop could hold are saved at /state/diffs/x.diff; the full diff: \`git diff ${a.slice(0, 12)}..${head.slice(0, 12)}\`.`);
    expect(text).toContain('+  if (a === 2 && b === 3) return 5;');
  });
});
