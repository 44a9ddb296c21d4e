/**
 * The lock around every read-modify-write of the projects registry. A lock file holds
 * "<pid> <random token>"; it is created complete (written to a private temp file, then hard-linked
 * into place, which fails atomically if the lock exists), so a reader never sees it half written.
 *
 * A lock whose owner process is dead is taken over, carefully: between reading the owner and
 * removing its file, the owner may have released the lock and another process taken it (a plain
 * `unlink` would then delete a live lock and let two writers in — the cause of an old flaky
 * "eight writers at once" failure). So the stale file is renamed aside and removed only if it is
 * still the very file that was read (same inode, same token); otherwise it is put back.
 * Sync on purpose: `peers init` registers synchronously and the critical section is milliseconds.
 */
import { closeSync, constants, fstatSync, linkSync, lstatSync, openSync, readSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { PeersError } from '../cli/errors.ts';
import { accessingFile } from '../fs/file-errors.ts';
import { UnsafePathError } from '../fs/atomic-write.ts';

/** Generous: holders keep the lock for milliseconds, but a loaded machine can stall any process. */
export const REGISTRY_LOCK_TIMEOUT_MS = 15_000;

type Owner = { pid: number; text: string; ino: number };

const LOCK_FILE = { what: 'projects registry lock', hint: 'remove the lock file if no peers command is running, then retry' };

export function withRegistryLock<T>(lockPath: string, fn: () => T, timeoutMs = REGISTRY_LOCK_TIMEOUT_MS): T {
  const ino = accessingFile(lockPath, LOCK_FILE, () => acquire(lockPath, Date.now() + timeoutMs));
  try {
    return fn();
  } finally {
    release(lockPath, ino);
  }
}

/** Web Crypto's random bytes, as hex: node:crypto would be loaded by every command that reads the registry. */
const randomHex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');

function acquire(lockPath: string, deadline: number): number {
  const token = `${process.pid} ${randomHex(8)}`;
  const tmp = `${lockPath}.${process.pid}.${randomHex(4)}.tmp`;
  writeFileSync(tmp, token, { mode: 0o600, flag: 'wx' });
  try {
    for (;;) {
      try {
        linkSync(tmp, lockPath);
        return lstatSync(tmp).ino;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const owner = readOwner(lockPath);
      if (!owner) continue; // released between our link and our read: try again at once
      if (owner.pid > 0 && !pidAlive(owner.pid)) {
        takeOver(lockPath, owner);
        continue;
      }
      if (Date.now() > deadline) throw new PeersError(`projects registry is locked by pid ${owner.pid || '?'} (${lockPath})`, { hint: 'another peers command is updating it; retry, or delete the lock file if no peers command is running' });
      Bun.sleepSync(10 + Math.floor(Math.random() * 40));
    }
  } finally {
    unlinkSync(tmp);
  }
}

function readOwner(lockPath: string): Owner | undefined {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted as the lock must not hang the command (it is refused below).
    fd = openSync(lockPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new UnsafePathError(lockPath, 'it is a symlink');
    throw e;
  }
  try {
    if (!fstatSync(fd).isFile()) throw new UnsafePathError(lockPath, 'it is not a regular file');
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('utf8');
    return { pid: Number(text.trim().split(/\s+/)[0]) || 0, text, ino: fstatSync(fd).ino };
  } finally {
    closeSync(fd);
  }
}

function takeOver(lockPath: string, stale: Owner): void {
  const aside = `${lockPath}.stale.${process.pid}.${randomHex(4)}`;
  try {
    renameSync(lockPath, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = readOwner(aside);
  if (moved && (moved.ino !== stale.ino || moved.text !== stale.text)) {
    // A live holder's lock, not the dead one we read: give it back (EEXIST is impossible while we
    // did not release it, unless yet another stale takeover raced us; then theirs stands).
    try {
      linkSync(aside, lockPath);
    } catch {}
  }
  unlinkSync(aside);
}

function release(lockPath: string, ino: number): void {
  try {
    // Only our own file: never remove a lock another process holds.
    if (lstatSync(lockPath).ino === ino) unlinkSync(lockPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
