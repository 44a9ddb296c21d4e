/**
 * Bounded, no-follow reads of files a peer could have tampered with. Everything the loop reads
 * from the control plane or the repository goes through here, so a symlink to /dev/zero or a 10 GB
 * file cannot hang or exhaust it.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../cli/errors.ts';
import { UnsafePathError } from './atomic-write.ts';

export const MiB = 1024 * 1024;

/** A file over the size peers reads: bad input (exit 2) wherever it surfaces. */
export class FileTooLargeError extends InputError {
  constructor(readonly path: string, readonly limit: number) {
    super(`${path} is larger than ${limit} bytes, the most peers reads`, { hint: 'move it aside or make it smaller' });
    this.name = 'FileTooLargeError';
  }
}

/** Reads at most `limit` bytes; throws FileTooLargeError beyond it, UnsafePathError on a symlink. */
export function readFileCapped(path: string, limit: number): Buffer {
  const fd = openNoFollow(path);
  try {
    return readOpenedFile(fd, path, limit);
  } finally {
    closeSync(fd);
  }
}

/**
 * `path` opened for reading without following a symlink at its last component (UnsafePathError
 * then). O_NONBLOCK: opening a FIFO planted where a file belongs must not hang; the caller's
 * regular-file check then refuses it. Regular files ignore the flag.
 */
export function openNoFollow(path: string): number {
  try {
    return openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new UnsafePathError(path, 'it is a symlink');
    throw error;
  }
}

/** The whole of an open regular file, at most `limit` bytes (the caller closes `fd`). */
export function readOpenedFile(fd: number, path: string, limit: number): Buffer {
  const st = fstatSync(fd);
  if (!st.isFile()) throw new UnsafePathError(path, 'it is not a regular file');
  if (st.size > limit) throw new FileTooLargeError(path, limit);
  const buf = Buffer.alloc(Math.min(st.size, limit) + 1);
  let total = 0;
  for (;;) {
    const n = readSync(fd, buf, total, buf.length - total, null);
    if (n === 0) break;
    total += n;
    if (total > limit) throw new FileTooLargeError(path, limit);
    if (total === buf.length) break;
  }
  return buf.subarray(0, total);
}

export function readTextCapped(path: string, limit: number): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(readFileCapped(path, limit));
}

/** Like readTextCapped but returns undefined when the file does not exist. */
export function readTextIfExists(path: string, limit: number): string | undefined {
  try {
    return readTextCapped(path, limit);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A slice of a file read by `readRange`: the bytes, where they end, and the file's mtime. */
export type FileRange = { bytes: Buffer; end: number; mtimeMs: number };

/**
 * Reads part of a log that grows while it is read: from byte `from` (following a log), or its last
 * `lastBytes` bytes (what a peer is doing now), at most `max` bytes either way. Null when the file
 * is missing, a symlink or not a regular file (a FIFO planted there cannot hang the reader).
 */
export function readRange(path: string, at: { from: number } | { lastBytes: number }, max = 16 * MiB): FileRange | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return null;
    const start = 'from' in at ? at.from : Math.max(0, st.size - Math.min(at.lastBytes, max));
    const len = Math.max(0, Math.min(st.size - start, max));
    const buf = Buffer.alloc(len);
    const n = len ? readSync(fd, buf, 0, len, start) : 0;
    return { bytes: buf.subarray(0, n), end: start + n, mtimeMs: st.mtimeMs };
  } finally {
    closeSync(fd);
  }
}
