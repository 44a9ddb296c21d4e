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
 * the store no longer has are removed. A directory of the store whose status-change time (ctime)
 * is the one it had when it was last mirrored whole, and was already then well in the past, is not
 * listed again: every name made, removed or renamed in a directory sets its ctime to now, and no
 * process can set a ctime (utimes sets it to now too), so an unchanged ctime means the same names,
 * each naming the inode already linked. Without that, a sync lists the whole store at every turn
 * (BENCHMARKS.md, "Loop processes per tick"). A link cannot cross filesystems (or mounts), nor, where the
 * kernel protects hard links, name another user's file: then the caller is told (`unlinkable`).
 */
import { type Dirent, lstatSync, linkSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Beyond this many entries the store is refused (git packs loose objects long before). */
const MAX_ENTRIES = 1_000_000;

/**
 * How long before its listing a directory must have last changed for its ctime to be trusted, so
 * that a change after the listing gets a later ctime: more than the kernel's timestamp clock lags
 * (one timer tick, at most 10 ms) where the filesystem keeps finer than milliseconds (a ctime with
 * sub-millisecond digits), more than the coarsest filesystem's step (FAT: 2 s) elsewhere.
 */
function settledNs(ctimeNs: bigint): bigint {
  return ctimeNs % 1_000_000n !== 0n ? 20_000_000n : 3_000_000_000n;
}

/**
 * A directory of the store as it was when it was last mirrored whole, the subdirectories it had,
 * and its mirror in the stage as this left it (a stage made again, or changed by anyone, is listed).
 */
type Mirrored = { ino: bigint; dev: bigint; ctimeNs: bigint; subdirs: string[]; entries: number; into: string };
const identity = (st: { ino: bigint; dev: bigint; ctimeNs: bigint }) => `${st.dev}:${st.ino}:${st.ctimeNs}`;
/** Per store and stage directory: each mirrored directory by its path inside the store. */
const mirrored = new Map<string, Map<string, Mirrored>>();

export type LinkedStore = { ok: true } | { ok: false; problem: string } | { ok: false; unlinkable: true };

const kind = (isLink: boolean, isFifo: boolean) => (isLink ? 'a symlink' : isFifo ? 'a FIFO' : 'a special file');

/**
 * Mirrors `src` (a peers' objects dir) into `dst` as hard links, each a regular file or refused.
 * `skip`: paths under `src` (like `info/alternates`) left out of `dst`, whatever they are.
 */
export function linkObjectStore(src: string, dst: string, skip: ReadonlySet<string> = new Set()): LinkedStore {
  const key = [src, dst, ...[...skip].sort()].join('\0');
  const known = mirrored.get(key) ?? new Map<string, Mirrored>();
  // Rebuilt from what this sync sees; kept only when the sync succeeds.
  mirrored.delete(key);
  const now = new Map<string, Mirrored>();
  const r = linkDirs(src, dst, skip, known, now);
  if (r.ok) mirrored.set(key, now);
  return r;
}

function linkDirs(src: string, dst: string, skip: ReadonlySet<string>, known: Map<string, Mirrored>, now: Map<string, Mirrored>): LinkedStore {
  let seen = 0;
  const stack = [''];
  while (stack.length) {
    const rel = stack.pop()!;
    const from = join(src, rel);
    const into = join(dst, rel);
    const listedAtNs = BigInt(Date.now()) * 1_000_000n;
    const dir = lstatBig(from);
    const was = known.get(rel);
    if (dir?.isDirectory() && was && was.ino === dir.ino && was.dev === dir.dev && was.ctimeNs === dir.ctimeNs && sameDir(into, was.into)) {
      if ((seen += was.entries) > MAX_ENTRIES) return { ok: false, problem: `${src} holds over ${MAX_ENTRIES} entries` };
      now.set(rel, was);
      for (const sub of was.subdirs) stack.push(join(rel, sub));
      continue;
    }
    const subdirs: string[] = [];
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
        subdirs.push(e.name);
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
    // Trusted next time only if it had settled before this listing.
    const mirror = lstatBig(into);
    if (dir?.isDirectory() && mirror?.isDirectory() && dir.ctimeNs + settledNs(dir.ctimeNs) < listedAtNs) {
      now.set(rel, { ino: dir.ino, dev: dir.dev, ctimeNs: dir.ctimeNs, subdirs, entries: entries.length, into: identity(mirror) });
    }
  }
  return { ok: true };
}

function sameDir(path: string, was: string): boolean {
  const st = lstatBig(path);
  return st?.isDirectory() === true && identity(st) === was;
}

function lstatBig(path: string) {
  try {
    return lstatSync(path, { bigint: true });
  } catch {
    return undefined;
  }
}

function lstatSafe(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
