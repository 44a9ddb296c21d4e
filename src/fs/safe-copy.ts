/**
 * Copies a file a peer could have tampered with (a git dir's index, shallow or info/exclude, into a
 * host command's read-only view: src/git/observed-view.ts) without following a link or opening a FIFO:
 * a FIFO planted there held the operator's `peers check` forever, and a link copied a file from
 * outside the repository. The copy streams, so a large index costs no more memory than a buffer.
 */
import { closeSync, constants, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { UnsafePathError } from './atomic-write.ts';
import { openFileBeneath } from './read-beneath.ts';
import { FileTooLargeError } from './safe-read.ts';

const CHUNK = 1024 * 1024;

/**
 * Copies `src` to a new file `dst` (never an existing one); false when `src` does not exist.
 * FileTooLargeError past `limit` bytes: a sparse file a peer makes in an instant (`truncate -s 1T
 * .git/index`) would otherwise be copied whole, zeros and all, into the host's scratch directory.
 */
export function copyRegularFile(src: string, dst: string, limit: number, beneath?: { root: string; rel: string }): boolean {
  let from: number;
  try {
    // O_NONBLOCK: a FIFO opens at once, and is refused below. Regular files ignore the flag.
    // `beneath`: `src` is `root/rel`, reached through no link at all (read-beneath.ts), so a `.git`
    // a leftover process swaps for a link after the layout was read copies nothing from elsewhere.
    from = beneath ? openFileBeneath(beneath.root, beneath.rel) : openSync(src, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code === 'ELOOP') throw new UnsafePathError(src, 'it is a symlink');
    throw error;
  }
  try {
    const st = fstatSync(from);
    if (!st.isFile()) throw new UnsafePathError(src, 'it is not a regular file');
    if (st.size > limit) throw new FileTooLargeError(src, limit);
    const to = openSync(dst, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      const buf = Buffer.alloc(CHUNK);
      let copied = 0;
      for (;;) {
        const n = readSync(from, buf, 0, CHUNK, null);
        if (n === 0) break;
        // A file still growing as it is copied is held to the same limit.
        copied += n;
        if (copied > limit) throw new FileTooLargeError(src, limit);
        let off = 0;
        while (off < n) off += writeSync(to, buf, off, n - off);
      }
    } finally {
      closeSync(to);
    }
    return true;
  } finally {
    closeSync(from);
  }
}
