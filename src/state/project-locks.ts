/**
 * Locks that belong to a project (one repository on this machine), not to a state directory:
 * `--state-dir` or `$PEERS_STATE_DIR` pointing elsewhere must not mean a second run on the same
 * repository. They live in peers' runtime directory, named by the project key (the repository's
 * real path, paths.ts), which also names the project's pod:
 *  - `<key>.loop.lock`: held by a `peers loop` on the host for its whole run, beside the state
 *    directory's own run lock;
 *  - `<key>.pod.lock`: held by `peers up` and `peers down` while they look at, create or remove the
 *    pod, so two of them on one project run one after the other: concurrent `up`s leave exactly
 *    one pod, and the later ones find it running.
 * The kernel drops a lock when its holder dies, so nothing stale ever blocks (run-lock.ts).
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PeersError } from '../cli/errors.ts';
import { accessingFile } from '../fs/file-errors.ts';
import { UnsafePathError } from '../fs/atomic-write.ts';
import { peersRuntimeDir } from './env-dirs.ts';
import { projectKey } from './paths.ts';
import { probeRunLock, tryLock, type RunLock } from './run-lock.ts';

export type ProjectLockKind = 'loop' | 'pod';

/** How long `up`/`down` wait for another `up`/`down` of the same project (a large run clone takes a while). */
export const POD_LOCK_WAIT_MS = 10 * 60_000;
const POLL_MS = 100;

const LOCKS_DIR = { what: 'project lock directory', hint: 'set $XDG_RUNTIME_DIR to a directory only you can write (or remove the one named)' };

/** The locks directory, created 0700 and refused when it is a symlink or someone else's. */
function locksDir(env: Record<string, string | undefined>): string {
  const dir = join(peersRuntimeDir(env), 'locks');
  accessingFile(dir, LOCKS_DIR, () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (st.isSymbolicLink() || !st.isDirectory()) throw new UnsafePathError(dir, 'it is not a plain directory');
    // Another local user who made it first could take our locks (and hold them).
    if (process.getuid && st.uid !== process.getuid()) throw new UnsafePathError(dir, `it belongs to uid ${st.uid}`);
  });
  return dir;
}

export function projectLockPath(key: string, kind: ProjectLockKind, env: Record<string, string | undefined> = process.env): string {
  return join(locksDir(env), `${key}.${kind}.lock`);
}

const LOCK_FILE = { what: 'project lock', hint: 'remove it; no peers process of this project must be running' };

function tryProjectLock(path: string): ReturnType<typeof tryLock> {
  return accessingFile(path, LOCK_FILE, () => tryLock(path));
}

/** A host loop's lock on its repository, whatever its state directory; refused naming the holder. */
export function acquireRepositoryLoopLock(repo: string, env: Record<string, string | undefined> = process.env): RunLock {
  const path = projectLockPath(projectKey(repo), 'loop', env);
  const got = tryProjectLock(path);
  if ('lock' in got) return got.lock;
  const pid = got.heldBy;
  throw new PeersError(`another peers loop${pid ? ` (pid ${pid})` : ''} is already running on ${repo} (with another state directory)`, {
    location: { file: path },
    hint: pid ? `stop it first (kill ${pid}), then start again` : 'stop the other loop first',
  });
}

/** Whether a host loop runs on this repository (`up` refuses then: two runs would share it). */
export function probeRepositoryLoopLock(repo: string, env: Record<string, string | undefined> = process.env): { held: boolean; pid?: number } {
  const path = projectLockPath(projectKey(repo), 'loop', env);
  return accessingFile(path, LOCK_FILE, () => probeRunLock(path));
}

/** Whether a `peers up` or `down` of this project is making or removing its pod now. */
export function probePodLock(key: string, env: Record<string, string | undefined> = process.env): { held: boolean; pid?: number } {
  const path = projectLockPath(key, 'pod', env);
  return accessingFile(path, LOCK_FILE, () => probeRunLock(path));
}

/** What `up` and `down` print while they wait for the pod lock. */
export function podLockWaitLine(pid: number | undefined): string {
  return `waiting for another peers up or down of this project${pid ? ` (pid ${pid})` : ''} to finish`;
}

/**
 * Runs `fn` holding the project's pod lock, waiting (up to `waitMs`) while another `up` or `down`
 * of the same project holds it; `onWait` is told once, with the holder's pid when known.
 */
export async function withPodLock<T>(key: string, env: Record<string, string | undefined>, onWait: (pid: number | undefined) => void, fn: () => Promise<T>, waitMs = POD_LOCK_WAIT_MS): Promise<T> {
  const path = projectLockPath(key, 'pod', env);
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    const got = tryProjectLock(path);
    if ('lock' in got) {
      try {
        return await fn();
      } finally {
        got.lock.release();
      }
    }
    if (!told) {
      onWait(got.heldBy);
      told = true;
    }
    if (Date.now() > deadline) {
      throw new PeersError(`another peers up or down of this project${got.heldBy ? ` (pid ${got.heldBy})` : ''} has not finished in ${Math.round(waitMs / 1000)} s`, {
        location: { file: path },
        hint: 'wait for it, or stop it, then run the command again',
      });
    }
    await Bun.sleep(POLL_MS);
  }
}
