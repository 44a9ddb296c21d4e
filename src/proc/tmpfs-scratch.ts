/**
 * Where small per-run scratch directories go (a gate's fresh HOME, TMPDIR and XDG dirs:
 * src/gates/gate-env.ts): a tmpfs when one is at hand, else the temp dir. On a disk filesystem each
 * directory made and removed costs real system CPU on every gate run (ext4 without a journal scans
 * recently freed inodes on every allocation; with `discard` it frees blocks synchronously:
 * BENCHMARKS.md, "Loop processes per tick"); on a tmpfs it is almost free.
 *
 * Nothing is shared through the place: each run gets a new `mkdtemp` directory (mode 0700) in it,
 * removed after the run, exactly as in the temp dir. A place is used only when it is a real
 * directory (not a link) on a tmpfs, writable by us, and either private to us (no group or other
 * write: `$XDG_RUNTIME_DIR`) or sticky (`/dev/shm`: nobody can remove or rename our entry), with at
 * least MIN_FREE_BYTES free: a gate's caches live there (the pod's gates already run with a 1 GiB
 * tmpfs /tmp), and a nearly full tmpfs must not fail a gate the disk would have served.
 */
import { accessSync, constants, lstatSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute } from 'node:path';
import { currentMountinfo, mountOf } from '../fs/noexec-mount.ts';

/** statfs(2) f_type of a tmpfs. */
const TMPFS_MAGIC = 0x01021994;
/** Free space a tmpfs needs to take a gate's scratch directories. */
export const MIN_FREE_BYTES = 512 * 1024 * 1024;

/** Why `dir` cannot hold scratch directories (null: it can). */
export function tmpfsRefusal(dir: string | undefined, minFreeBytes = MIN_FREE_BYTES): string | null {
  if (!dir || !isAbsolute(dir)) return 'not an absolute path';
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory()) return 'not a directory';
    const uid = process.getuid?.();
    const shared = (st.mode & 0o022) !== 0;
    if (shared && (st.mode & 0o1000) === 0) return 'writable by others and not sticky';
    if (!shared && uid !== undefined && st.uid !== uid) return 'owned by another user';
    accessSync(dir, constants.W_OK | constants.X_OK);
    const fs = statfsSync(dir);
    if (fs.type !== TMPFS_MAGIC) return 'not a tmpfs';
    // A gate's TMPDIR is where `go test` builds and runs its test binaries (noexec-mount.ts).
    if (mountOf(dir, currentMountinfo())?.options.includes('noexec')) return 'mounted noexec';
    if (fs.bavail * fs.bsize < minFreeBytes) return 'less free space than a gate may need';
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The first of `candidates` that can hold scratch directories, else `fallback`. */
export function pickScratchParent(candidates: readonly (string | undefined)[], fallback: string, minFreeBytes = MIN_FREE_BYTES): string {
  return candidates.find((c) => tmpfsRefusal(c, minFreeBytes) === null) ?? fallback;
}

/** The places looked at, in order: the temp dir itself (already a tmpfs in the pod), the user's runtime dir, /dev/shm. */
export function tmpfsCandidates(env: NodeJS.ProcessEnv = process.env): (string | undefined)[] {
  return [tmpdir(), env.XDG_RUNTIME_DIR, '/dev/shm'];
}

/** Where this run's small scratch directories go now (free space is looked at every time). */
export function smallScratchParent(): string {
  return pickScratchParent(tmpfsCandidates(), tmpdir());
}

/** Every place a scratch directory of ours may be (the temp dir first), for the sweep of dead owners' leftovers. */
export function scratchParents(): string[] {
  return [...new Set([tmpdir(), ...tmpfsCandidates().filter((c): c is string => tmpfsRefusal(c, 0) === null)])];
}
