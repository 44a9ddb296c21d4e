/**
 * What the checkout set aside after `setup` is, stamped so a change to it is seen (SECURITY.md,
 * "Each gate starts from the state right after setup"). The kept checkout sits in a directory the
 * gates cannot list, but a gate runs as the user who owns that directory: `chmod u+r ..` and a
 * glob found it, and a suite that wrote the linted file there made every later gate judge its
 * copy (gate-trees.ts). No place on the filesystem is out of reach of a process of the same user,
 * so the set-aside tree is not hidden better but checked: every entry's inode number and change
 * time (ctime), which the kernel sets to now on any write, chmod, link, rename or removal in it
 * and which no process can set back; its type, mode, size and mtime for the message.
 *
 * Where the kernel takes file times from a coarse clock (a tick of up to 10 ms; newer kernels give
 * a file whose times were read a finer one), a write in the tick the stamp was taken in would leave
 * ctime as it was, so `stampTree` returns only once the clock has moved past every ctime it
 * recorded, before any gate runs.
 */
import { chmodSync, lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';

/** Relative path ('' for the root) to what identifies that entry's state. */
export type TreeStamp = Map<string, string>;

function entryStamp(st: BigIntStats): string {
  return `${st.ino}:${st.ctimeNs}:${st.mode}:${st.size}:${st.mtimeNs}:${st.nlink}`;
}

/** Every entry under `root` (links never followed), with the latest ctime seen. */
function walk(root: string): { stamp: TreeStamp; latest: bigint } {
  const stamp: TreeStamp = new Map();
  let latest = 0n;
  const visit = (rel: string): void => {
    const path = rel === '' ? root : join(root, rel);
    const st = lstatSync(path, { bigint: true });
    stamp.set(rel, entryStamp(st));
    if (st.ctimeNs > latest) latest = st.ctimeNs;
    if (!st.isDirectory()) return;
    for (const name of readdirSync(path)) visit(rel === '' ? name : join(rel, name));
  };
  visit('');
  return { stamp, latest };
}

/**
 * Stamps `root`; returns once a change made from now on gets a later ctime than any recorded:
 * `clock` (a path of ours beside the tree, never inside it) has its ctime touched until it is past.
 */
export function stampTree(root: string, clock: string): TreeStamp {
  const { stamp, latest } = walk(root);
  const mode = Number(lstatSync(clock).mode & 0o7777);
  for (let i = 0; ; i++) {
    chmodSync(clock, mode); // a chmod sets the ctime to now, changing nothing else
    if (lstatSync(clock, { bigint: true }).ctimeNs > latest) break;
    if (i > 1_000_000) throw new Error(`the file system clock did not move past ${latest} at ${clock}`);
  }
  return stamp;
}

/** The first difference between `stamp` and `root` now ("target.txt was changed"), or null when none. */
export function treeChange(root: string, stamp: TreeStamp): string | null {
  let now: TreeStamp;
  try {
    now = walk(root).stamp;
  } catch (error) {
    return `it can no longer be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  for (const [rel, was] of stamp) {
    const is = now.get(rel);
    const name = rel === '' ? 'its top directory' : JSON.stringify(rel);
    if (is === undefined) return `${name} was removed`;
    if (is !== was) return `${name} was changed`;
  }
  for (const rel of now.keys()) if (!stamp.has(rel)) return `${JSON.stringify(rel)} was added`;
  return null;
}
