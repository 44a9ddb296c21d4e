/**
 * Temporary directories that say whose they are. Every peers scratch directory (gate checkouts, the
 * `peers` shim, git views and homes) is named `<prefix>p<pid>s<start>-XXXXXX`, where pid and start
 * time are its creator's. A process killed before its `finally` ran leaves them behind; the next
 * loop removes those whose creator no longer runs (`removeDeadOwnersScratch`), and never one whose
 * creator does — another loop, a `peers verify`, a report being written.
 */
import { lstatSync, mkdtempSync, readdirSync } from 'node:fs';
import { removeTree } from '../fs/remove-tree.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processIdentity } from './proc-table.ts';

/** `peers-<what>-p<pid>s<ticks>-<random>`: the creator's pid and start (clock ticks since boot). */
const OWNED = /^peers-[a-z][a-z-]*-p(\d+)s(\d+)-[^/]+$/;

let tag: string | undefined;
/** This process's part of the name; `s0` where the start time cannot be read (never removed then). */
function ownerTag(): string {
  if (tag === undefined) {
    const start = processIdentity(process.pid)?.start.split(':')[1] ?? '0';
    tag = `p${process.pid}s${start}`;
  }
  return tag;
}

/** mkdtemp under the temp directory, named for this process. `prefix` is like `peers-checkout-`. */
export function makeScratchDir(prefix: string, parent = tmpdir()): string {
  return mkdtempSync(join(parent, `${prefix}${ownerTag()}-`));
}

/** Whether the scratch directory `name` belongs to a process that is gone (false when unsure). */
export function ownerIsGone(name: string, startOf: (pid: number) => string | null): boolean {
  const m = OWNED.exec(name);
  if (!m) return false;
  const pid = Number(m[1]);
  const ticks = m[2]!;
  if (ticks === '0') return false;
  const now = startOf(pid);
  return now === null || now.split(':')[1] !== ticks;
}

/**
 * Removes the peers scratch directories in `parent` whose creator no longer runs: only directories
 * (never a link), only this user's. Returns the names removed.
 */
export function removeDeadOwnersScratch(parent = tmpdir()): string[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const uid = process.getuid?.();
  const removed: string[] = [];
  const startOf = (pid: number) => {
    const id = processIdentity(pid);
    return id && !id.zombie ? id.start : null;
  };
  for (const name of names) {
    if (!ownerIsGone(name, startOf)) continue;
    const path = join(parent, name);
    try {
      const st = lstatSync(path);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      // The gate checkout's directory is kept unlistable (mode 0300) while in use, and the peers'
      // code in it may lock its own directories: removeTree gives their owner's bits back.
      removeTree(path);
      removed.push(name);
    } catch {
      // Removed by someone else meanwhile, or not ours to remove.
    }
  }
  return removed;
}

