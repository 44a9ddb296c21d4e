/**
 * In the pod's setup and gates containers, nothing runs but the runner and what its live requests
 * started (SECURITY.md, "One gate run leaves nothing for the next"). A gate or a `setup` install
 * script can leave a daemon behind (`setsid`, a double fork: it leaves its process group, so the
 * runner's group kill misses it); that daemon shares the container with every later gate run, can
 * list the shared checkouts directory, and could rewrite the next commit's checkout before its
 * gates read it. So before and after every request the runner kills every process of its
 * container that no live request accounts for.
 *
 * Kept: PID 1 (the container's init), the runner itself, its descendants (the live requests), the
 * members of their process groups (a parent-death guard's watcher is a child of init in its
 * program's group, parent-death-guard.ts; a group outlives its leader's request only until
 * supervise kills it), and processes whose parent is outside the container's pid namespace (ppid
 * 0: an operator's `podman exec`). Everything else is an orphan of a finished request. Each pass
 * stops every victim, then kills them all (a stopped process cannot fork more), until none is left.
 *
 * Only for a runner that is its container's main process: on a host this would kill every process
 * of the user that is not the runner's (the pod spec alone asks for it, `peers runner
 * --reap-leftovers`).
 */
import { listProcStats } from './proc-table.ts';
import { stopThenKill } from './stop-and-kill.ts';

/** `zombie`: exited and not reaped (proc-table.ts: one whose other threads run on is no zombie). */
type Proc = { pid: number; ppid: number; pgid: number; zombie: boolean };

function processes(): Proc[] {
  return listProcStats().map((p) => ({ pid: p.pid, ppid: p.ppid, pgid: p.pgid, zombie: p.zombie }));
}

/** The processes of this pid namespace that nothing of `self`'s live work accounts for. */
export function leftovers(self: number = process.pid, all: Proc[] = processes()): Proc[] {
  const children = new Map<number, number[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const live = new Set<number>([self]);
  const queue = [self];
  while (queue.length) for (const c of children.get(queue.pop()!) ?? []) if (!live.has(c)) (live.add(c), queue.push(c));
  const liveGroups = new Set(all.filter((p) => live.has(p.pid) && p.pid !== self).map((p) => p.pgid));
  return all.filter((p) => p.pid !== 1 && p.ppid !== 0 && !live.has(p.pid) && !liveGroups.has(p.pgid) && !p.zombie);
}

/**
 * Set by a sweeping runner (only the main process of its container) in its requests' environment:
 * its pid, the root of what the sweep keeps. A gates probe sweeps with it between two gates.
 */
export const REAP_ROOT_ENV = 'PEERS_RUNNER_REAP_ROOT';

/** How long the sweep keeps at it before it gives up (fail closed). */
const DEADLINE_MS = 5000;

/**
 * Stops, then kills, every leftover, pass after pass until none is left (see the file comment).
 * Returns how many were killed; throws when leftovers still run after DEADLINE_MS (the caller then
 * refuses to run anything).
 */
export function reapLeftovers(self: number = process.pid): number {
  const killed = new Set<number>();
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const victims = leftovers(self);
    if (victims.length === 0) return killed.size;
    if (Date.now() > deadline) throw new Error(`${victims.length} leftover processes still run after ${DEADLINE_MS} ms (pids ${victims.slice(0, 5).map((p) => p.pid).join(', ')})`);
    for (const pid of stopThenKill(victims.map((p) => p.pid))) killed.add(pid);
    if (victims.every((p) => killed.has(p.pid))) Bun.sleepSync(1); // the kernel needs a moment to reap them
  }
}
