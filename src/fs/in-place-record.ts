/**
 * A small record rewritten many times a minute (the loop's `children.json`), in place: its first
 * write makes the file atomically (atomic-write.ts: a unique temp file, renamed, a planted symlink
 * or hard link refused) and keeps it open; later writes go into that same file at offset 0, padded
 * with spaces to the length it had, so no file is made per write. A file made on the state
 * directory's disk costs an inode allocation each time, the dearest part of a rewrite there
 * (BENCHMARKS.md, "Loop processes per tick").
 *
 * Still atomic for a process that dies at any instant, SIGKILL included: a write of one page or
 * less at offset 0 is copied into the page cache whole, in one call, before anything else can read
 * it; a process is killed between system calls or between pages, never within one page. JSON
 * allows trailing white space, so the padding keeps every version a whole document without a
 * truncate. A record, or the file it replaces, longer than a page is written the atomic way (a
 * new file renamed), and the new file is kept open instead. Not durable (no fsync): only for a
 * record a power cut makes moot (docs/ARCHITECTURE.md, "Crash consistency of a tick"). The caller
 * must be the file's only writer; a file removed or replaced since is made again the atomic way.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, writeSync } from 'node:fs';
import { writeFileAtomic } from './atomic-write.ts';

/** What one write(2) at offset 0 puts in the page cache whole (the smallest page Linux has). */
export const IN_PLACE_MAX_BYTES = 4096;

export class InPlaceRecord {
  private fd: number | undefined;
  /** The kept file's identity: a write in place first checks the path still names it. */
  private ino = 0;
  private dev = 0;
  /** Bytes in the file now (the last write's, padding included). */
  private length = 0;

  constructor(private readonly path: string, private readonly mode = 0o600) {}

  write(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    if (this.fd !== undefined && bytes.length <= IN_PLACE_MAX_BYTES && this.length <= IN_PLACE_MAX_BYTES && this.stillNamed()) {
      const whole = Buffer.alloc(Math.max(bytes.length, this.length), 0x20);
      bytes.copy(whole);
      try {
        if (writeSync(this.fd, whole, 0, whole.length, 0) === whole.length) {
          this.length = whole.length;
          return;
        }
      } catch {}
      // A short or failed write: the atomic way below replaces whatever it left.
    }
    this.close();
    writeFileAtomic(this.path, bytes, this.mode, { durable: false });
    this.length = bytes.length;
    this.fd = openKept(this.path);
    if (this.fd !== undefined) ({ ino: this.ino, dev: this.dev } = fstatSync(this.fd));
  }

  /** Removed or replaced since (by whoever): written to, the kept file would be read by nobody. */
  private stillNamed(): boolean {
    const st = lstatSync(this.path, { throwIfNoEntry: false });
    return st !== undefined && st.ino === this.ino && st.dev === this.dev;
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {}
    this.fd = undefined;
  }
}

/**
 * The file just renamed into place, opened for writing without following a link; undefined (every
 * write then makes a new file) when it is not the one-link regular file just made.
 */
function openKept(path: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    const named = lstatSync(path);
    if (st.isFile() && st.nlink === 1 && named.ino === st.ino && named.dev === st.dev) return fd;
  } catch {}
  closeSync(fd);
  return undefined;
}
