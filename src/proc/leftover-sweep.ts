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
 * 0: an operator's `podman exec`). Everything else is an orphan of a finished request. The victims
 * are stopped first, pass after pass until none is left running (a stopped process cannot fork
 * more), then killed: a fork loop cannot outrun the sweep.
 *
 * Only for a runner that is its container's main process: on a host this would kill every process
 * of the user that is not the runner's (the pod spec alone asks for it, `peers runner
 * --reap-leftovers`).
 */
import { readdirSync, readFileSync } from 'node:fs';

type Proc = { pid: number; ppid: number; pgid: number; state: string };

function readProc(pid: number): Proc | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 1).trim().split(/\s+/);
    const ppid = Number(rest[1]);
    const pgid = Number(rest[2]);
    if (!Number.isInteger(ppid) || !Number.isInteger(pgid)) return null;
    return { pid, ppid, pgid, state: rest[0] ?? '' };
  } catch {
    return null; // gone meanwhile
  }
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) out.push(p);
  }
  return out;
}

/** The processes of this pid namespace that nothing of `self`'s live work accounts for. */
export function leftovers(self: number = process.pid, all: Proc[] = processes()): Proc[] {
  const children = new Map<number, number[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const live = new Set<number>([self]);
  const queue = [self];
  while (queue.length) for (const c of children.get(queue.pop()!) ?? []) if (!live.has(c)) (live.add(c), queue.push(c));
  const liveGroups = new Set(all.filter((p) => live.has(p.pid) && p.pid !== self).map((p) => p.pgid));
  return all.filter((p) => p.pid !== 1 && p.ppid !== 0 && !live.has(p.pid) && !liveGroups.has(p.pgid) && p.state !== 'Z' && p.state !== 'X');
}

/** How long the victims get to reach the stopped state before the sweep gives up (fail closed). */
const STOP_DEADLINE_MS = 5000;

/**
 * Stops, then kills, every leftover (see the file comment). Returns how many were killed; throws
 * when leftovers still run after STOP_DEADLINE_MS (the caller then refuses to run anything).
 */
export function reapLeftovers(self: number = process.pid): number {
  const signalled = new Set<number>();
  const deadline = Date.now() + STOP_DEADLINE_MS;
  for (;;) {
    // SIGSTOP takes effect asynchronously: a victim counts as stopped once the kernel says so.
    const running = leftovers(self).filter((p) => p.state !== 'T' && p.state !== 't');
    if (running.length === 0) break;
    if (Date.now() > deadline) throw new Error(`${running.length} leftover processes still run after ${STOP_DEADLINE_MS} ms (pids ${running.slice(0, 5).map((p) => p.pid).join(', ')})`);
    let fresh = false;
    for (const p of running) {
      try {
        process.kill(p.pid, 'SIGSTOP');
      } catch {}
      if (!signalled.has(p.pid)) (signalled.add(p.pid), (fresh = true));
    }
    if (!fresh) Bun.sleepSync(1);
  }
  let killed = 0;
  // Every leftover is stopped now (none can fork): kill them all, and any stopped one found since.
  for (const p of leftovers(self)) {
    try {
      process.kill(p.pid, 'SIGKILL');
      killed++;
    } catch {}
  }
  return killed;
}
