/**
 * Atomic, link-safe writes for every control-plane file (state.json, registry, stop reason, ...).
 *
 * A reader must only ever see the old or the new content: we write a unique temp file beside the
 * target (O_EXCL|O_NOFOLLOW, so a planted symlink cannot redirect it), fsync it, rename it over the
 * target, then fsync the directory so the rename itself survives a power cut. A target that is a
 * symlink or has other hard links is refused: writing through it would change a file elsewhere.
 */
import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, lstatSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../cli/errors.ts';

/**
 * A path peers manages that is not what it must be (a symlink, a FIFO, a directory, a hard link):
 * someone put it there, so it is bad input (exit 2) wherever it surfaces, never an internal error.
 */
export class UnsafePathError extends InputError {
  constructor(readonly path: string, reason: string) {
    super(`refusing to use ${path}: ${reason}`, { hint: 'move it aside (peers writes a new one) or replace it with a regular file' });
    this.name = 'UnsafePathError';
  }
}

/** Throws when `path` exists and is a symlink, not a regular file, or hard-linked elsewhere. */
export function assertSafeLeaf(path: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (st.isSymbolicLink()) throw new UnsafePathError(path, 'it is a symlink');
  if (!st.isFile()) throw new UnsafePathError(path, 'it is not a regular file');
  if (st.nlink > 1) throw new UnsafePathError(path, `it has ${st.nlink} hard links`);
}

export function assertSafeDir(path: string): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) throw new UnsafePathError(path, 'the directory is a symlink');
  if (!st.isDirectory()) throw new UnsafePathError(path, 'it is not a directory');
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * `durable: false` skips both fsyncs: still atomic (a reader sees the old or the new content), but
 * a power cut may lose the write. Only for a record that a power cut makes moot anyway (the live
 * child processes of loop-children.ts: none survives a reboot).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600, opts: { durable?: boolean } = {}): void {
  const durable = opts.durable ?? true;
  const dir = dirname(path);
  assertSafeDir(dir);
  assertSafeLeaf(path);
  // Web Crypto's random bytes: node:crypto would be loaded (about 1.5 ms) by every command that reads state.
  const tmp = join(dir, `.${basename(path)}.${Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    if (durable) fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {}
    try {
      unlinkSync(tmp);
    } catch {}
    throw withPath(error, path);
  }
  if (durable) fsyncDir(dir);
}

/** A failed write(2) names no file: say which one (a full disk is reported by the file it hit). */
function withPath(error: unknown, path: string): unknown {
  const e = error as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string' && !e.path) e.path = path;
  return error;
}

/**
 * Appends one line (a JSONL record) without following a symlinked leaf. The line is written whole
 * or not at all: a write cut short (a full disk) is cut back off, so readers never meet a torn line.
 */
export function appendLineSafe(path: string, line: string, mode = 0o600): void {
  assertSafeDir(dirname(path));
  assertSafeLeaf(path);
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, mode);
  const size = fstatSync(fd).size;
  let off = 0;
  try {
    const bytes = Buffer.from(line.endsWith('\n') ? line : `${line}\n`, 'utf8');
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (error) {
    try {
      // Only our own partial bytes (another appender's line stays).
      if (off > 0 && fstatSync(fd).size === size + off) ftruncateSync(fd, size);
    } catch {}
    throw withPath(error, path);
  } finally {
    closeSync(fd);
  }
}
