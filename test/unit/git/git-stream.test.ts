/**
 * gitStream and gitLines (src/git/git.ts): output that grows with what a peer committed is read in
 * chunks from an unlinked file, never held whole, and handed back line by line without cutting a
 * line or a character at a chunk's edge. The run's mirror reuses one such file for every read.
 */
import { afterEach, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initObserverRepo } from '../../../src/git/observer.ts';
import { PeersError } from '../../../src/cli/errors.ts';
import { git, gitLines, gitOk, gitStream, memoizeReadsOf } from '../../../src/git/git.ts';
import { makeRepo, type Repo } from '../protocol/git-fixture.ts';

let repo: Repo | undefined;
afterEach(() => repo?.cleanup());

const CHUNK = 1024 * 1024;

test('lines that straddle the 1 MiB chunks come back whole, multi-byte characters included', () => {
  // A line ending one byte past the first chunk, with a two-byte character across the edge; then
  // a line longer than a chunk; then a last line without a newline.
  const first = `${'a'.repeat(CHUNK - 1)}é`;
  const long = 'b'.repeat(CHUNK * 2 + 17);
  repo = makeRepo();
  repo.commit('big', { 'f.txt': `${first}\n${long}\nlast` });
  const lines: string[] = [];
  const res = gitLines(repo.dir, ['show', 'HEAD:f.txt'], (l) => lines.push(l));
  expect(res.code).toBe(0);
  expect(lines.length).toBe(3);
  expect(lines[0] === first).toBe(true);
  expect(lines[1] === long).toBe(true);
  expect(lines[2]).toBe('last');
});

test('output far past the 64 MiB a buffered read is given is streamed, and leaves no file behind', () => {
  repo = makeRepo();
  const line = `${'x'.repeat(1023)}\n`;
  repo.commit('huge', { 'big.txt': line.repeat(70 * 1024) });
  const before = readdirSync(tmpdir()).filter((n) => n.startsWith('peers-git-out-')).length;
  let bytes = 0;
  let chunks = 0;
  const res = gitStream(repo.dir, ['show', 'HEAD:big.txt'], (c) => {
    bytes += c.length;
    chunks++;
  });
  expect(res.code).toBe(0);
  expect(bytes).toBe(70 * 1024 * 1024);
  expect(chunks).toBeGreaterThanOrEqual(70);
  expect(readdirSync(tmpdir()).filter((n) => n.startsWith('peers-git-out-')).length).toBe(before);
});

test('a failing read gives its exit code and stderr, and no line', () => {
  repo = makeRepo();
  repo.commit('one', { 'a.txt': 'a\n' });
  const lines: string[] = [];
  const res = gitLines(repo.dir, ['diff', 'no-such-rev..HEAD'], (l) => lines.push(l));
  expect(res.code).not.toBe(0);
  expect(res.stderr).toContain('no-such-rev');
  expect(lines).toEqual([]);
});

test('a buffered read past its buffer stops with a clear error that says so (exit 1), not an internal error', () => {
  repo = makeRepo();
  repo.commit('one', { 'a.txt': 'a'.repeat(4096) });
  let error: unknown;
  try {
    git(repo.dir, ['show', 'HEAD:a.txt'], { maxBuffer: 1024 });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(PeersError);
  expect((error as PeersError).exitCode).toBe(1);
  expect((error as Error).message).toContain('git show HEAD:a.txt… printed more than 1024 bytes');
});

test("a mirror's diff is streamed through a file in the mirror's own git dir (not the pod's small /tmp), and nothing is left there", () => {
  repo = makeRepo();
  const a = repo.commit('one', { 'a.txt': 'a\n' });
  const b = repo.commit('two', { 'a.txt': 'b\n' });
  const mirror = mkdtempSync(join(tmpdir(), 'peers-stream-mirror-'));
  try {
    initObserverRepo(mirror);
    gitOk(mirror, ['fetch', '-q', repo.dir, 'HEAD:refs/heads/main']);
    const before = readdirSync(mirror).sort();
    const opened: string[] = [];
    const lines: string[] = [];
    gitOk(mirror, ['rev-parse', 'HEAD']); // the hermetic HOME exists before TMPDIR goes away
    const tmp = process.env.TMPDIR;
    process.env.TMPDIR = join(tmpdir(), 'peers-no-such-tmp'); // a read through /tmp would fail
    let res;
    try {
      res = gitLines(mirror, ['diff', a, b], (l) => {
        // While the read runs, its directory is already gone: nothing of it is visible.
        opened.push(...readdirSync(mirror).filter((n) => n.startsWith('peers-git-out-')));
        lines.push(l);
      });
    } finally {
      if (tmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmp;
    }
    expect(res.code).toBe(0);
    expect(lines).toContain('+b');
    expect(opened).toEqual([]);
    expect(readdirSync(mirror).sort()).toEqual(before);
  } finally {
    rmSync(mirror, { recursive: true, force: true });
  }
});

test("the run's mirror streams every read through one unnamed file, emptied after each read: a later, shorter read gets only its own output", () => {
  repo = makeRepo();
  const a = repo.commit('one', { 'a.txt': 'x\n'.repeat(5000) });
  const b = repo.commit('two', { 'a.txt': 'y\n' });
  const mirror = mkdtempSync(join(tmpdir(), 'peers-stream-mirror-'));
  try {
    initObserverRepo(mirror);
    gitOk(mirror, ['fetch', '-q', repo.dir, 'HEAD:refs/heads/main']);
    memoizeReadsOf(mirror);
    // The output files this process holds open for the mirror (no name left: "(deleted)").
    const held = () =>
      readdirSync('/proc/self/fd').flatMap((fd) => {
        try {
          const to = readlinkSync(`/proc/self/fd/${fd}`);
          return to.startsWith(`${mirror}/peers-git-out-`) ? [fd] : [];
        } catch {
          return [];
        }
      });
    const big: string[] = [];
    expect(gitLines(mirror, ['diff', a, b], (l) => big.push(l)).code).toBe(0);
    expect(big.filter((l) => l === '-x').length).toBe(5000);
    const small: string[] = [];
    expect(gitLines(mirror, ['log', '-1', '--format=%s', b], (l) => small.push(l)).code).toBe(0);
    expect(small).toEqual(['two']);
    // One file for every read (none made and removed per read), holding nothing between reads.
    expect(held().length).toBe(1);
    expect(statSync(`/proc/self/fd/${held()[0]}`).size).toBe(0);
    // A read started from within another's callback gets a file of its own; both read right.
    const outer: string[] = [];
    const inner: string[] = [];
    gitLines(mirror, ['diff', a, b], (l) => {
      if (!inner.length) gitLines(mirror, ['log', '-1', '--format=%s', a], (m) => inner.push(m));
      outer.push(l);
    });
    expect(outer).toEqual(big);
    expect(inner).toEqual(['one']);
    expect(held().length).toBe(1);
    expect(readdirSync(mirror).filter((n) => n.startsWith('peers-git-out-'))).toEqual([]);
  } finally {
    rmSync(mirror, { recursive: true, force: true });
  }
});
