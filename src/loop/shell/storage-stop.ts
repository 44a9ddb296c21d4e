/**
 * Disk full (ENOSPC, EDQUOT) or an I/O error (EIO) while the loop writes the run's state or its
 * trusted mirror is a stop of the run, not an internal error (docs/ARCHITECTURE.md, "When the disk
 * fills"). Every state file is written atomically, so what is on disk is the last state written
 * whole; the loop stops with a reason naming the file (`disk-full:<path>`, exit 1) and the next
 * `peers up` or `peers loop` resumes from there once the disk is usable again.
 *
 * To be able to say so on a full disk, the loop keeps a small reserve file in the state dir and
 * deletes it before it writes its stop records (disk-reserve.ts).
 */
import { GitError } from '../../git/git.ts';
import { releaseReserve } from '../../state/disk-reserve.ts';
import type { StatePaths } from '../../state/paths.ts';
import { appendRunLine } from '../../state/run-log.ts';
import type { LoopState } from '../../state/state-schema.ts';
import { saveState } from '../../state/state-store.ts';
import { formatStopReason, storageStopText, writeStopReason, type StopReason, type StorageProblem } from '../../state/stop-reason.ts';

const ERRNO_PROBLEMS: Record<string, StorageProblem> = { ENOSPC: 'disk-full', EDQUOT: 'disk-full', EIO: 'io-error' };

/** git reports the same conditions in words (strerror), without an errno. */
const GIT_PROBLEMS: [RegExp, StorageProblem][] = [
  [/No space left on device/i, 'disk-full'],
  [/Disk quota exceeded/i, 'disk-full'],
  [/Input\/output error/i, 'io-error'],
];

/**
 * The stop a failed write calls for, or null when `error` is something else. `where` names the
 * place when the error does not (git's messages carry no reliable path).
 */
export function storageStop(error: unknown, where: string): Extract<StopReason, { kind: 'storage' }> | null {
  for (let e = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const errno = e as NodeJS.ErrnoException;
    const problem = typeof errno.code === 'string' ? ERRNO_PROBLEMS[errno.code] : undefined;
    if (problem) return { kind: 'storage', problem, path: typeof errno.path === 'string' && errno.path ? errno.path : where };
    if (e instanceof GitError) {
      const hit = GIT_PROBLEMS.find(([re]) => re.test(e.result.stderr));
      if (hit) return { kind: 'storage', problem: hit[1], path: where };
    }
  }
  return null;
}

/**
 * Records a storage stop as far as the disk allows: the reserve goes first, then the stop reason
 * (what `peers status` shows), state.json (the state in memory, when there is one) and the exit
 * line. Each write is atomic or cut back, so a write that still fails leaves the last whole one.
 */
export function recordStorageStop(paths: StatePaths, stop: Extract<StopReason, { kind: 'storage' }>, run: { state?: LoopState; tick: number; ticksInRun: number }, log: (line: string) => void): void {
  releaseReserve(paths.diskReserve);
  const reason = formatStopReason(stop);
  const writes: [string, () => void][] = [
    ['the stop reason', () => writeStopReason(paths.stopReason, stop)],
    ['state.json', () => run.state && saveState(paths.state, run.state)],
    ['the exit line', () => appendRunLine(paths.runs, { event: 'exit', ts: new Date().toISOString(), reason, ticks_in_run: run.ticksInRun, tick: run.state?.tick ?? run.tick })],
  ];
  for (const [what, write] of writes) {
    try {
      write();
    } catch (error) {
      log(`peers: could not write ${what} either (${(error as Error).message}); the last one written whole stands`);
    }
  }
  log(`peers: stopped: ${reason} — ${storageStopText(stop)}`);
}
