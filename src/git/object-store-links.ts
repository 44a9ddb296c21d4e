/**
 * The peers' object store as the loop's git reads it: hard links in a directory of the loop's own
 * stage (observer.ts), each checked after it is made. Checking the peers' store in place
 * (object-store-check.ts) left a window: a process a peer left running (the workspace runner
 * keeps them, dev servers included) could swap a pack index or a commit-graph for a FIFO after
 * the check and before git opened it, and the fetch, on the loop's thread, waited out its
 * 30-minute timeout at every turn. A hard link names an inode, and an inode never changes type:
 * once the link is seen to be a regular file, git opens a regular file, whatever the peers do to
 * their own names afterwards (SECURITY.md, "The trusted mirror"). The content of a linked file can
 * still change under git; every object the mirror takes is hashed, so that can only fail the sync.
 * A directory swapped for a symlink between its listing and its reading links files from where it
 * points into the stage: read by git only as objects, whose content must hash to their names.
 *
 * Links are kept from one sync to the next while they name the same inode as the store's entry
 * (loose objects and packs never change in place), so a sync costs one lstat per entry; entries
 * the store no longer has are removed. A link cannot cross filesystems (or mounts), nor, where the
 * kernel protects hard links, name another user's file: then the caller is told (`unlinkable`).
 */
import { type Dirent, lstatSync, linkSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Beyond this many entries the store is refused (git packs loose objects long before). */
const MAX_ENTRIES = 1_000_000;

export type LinkedStore = { ok: true } | { ok: false; problem: string } | { ok: false; unlinkable: true };

const kind = (isLink: boolean, isFifo: boolean) => (isLink ? 'a symlink' : isFifo ? 'a FIFO' : 'a special file');

/**
 * Mirrors `src` (a peers' objects dir) into `dst` as hard links, each a regular file or refused.
 * `skip`: paths under `src` (like `info/alternates`) left out of `dst`, whatever they are.
 */
export function linkObjectStore(src: string, dst: string, skip: ReadonlySet<string> = new Set()): LinkedStore {
  let seen = 0;
  const stack = [''];
  while (stack.length) {
    const rel = stack.pop()!;
    const from = join(src, rel);
    const into = join(dst, rel);
    let entries: Dirent[];
    try {
      entries = readdirSync(from, { withFileTypes: true });
      mkdirSync(into, { recursive: true, mode: 0o700 });
    } catch (error) {
      return { ok: false, problem: `${from} cannot be listed: ${(error as Error).message}` };
    }
    const names = new Set<string>();
    for (const e of entries) {
      if (++seen > MAX_ENTRIES) return { ok: false, problem: `${src} holds over ${MAX_ENTRIES} entries` };
      if (skip.has(join(rel, e.name))) continue;
      names.add(e.name);
      const path = join(from, e.name);
      const link = join(into, e.name);
      if (e.isDirectory()) {
        // Ours, made fresh if something else had the name (a link of an earlier sync).
        if (lstatSafe(link)?.isDirectory() === false) rmSync(link, { force: true });
        stack.push(join(rel, e.name));
        continue;
      }
      if (!e.isFile()) return { ok: false, problem: `${path} is not a regular file or directory (${kind(e.isSymbolicLink(), e.isFIFO())})` };
      const source = lstatSafe(path);
      if (!source) {
        // Gone since it was listed (the peers' git repacked): nothing to link.
        names.delete(e.name);
        continue;
      }
      const have = lstatSafe(link);
      if (have?.isFile() && have.ino === source.ino && have.dev === source.dev) continue;
      if (have) rmSync(link, { recursive: true, force: true });
      try {
        // link(2) never follows a symlink: a name swapped for one since the listing is linked as
        // the symlink itself, and refused below.
        linkSync(path, link);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          names.delete(e.name);
          continue;
        }
        // Another filesystem or mount; or a file of another user where the kernel protects hard links.
        if (code === 'EXDEV' || code === 'EPERM') return { ok: false, unlinkable: true };
        return { ok: false, problem: `${path} cannot be linked: ${(error as Error).message}` };
      }
      const made = lstatSync(link);
      if (!made.isFile()) {
        rmSync(link, { force: true });
        return { ok: false, problem: `${path} is not a regular file or directory (${kind(made.isSymbolicLink(), made.isFIFO())})` };
      }
    }
    // What the store no longer has goes (old packs would otherwise be kept alive here).
    for (const name of readdirSync(into)) if (!names.has(name)) rmSync(join(into, name), { recursive: true, force: true });
  }
  return { ok: true };
}

function lstatSafe(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
