/**
 * Exclusive locks held for as long as a process runs: one loop per state directory (an exclusive
 * `flock` on `<state>/run.lock`, holding our pid), and the per-repository locks of
 * project-locks.ts. flock is
 * called through `bun:ffi` on libc because neither node:fs nor Bun exposes it, and it has to work
 * inside the compiled binary. The kernel drops the lock when the process dies (even by SIGKILL),
 * so a stale pid in the file never blocks the next start.
 */
import { dlopen, FFIType } from 'bun:ffi';
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { PeersError } from '../cli/errors.ts';
import { fileAccessError } from '../fs/file-errors.ts';
import { UnsafePathError } from '../fs/atomic-write.ts';

const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

type Libc = { flock(fd: number, op: number): number };
let libc: Libc | undefined;

function loadLibc(): Libc {
  if (libc) return libc;
  let lastError: unknown;
  for (const name of ['libc.so.6', 'libc.so', 'libc.dylib']) {
    try {
      const lib = dlopen(name, { flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } });
      libc = { flock: (fd, op) => lib.symbols.flock(fd, op) as number };
      return libc;
    } catch (error) {
      lastError = error;
    }
  }
  throw new PeersError(`cannot load libc for flock: ${(lastError as Error)?.message}`);
}

function openLockFile(path: string, flags: number): number {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted as the lock must be refused (below), not wait for a writer.
    fd = openSync(path, flags | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new UnsafePathError(path, 'it is a symlink');
    throw error;
  }
  const st = fstatSync(fd);
  if (!st.isFile() || st.nlink > 1) {
    closeSync(fd);
    throw new UnsafePathError(path, 'it is not a regular single-link file');
  }
  return fd;
}

function readPid(fd: number): number | undefined {
  const buf = Buffer.alloc(32);
  const n = readSync(fd, buf, 0, buf.length, 0);
  const text = buf.subarray(0, n).toString('utf8').trim();
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

export type RunLock = { release(): void };

/** The exclusive lock at `path` if it is free (our pid written in it), else the pid of its holder. */
export function tryLock(path: string): { lock: RunLock } | { heldBy: number | undefined } {
  const fd = openLockFile(path, constants.O_RDWR | constants.O_CREAT);
  if (loadLibc().flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    const heldBy = readPid(fd);
    closeSync(fd);
    return { heldBy };
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`, 0);
  let released = false;
  const lock = {
    release() {
      if (released) return;
      released = true;
      try {
        ftruncateSync(fd, 0);
      } catch {}
      loadLibc().flock(fd, LOCK_UN);
      closeSync(fd);
    },
  };
  return { lock };
}

/** Takes the project's run lock or throws naming the pid that holds it. */
export function acquireRunLock(path: string): RunLock {
  const got = tryLock(path);
  if ('lock' in got) return got.lock;
  const pid = got.heldBy;
  throw new PeersError(`another peers loop${pid ? ` (pid ${pid})` : ''} is already running for this project`, {
    location: { file: path },
    hint: pid ? `stop it first (peers down, or kill ${pid}), then start again` : 'stop the other loop first',
  });
}

/** Who holds the lock, without taking it (for `peers status`); an unusable lock file is exit 2. */
export function probeRunLock(path: string): { held: boolean; pid?: number } {
  let fd: number;
  try {
    fd = openLockFile(path, constants.O_RDONLY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { held: false };
    throw fileAccessError(error, path, { what: 'run lock', hint: 'if no peers loop is running for this project, remove the file' });
  }
  try {
    const pid = readPid(fd);
    if (loadLibc().flock(fd, LOCK_SH | LOCK_NB) === 0) {
      loadLibc().flock(fd, LOCK_UN);
      return { held: false };
    }
    return { held: true, pid };
  } finally {
    closeSync(fd);
  }
}
