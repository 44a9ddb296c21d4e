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
import { listProcStats, processEnviron } from './proc-table.ts';
import { RUN_MARK_VAR } from './marked-leftovers.ts';
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
 * (never touched here), and the process groups and marks of the supervised runs still under way
 * (an expensive gate running while the next peer works: its daemons are its own until it ends).
 */
export type LiveRuns = { unreaped: ReadonlySet<number>; groups: ReadonlySet<number>; marks: ReadonlySet<string> };

/** A process as this sweep sees it. */
export type OrphanCandidate = { pid: number; ppid: number; pgid: number; zombie: boolean; environ: string | undefined };

function carriesMarkOf(environ: string | undefined, marks: ReadonlySet<string>): boolean {
  if (environ === undefined || marks.size === 0) return false;
  return environ.split('\0').some((e) => e.startsWith(`${RUN_MARK_VAR}=`) && marks.has(e.slice(RUN_MARK_VAR.length + 1)));
}

/**
 * The leftovers among `procs`: children of `self` that the runtime did not start, outside this
 * process's own group `selfGroup` (children of its own synchronous calls, a `cp` of a gate tree),
 * and in no run still under way (its group, or its mark). Never a zombie (reaped instead).
 */
export function orphansToStop(procs: readonly OrphanCandidate[], self: number, selfGroup: number, live: LiveRuns): number[] {
  return procs
    .filter((p) => p.ppid === self && p.pid !== self && !p.zombie && !live.unreaped.has(p.pid) && p.pgid !== selfGroup && !live.groups.has(p.pgid) && !carriesMarkOf(p.environ, live.marks))
    .map((p) => p.pid);
}

/** Zombie children of `self` the runtime will never wait for: not among its own, not of its own group. */
export function zombiesToReap(procs: readonly OrphanCandidate[], self: number, selfGroup: number, live: LiveRuns): number[] {
  return procs.filter((p) => p.ppid === self && p.zombie && !live.unreaped.has(p.pid) && p.pgid !== selfGroup).map((p) => p.pid);
}

/** How long the sweep keeps at it before it gives up (the caller reports it). */
const DEADLINE_MS = 5000;

/**
 * Stops and kills every leftover child of this process (orphansToStop), pass after pass (a killed
 * leftover's own children come to us next), reaping the dead. Returns how many were killed; throws
 * when some still run after DEADLINE_MS. Nothing when this process is not a subreaper.
 */
export function stopOrphans(live: LiveRuns, self: number = process.pid): number {
  if (!libc) return 0;
  const reaper = libc;
  const killed = new Set<number>();
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const stats = listProcStats();
    const selfGroup = stats.find((p) => p.pid === self)?.pgid;
    if (selfGroup === undefined) return killed.size; // no /proc
    const procs = stats
      .filter((p) => p.ppid === self)
      .map((p) => ({ pid: p.pid, ppid: p.ppid, pgid: p.pgid, zombie: p.state === 'Z' || p.state === 'X', environ: p.state === 'Z' ? undefined : processEnviron(p.pid) }));
    for (const pid of zombiesToReap(procs, self, selfGroup, live)) reaper.reap(pid);
    const victims = orphansToStop(procs, self, selfGroup, live);
    if (victims.length === 0) return killed.size;
    if (Date.now() > deadline) throw new Error(`${victims.length} process(es) left by the run still run after ${DEADLINE_MS} ms (pids ${victims.slice(0, 5).join(', ')})`);
    for (const pid of stopThenKill(victims)) killed.add(pid);
    Bun.sleepSync(1); // the kernel needs a moment to end them
  }
}
