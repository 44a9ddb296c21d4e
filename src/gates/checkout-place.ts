/**
 * Where the loop's reused gate checkout (gate-checkout.ts) puts its trees: on a tmpfs while every
 * tree it measured was small, on the temp dir's disk otherwise. A tree made and removed on a disk
 * filesystem costs the loop real system CPU every tick (ext4 without a journal scans recently freed
 * inodes on each allocation; with `discard` it frees blocks synchronously), almost nothing on a
 * tmpfs (BENCHMARKS.md, "Loop processes per tick"). But a tmpfs is memory: a large repository, or a
 * gate that builds into its checkout (a `target/`, a `node_modules/`), must not fill it.
 *
 * So the size is known before a tree goes there, without another process: the first tree goes to
 * the disk and is measured after its gate run (what the gate wrote included) by a walk that stops
 * at the limit; a tree on a tmpfs is measured by the space its removal frees (two statfs calls).
 * One tree over the limit sends every later one to the disk for the rest of the run. In the pod the
 * temp dir is already a tmpfs: nothing changes there.
 */
import { lstatSync, readdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

/** The largest tree (after its gate run) that keeps the next ones on a tmpfs. */
export const TMPFS_TREE_LIMIT_BYTES = 64 * 1024 * 1024;
/** statfs(2) f_type of a tmpfs. */
const TMPFS_MAGIC = 0x01021994;

/** What the trees measured so far say: none yet, all small, or one too big (final). */
export type TreeSizes = 'unmeasured' | 'small' | 'too-big';

/** The sizes after one more tree of `bytes` (null: it could not be measured, counted as too big). */
export function afterTree(sizes: TreeSizes, bytes: number | null, limit = TMPFS_TREE_LIMIT_BYTES): TreeSizes {
  if (sizes === 'too-big' || bytes === null || bytes > limit) return 'too-big';
  return 'small';
}

/** Whether the next tree may go to a tmpfs. */
export function treeMayGoToTmpfs(sizes: TreeSizes): boolean {
  return sizes === 'small';
}

export function isTmpfs(dir: string): boolean {
  try {
    return statfsSync(dir).type === TMPFS_MAGIC;
  } catch {
    return false;
  }
}

/** Bytes the filesystem holding `dir` has free (null when it cannot be read). */
export function freeBytes(dir: string): number | null {
  try {
    const fs = statfsSync(dir);
    return fs.bfree * fs.bsize;
  } catch {
    return null;
  }
}

/**
 * The space a directory tree takes (its files' blocks), never following a link; past `limit` the
 * walk stops and returns what it counted so far (more than `limit`). Null when it cannot be read.
 */
export function treeBytes(dir: string, limit = TMPFS_TREE_LIMIT_BYTES): number | null {
  let total = 0;
  const pending = [dir];
  try {
    while (pending.length > 0) {
      const at = pending.pop()!;
      for (const entry of readdirSync(at, { withFileTypes: true })) {
        const path = join(at, entry.name);
        // Blocks, not length: a sparse file takes what it holds; each entry at least a block's worth.
        const st = lstatSync(path);
        total += Math.max(st.blocks * 512, 4096);
        if (total > limit) return total;
        if (entry.isDirectory()) pending.push(path);
      }
    }
  } catch {
    return null;
  }
  return total;
}
