/**
 * What a peer's turn leaves running is stopped when the turn ends (SECURITY.md, "Collaboration
 * protocol", "A turn's commits are its own peer's"). The loop credits every commit of a turn's
 * window to the peer that had the turn; a process the implementer left running (`setsid`, a double
 * fork: out of the process group supervise.ts kills) committed a special case of the tested input
 * while the reviewer's turn ran, so it was credited to the reviewer, whose own CHANGES never show
 * its own turn, and the run ended `complete` with nobody honest having read it.
 *
 * Every process a marked run starts carries its mark in its environment (RUN_MARK_VAR, a random
 * value per run, set after the caller's environment so no caller chooses it); once the run is over,
 * every process of this user whose environment holds it is stopped, then killed, pass after pass
 * until none is left (a stopped process cannot fork more). Known limit: a process that re-executes
 * itself with an environment of its own (`env -i`) drops the mark; in the pod the workspace runner
 * also sweeps its whole container after a turn (sandbox/runner-server.ts), which needs no mark.
 */
import { randomBytes } from 'node:crypto';
import { listProcStats, processEnviron, type ProcStat } from './proc-table.ts';
import { signalQuietly, stopThenKill } from './stop-and-kill.ts';

export const RUN_MARK_VAR = 'PEERS_RUN_MARK';

export function newRunMark(): string {
  return randomBytes(16).toString('hex');
}

/** A process as the sweep sees it: its environment as it started (undefined when unreadable). */
export type MarkedCandidate = { pid: number; pgid: number; zombie: boolean; environ: string | undefined };

/**
 * The processes of `procs` whose environment holds exactly `RUN_MARK_VAR=mark` and that left the
 * run's process group `group` (its members die with the group: supervise.ts, and the parent-death
 * guard's watcher is one of them); never `self`, never a zombie.
 */
export function markedPids(procs: readonly MarkedCandidate[], mark: string, group: number, self: number): number[] {
  const entry = `${RUN_MARK_VAR}=${mark}`;
  return procs.filter((p) => p.pid !== self && p.pgid !== group && !p.zombie && p.environ !== undefined && p.environ.split('\0').includes(entry)).map((p) => p.pid);
}

/**
 * Processes whose environment read back empty: one in the middle of `execve` reads so for a moment
 * (its new memory has no environment yet), as does one started with none at all. Read again a few
 * times before the sweep ends, so an exec does not hide a marked process.
 */
export function blankPids(procs: readonly MarkedCandidate[], group: number, self: number): number[] {
  return procs.filter((p) => p.pid !== self && p.pgid !== group && !p.zombie && p.environ === '').map((p) => p.pid);
}

const PF_KTHREAD = 0x00200000;

/**
 * The processes that may carry the mark: started at or after `since` (the run's first process, in
 * clock ticks since boot; everything it started began after it), kernel threads excepted (PF_KTHREAD:
 * no environment, nobody's leftover). Older processes are never read: their environments are
 * nothing to the run, and one that reads blank (an init started with none, as a container's often
 * is) made every sweep wait out its retries for an exec that was never under way (BENCHMARKS.md,
 * "Loop processes per tick").
 */
export function candidatesAmong(procs: readonly ProcStat[], since: number, environOf: (pid: number) => string | undefined): MarkedCandidate[] {
  return procs
    .filter((p) => !(p.flags & PF_KTHREAD) && p.startTicks >= since)
    .map((p) => ({ pid: p.pid, pgid: p.pgid, zombie: p.zombie, environ: environOf(p.pid) }));
}

/** How long the sweep keeps at it before it gives up (the caller reports it). */
const DEADLINE_MS = 5000;
/** Passes that find no victim while a process's environment reads blank (an exec under way). */
const BLANK_RETRIES = 10;

/**
 * Kills the run's process group `group` and waits for it to be gone, then stops and kills every
 * other process carrying `mark`, pass after pass until none is left. `since`: when the group's
 * leader started (processStartTicks; 0 when unknown: every process is read). Returns how many of
 * those were killed; throws when some still run after DEADLINE_MS. Without /proc (macOS) it finds
 * nothing.
 */
export function stopMarked(mark: string, group: number, since = 0, self: number = process.pid): number {
  signalQuietly(-group, 'SIGKILL');
  const killed = new Set<number>();
  const deadline = Date.now() + DEADLINE_MS;
  let blankPasses = 0;
  for (;;) {
    let victims: number[];
    let blank: number[];
    let groupLeft: boolean;
    try {
      const procs = candidatesAmong(listProcStats(), since, processEnviron);
      victims = markedPids(procs, mark, group, self);
      blank = blankPids(procs, group, self);
      groupLeft = procs.some((p) => p.pgid === group && !p.zombie && p.pid !== self);
    } catch {
      return killed.size; // no /proc
    }
    if (victims.length === 0) {
      // The group is gone before the sweep returns: a sweep of the whole container after it (the
      // pod's workspace runner) must not count its dying members as leftovers.
      if (groupLeft && Date.now() <= deadline) {
        signalQuietly(-group, 'SIGKILL');
        Bun.sleepSync(1);
        continue;
      }
      if (blank.length === 0 || ++blankPasses > BLANK_RETRIES) return killed.size;
      Bun.sleepSync(2);
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${victims.length} process(es) still run after ${DEADLINE_MS} ms (pids ${victims.slice(0, 5).join(', ')})`);
    for (const pid of stopThenKill(victims)) killed.add(pid);
    Bun.sleepSync(1); // the kernel needs a moment to reap them
  }
}
