/**
 * Reads of a file by its path inside a tree a peer can write (the loop's and the host's readers of
 * the peers' clone: recon, codemap), that never leave the tree. O_NOFOLLOW guards only the last
 * component of a path: with `src/` swapped for a symlink to a directory of the loop container,
 * `src/main.py` was read from there and its symbols shown to every peer in the code map. Node has no
 * openat(2)/RESOLVE_BENEATH, so each directory of the path is lstat'ed first (a symlink, or anything
 * but a directory, is refused before anything is opened: opening a device file can itself act), the
 * leaf must be a regular file, and it is opened no-follow and non-blocking. A swap between those
 * checks and the open is then caught on the open file itself: on Linux the kernel says where the
 * descriptor really is (`/proc/self/fd/N`), which must be the path under the tree's real path, else
 * the read is refused before a byte is read. Where there is no /proc (macOS: a host loop, which
 * isolates nothing anyway, docs/ARCHITECTURE.md "What only the pod gives"), the directories are
 * lstat'ed again and must be the same inodes, and the leaf the inode opened, which narrows the race
 * without closing it. SECURITY.md, "Project text is data".
 */
import { closeSync, constants, type Dirent, existsSync, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { UnsafePathError } from './atomic-write.ts';
import { openNoFollow, readOpenedFile } from './safe-read.ts';

const HAS_PROC_FD = existsSync('/proc/self/fd');

/** The components of a relative path inside the tree, or an error for one that could leave it. */
function components(rel: string): string[] {
  const parts = rel.split('/');
  if (rel.includes('\0') || parts.some((p) => p === '' || p === '.' || p === '..')) throw new UnsafePathError(rel, 'it is not a plain relative path inside the tree');
  return parts;
}

/** lstat of every directory on the way to the leaf, then of the leaf; refuses a symlink or a non-directory on the way. */
function walk(root: string, parts: string[]): { dirs: Stats[]; leaf: Stats } {
  const dirs: Stats[] = [];
  let path = root;
  for (const part of parts.slice(0, -1)) {
    path = join(path, part);
    const st = lstatSync(path);
    if (!st.isDirectory()) throw new UnsafePathError(path, st.isSymbolicLink() ? 'a directory on its path is a symlink' : 'a component of its path is not a directory');
    dirs.push(st);
  }
  const leafPath = join(root, ...parts);
  const leaf = lstatSync(leafPath);
  if (!leaf.isFile()) throw new UnsafePathError(leafPath, leaf.isSymbolicLink() ? 'it is a symlink' : 'it is not a regular file');
  return { dirs, leaf };
}

const same = (a: Stats, b: { dev: number; ino: number }) => a.dev === b.dev && a.ino === b.ino;

/** Whether the open `fd` is the file at `rel` under `root` (see the file comment). */
export function openedBeneath(fd: number, root: string, rel: string, before?: { dirs: Stats[] }): boolean {
  if (HAS_PROC_FD) {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === join(realpathSync(root), rel);
    } catch {
      return false;
    }
  }
  try {
    const again = walk(root, components(rel));
    return (before === undefined || (again.dirs.length === before.dirs.length && again.dirs.every((d, i) => same(d, before.dirs[i]!)))) && same(again.leaf, fstatSync(fd));
  } catch {
    return false;
  }
}

/**
 * A descriptor of the regular file `root/rel`, opened as readFileBeneath opens it (the caller
 * closes it); UnsafePathError when any part of the path leads outside or is not what it must be.
 */
export function openFileBeneath(root: string, rel: string): number {
  const parts = components(rel);
  const before = walk(root, parts);
  const path = join(root, rel);
  const fd = openNoFollow(path);
  if (!openedBeneath(fd, root, rel, before)) {
    closeSync(fd);
    throw new UnsafePathError(path, 'its path changed to lead outside the tree while it was opened');
  }
  return fd;
}

/** The bytes of `root/rel`, at most `limit`; UnsafePathError when any part of the path leads outside or is not what it must be. */
export function readFileBeneath(root: string, rel: string, limit: number): Buffer {
  const fd = openFileBeneath(root, rel);
  try {
    return readOpenedFile(fd, join(root, rel), limit);
  } finally {
    closeSync(fd);
  }
}

export function readTextBeneath(root: string, rel: string, limit: number): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(readFileBeneath(root, rel, limit));
}

/** Whether `root/rel` is a regular file reached through directories only (no symlink anywhere on the path). Opens nothing. */
export function isRegularFileBeneath(root: string, rel: string): boolean {
  try {
    walk(root, components(rel));
    return true;
  } catch {
    return false;
  }
}

/**
 * The entries of the directory `root/rel` (`rel` '' for the root itself), reached through
 * directories only. On Linux the directory is opened no-follow, checked to be where it must be, and
 * listed through its descriptor, so a directory swapped for a symlink after the checks is not listed.
 */
export function listDirBeneath(root: string, rel: string): Dirent[] {
  if (rel === '') return readdirSync(root, { withFileTypes: true });
  const parts = components(rel);
  let path = root;
  for (const part of parts) {
    path = join(path, part);
    const st = lstatSync(path);
    if (!st.isDirectory()) throw new UnsafePathError(path, st.isSymbolicLink() ? 'it or a directory on its path is a symlink' : 'a component of its path is not a directory');
  }
  if (!HAS_PROC_FD) return readdirSync(path, { withFileTypes: true });
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    if (!openedBeneath(fd, root, rel)) throw new UnsafePathError(path, 'its path changed to lead outside the tree while it was opened');
    return readdirSync(`/proc/self/fd/${fd}`, { withFileTypes: true });
  } finally {
    closeSync(fd);
  }
}
