/**
 * Git opens the files it finds in an object store with a plain blocking open(): a pack index, a
 * commit-graph, a multi-pack-index or a loose object that is a FIFO (or a link to one, or to
 * `/dev/stdin`) hangs it until its timeout. The observer's stage borrows the peers' object store
 * (observer.ts), and its git runs on the loop's thread: a FIFO planted there held the loop for the
 * whole fetch timeout (30 minutes) at every sync, deaf to signals. So before git reads a peers'
 * object store, everything in it must be a real directory or a regular file (SECURITY.md, "The
 * trusted mirror").
 */
import { type Dirent, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Beyond this many entries the store is refused (git packs loose objects long before). */
const MAX_ENTRIES = 1_000_000;

/** The first entry of `objectsDir` that is neither a directory nor a regular file, or null. */
export function objectStoreProblem(objectsDir: string): string | null {
  const stack = [objectsDir];
  let seen = 0;
  while (stack.length) {
    const dir = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      return `${dir} cannot be listed: ${(error as Error).message}`;
    }
    for (const e of entries) {
      if (++seen > MAX_ENTRIES) return `${objectsDir} holds over ${MAX_ENTRIES} entries`;
      const path = join(dir, e.name);
      if (e.isDirectory()) stack.push(path);
      else if (!e.isFile()) return `${path} is not a regular file or directory (${e.isSymbolicLink() ? 'a symlink' : e.isFIFO() ? 'a FIFO' : 'a special file'})`;
    }
  }
  return null;
}
