/**
 * Git lock files nobody holds. Git takes `index.lock`, `HEAD.lock`, `refs/heads/x.lock`, ... by
 * creating the file, and a git process killed before it renames or removes it leaves the lock
 * behind: every later git command that needs it fails ("index.lock exists") until someone removes
 * it. A loop killed mid-turn (SIGKILL, OOM, a power cut) leaves exactly that, and so can a peer,
 * on purpose, to make the next peer's turn fail. The loop removes such locks at start-up and after
 * every turn (docs/ARCHITECTURE.md, "Processes a dead loop leaves"), only when no process it can
 * see holds one open or runs git in the repository; otherwise it leaves them and says why.
 *
 * Read as files, never through git (the repository may be hostile, repo-layout.ts); nothing is
 * followed through a symlink: a file or a symlink itself is removed, never what a symlink names,
 * and a directory named `*.lock` is left alone.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, unlinkSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { listProcesses } from '../proc/proc-table.ts';
import type { RepoLayout } from './repo-layout.ts';

/** How many entries of `refs/` are looked at, at most (a repository with huge ref trees is left alone past that). */
const MAX_REF_ENTRIES = 20_000;

/**
 * A file or a symlink: git's `O_CREAT|O_EXCL` fails on either (a planted symlink named
 * `index.lock` blocks git as well as a file), and unlinking a symlink never touches its target.
 */
function isLockEntry(path: string): boolean {
  try {
    const st = lstatSync(path);
    return st.isFile() || st.isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Whether every directory from the work tree down to `dir` is a real directory, when `dir` is in
 * the tree: a `.git` (or `.git/refs`) a leftover process swaps for a link after the layout was read
 * would otherwise have every `*.lock` wherever it points listed and removed (the loop's run lock).
 * Checked again just before each unlink. A worktree's shared git dir outside the tree (a user's
 * repository only) is not the peers' to swap.
 */
function plainBeneath(workDir: string, dir: string): boolean {
  if (!within(workDir, dir)) return true;
  let cur = workDir;
  for (const part of relative(workDir, dir).split('/').filter(Boolean)) {
    cur = join(cur, part);
    try {
      if (!lstatSync(cur).isDirectory()) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function locksIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith('.lock')).map((n) => join(dir, n)).filter(isLockEntry);
}

/** `*.lock` files under `refs/` (loose ref updates), depth-first, bounded. */
function refLocks(refsDir: string): string[] {
  const out: string[] = [];
  // Entries below are told apart without following links (Dirent types); the root must be a real
  // directory too, or a `refs` swapped for a link would have every `*.lock` wherever it points
  // removed (the loop's own run lock in its state directory, the mirror's ref locks).
  try {
    if (!lstatSync(refsDir).isDirectory()) return out;
  } catch {
    return out;
  }
  const stack = [refsDir];
  let seen = 0;
  while (stack.length && seen < MAX_REF_ENTRIES) {
    const dir = stack.pop()!;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (++seen > MAX_REF_ENTRIES) break;
      const path = join(dir, e.name);
      if (e.isDirectory()) stack.push(path);
      else if ((e.isFile() || e.isSymbolicLink()) && e.name.endsWith('.lock')) out.push(path);
    }
  }
  return out;
}

/** Every lock file git may have left in this repository: per-worktree, shared, and loose refs. */
export function findGitLocks(layout: RepoLayout): string[] {
  const dirs = [...new Set([layout.gitDir, layout.commonDir])].filter((d) => plainBeneath(layout.workDir, d));
  const refs = join(layout.commonDir, 'refs');
  return [...new Set([...dirs.flatMap(locksIn), ...(plainBeneath(layout.workDir, refs) ? refLocks(refs) : [])])].sort();
}

/** What a visible process is doing in or to the repository, if anything. */
export type LockHolder = { pid: number; why: string };

const within = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Processes (that this process may inspect) holding one of `locks` open, or running git with their
 * working directory in the repository: while one is, no lock is stale.
 */
export function gitLockHolders(layout: RepoLayout, locks: string[]): LockHolder[] {
  // /proc shows real paths: compare against the real ones.
  const wanted = new Set(locks.flatMap((l) => [l, real(l)]));
  const roots = [layout.workDir, layout.gitDir, layout.commonDir].map(real);
  const out: LockHolder[] = [];
  for (const p of listProcesses()) {
    if (p.zombie || p.pid === process.pid) continue;
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${p.pid}/fd`);
    } catch {}
    const held = fds.map((fd) => readLink(`/proc/${p.pid}/fd/${fd}`)).find((t) => t !== undefined && wanted.has(t));
    if (held) {
      out.push({ pid: p.pid, why: `holds ${held} open` });
      continue;
    }
    let comm = '';
    try {
      comm = readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim();
    } catch {}
    const cwd = readLink(`/proc/${p.pid}/cwd`);
    if ((comm === 'git' || comm.startsWith('git-')) && cwd && roots.some((r) => within(r, cwd))) out.push({ pid: p.pid, why: `${comm} runs in ${cwd}` });
  }
  return out;
}

export type StaleLockSweep = { removed: string[]; kept: string[]; holders: LockHolder[] };

/**
 * Removes the repository's git lock files when nothing visible holds them. `holders` may be
 * injected (tests); by default /proc says (where /proc is absent nobody is seen, and the caller
 * only sweeps when it knows no git of its own runs).
 */
export function removeStaleGitLocks(layout: RepoLayout, holders: (locks: string[]) => LockHolder[] = (l) => gitLockHolders(layout, l)): StaleLockSweep {
  const locks = findGitLocks(layout);
  if (!locks.length) return { removed: [], kept: [], holders: [] };
  const busy = holders(locks);
  if (busy.length) return { removed: [], kept: locks, holders: busy };
  const removed: string[] = [];
  const kept: string[] = [];
  for (const lock of locks) {
    if (!plainBeneath(layout.workDir, dirname(lock))) {
      kept.push(lock);
      continue;
    }
    try {
      unlinkSync(lock);
      removed.push(lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') kept.push(lock);
    }
  }
  return { removed, kept, holders: [] };
}

/** One log line for a sweep, or null when there was nothing to say; paths shown from the work tree. */
export function describeLockSweep(sweep: StaleLockSweep, workDir: string, after: string): string | null {
  const show = (paths: string[]) => paths.map((p) => (within(workDir, p) ? relative(workDir, p) : p)).join(', ');
  if (sweep.removed.length) return `removed git lock file${sweep.removed.length === 1 ? '' : 's'} ${show(sweep.removed)} left by ${after} (no process holds ${sweep.removed.length === 1 ? 'it' : 'them'})`;
  if (sweep.holders.length) return `left git lock file${sweep.kept.length === 1 ? '' : 's'} ${show(sweep.kept)}: pid ${sweep.holders.map((h) => `${h.pid} ${h.why}`).join('; ')}`;
  if (sweep.kept.length) return `could not remove git lock file${sweep.kept.length === 1 ? '' : 's'} ${show(sweep.kept)}`;
  return null;
}
