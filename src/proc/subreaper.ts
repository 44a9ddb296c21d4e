/**
 * The host loop as its children's subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`): a process a peer turn,
 * a gate or setup leaves behind, once its parent is gone, becomes the loop's child instead of
 * init's. The turn's mark (marked-leftovers.ts) finds what a turn leaves only while the leftover
 * keeps the mark in its environment; one that re-executes itself with an environment of its own
 * (`env -i setsid …`) dropped it and, on the host, committed in the next peer's turn (SECURITY.md,
 * "A turn's commits are its own peer's"). As the subreaper the loop finds such a process by its
 * parent, whatever its environment: every child of the loop that the loop did not start itself and
 * that belongs to no run still under way is a leftover, and is stopped after each run with
 * `stopLeftovers`. The leftovers it killed, and any that ended on their own, are reaped here
 * (waitpid on their pids): the runtime waits only for the children it started.
 *
 * In the pod the workspace runner sweeps its whole container instead (sandbox/runner-server.ts).
 * Known limit: a process started by another service of the user's (systemd-run, at, a terminal
 * multiplexer's server) was never the loop's descendant.
 */
import { dlopen, FFIType } from 'bun:ffi';
import { listChildStats, listProcStats, processIdentity } from './proc-table.ts';
import { stopThenKill } from './stop-and-kill.ts';

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;

type Libc = { prctl(option: number, arg: number): number; reap(pid: number): number };
let libc: Libc | undefined;

/** Makes this process its descendants' subreaper; false where it cannot be (no glibc, no JIT for FFI). */
export function becomeSubreaper(): boolean {
  if (libc) return true;
  try {
    const lib = dlopen('libc.so.6', {
      prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
      waitpid: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
    });
    const candidate: Libc = { prctl: (option, arg) => lib.symbols.prctl(option, arg, 0, 0, 0) as number, reap: (pid) => lib.symbols.waitpid(pid, null, WNOHANG) as number };
    if (candidate.prctl(PR_SET_CHILD_SUBREAPER, 1) !== 0) {
      lib.close();
      return false;
    }
    libc = candidate;
    return true;
  } catch {
    return false;
  }
}

export function isSubreaper(): boolean {
  return libc !== undefined;
}

/**
 * What the loop itself still answers for: the children the runtime started and has not reaped
 * (never touched here), and the runs still under way, each by its process group and its start
 * (clock ticks since boot, 0 when unknown): an expensive gate running while the next peer works.
 */
export type LiveRuns = { unreaped: ReadonlySet<number>; runs: Iterable<{ group: number; start: number }> };

/** A process as this sweep sees it. */
export type OrphanCandidate = { pid: number; ppid: number; pgid: number; zombie: boolean; startTicks: number };

/**
 * The leftovers among `procs`: children of `self` that the runtime did not start, outside this
 * process's own group `selfGroup` (children of its own synchronous calls, a gate tree's `cp`),
 * and not of a run still under way. A process left without its parent carries nothing that says
 * whose it was (its environment is its own to set: a run's mark can be copied), so one that started
 * after a run still under way began may be that run's (a server an expensive gate's tests started
 * through podman, whose conmon sets an environment of its own): it is left to that run's end, when
 * the sweep comes again. Never a zombie (reaped instead).
 */
export function orphansToStop(procs: readonly OrphanCandidate[], self: number, selfGroup: number, live: LiveRuns): number[] {
  let oldestLive = Number.POSITIVE_INFINITY;
  const liveGroups = new Set<number>();
  for (const r of live.runs) {
    liveGroups.add(r.group);
    oldestLive = Math.min(oldestLive, r.start);
  }
  return procs
    .filter((p) => p.ppid === self && p.pid !== self && !p.zombie && !live.unreaped.has(p.pid) && p.pgid !== selfGroup && !liveGroups.has(p.pgid) && p.startTicks < oldestLive)
    .map((p) => p.pid);
}

/** Zombie children of `self` the runtime will never wait for: not among its own, not of its own group. */
export function zombiesToReap(procs: readonly OrphanCandidate[], self: number, selfGroup: number, live: LiveRuns): number[] {
  return procs.filter((p) => p.ppid === self && p.zombie && !live.unreaped.has(p.pid) && p.pgid !== selfGroup).map((p) => p.pid);
}

/** This process's children as the sweep sees them, and its own group; null without /proc. */
function children(self: number): { procs: OrphanCandidate[]; selfGroup: number } | null {
  const selfGroup = processIdentity(self)?.pgid;
  if (selfGroup === undefined) return null;
  // The kernel's list of this process's children, where it keeps one: not the whole table.
  const stats = listChildStats(self) ?? listProcStats();
  return { procs: stats.filter((p) => p.ppid === self).map((p) => ({ pid: p.pid, ppid: p.ppid, pgid: p.pgid, zombie: p.zombie, startTicks: p.startTicks })), selfGroup };
}

/** Reaps the dead children the runtime will never wait for (zombiesToReap). */
export function reapZombies(live: LiveRuns, self: number = process.pid): void {
  if (!libc) return;
  const seen = children(self);
  if (seen) for (const pid of zombiesToReap(seen.procs, self, seen.selfGroup, live)) libc.reap(pid);
}

/** How long the sweep keeps at it before it gives up (the caller reports it). */
const DEADLINE_MS = 5000;

/** Whether this user may signal `pid` (EPERM: another user's, after a setuid program). */
function ours(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

/**
 * Stops and kills every leftover child of this process (orphansToStop), pass after pass (a killed
 * leftover's own children come to us next), reaping the dead. Returns how many were killed; throws
 * when some still run after DEADLINE_MS, or at once for one this user may not signal (it would
 * still run then). Nothing when this process is not a subreaper.
 */
export function stopOrphans(live: LiveRuns, self: number = process.pid): number {
  if (!libc) return 0;
  const reaper = libc;
  const killed = new Set<number>();
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const seen = children(self);
    if (!seen) return killed.size; // no /proc
    for (const pid of zombiesToReap(seen.procs, self, seen.selfGroup, live)) reaper.reap(pid);
    const victims = orphansToStop(seen.procs, self, seen.selfGroup, live);
    if (victims.length === 0) return killed.size;
    const foreign = victims.filter((pid) => !ours(pid));
    if (foreign.length) throw new Error(`${foreign.length} process(es) left by the run belong to another user and cannot be stopped (pids ${foreign.slice(0, 5).join(', ')})`);
    if (Date.now() > deadline) throw new Error(`${victims.length} process(es) left by the run still run after ${DEADLINE_MS} ms (pids ${victims.slice(0, 5).join(', ')})`);
    for (const pid of stopThenKill(victims)) killed.add(pid);
    Bun.sleepSync(1); // the kernel needs a moment to end them
  }
}
