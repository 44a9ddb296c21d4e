/**
 * Who a process is, as the kernel says: its process group and its start time, read from
 * /proc/<pid>/stat (Linux). A pid alone names nobody for long: the kernel hands it out again once
 * its owner is gone, so every record that may outlive a process keeps its start time too, and
 * nothing is killed or deleted on a pid whose start time no longer matches.
 *
 * Where /proc is absent (macOS), identities are unknown (null): callers then never act on a
 * record they cannot verify.
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * `zombie`: exited, waiting to be reaped; it runs nothing and holds nothing but its pid. A process
 * whose main thread exited while other threads run on shows `Z` too, and is no zombie: it runs.
 */
export type ProcIdentity = { pid: number; pgid: number; start: string; zombie: boolean };

/**
 * What the sweeps of leftovers read besides a process's identity (leftover-sweep.ts,
 * marked-leftovers.ts): its parent, its state letter (Z zombie, X dying), its flags (PF_KTHREAD
 * marks a kernel thread) and its start time as a number (clock ticks since boot).
 */
export type ProcStat = ProcIdentity & { ppid: number; state: string; flags: number; startTicks: number };

/**
 * Parses one /proc/<pid>/stat line. The command name (field 2) is in parentheses and may itself
 * hold spaces and parentheses, so fields are counted from the last ')'.
 */
export function parseProcStatFull(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // After ')': state(3) ppid(4) pgrp(5) ... flags(9) ... num_threads(20) ... starttime(22) → indexes 0, 1, 2 ... 6 ... 17 ... 19.
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const ppid = Number(rest[1]);
  const pgid = Number(rest[2]);
  const start = rest[19];
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(ppid) || !Number.isInteger(pgid) || start === undefined || !/^\d+$/.test(start)) return null;
  const state = rest[0] ?? '';
  // A thread-group leader that called exit alone reads `Z` with its other threads still running
  // (and an empty environ): it runs, and a sweep that took it for dead left it running unseen.
  const zombie = (state === 'Z' || state === 'X') && !(Number(rest[17]) > 1);
  return { pid, pgid, start: `${bootId()}:${start}`, zombie, ppid, state, flags: Number(rest[6]) || 0, startTicks: Number(start) };
}

/** One /proc/<pid>/stat line's identity (parseProcStatFull, its first four fields). */
export function parseProcStat(text: string): ProcIdentity | null {
  const full = parseProcStatFull(text);
  return full && { pid: full.pid, pgid: full.pgid, start: full.start, zombie: full.zombie };
}

let boot: string | undefined;
/** Start times count from boot: with the boot id, a record from before a reboot never matches. */
function bootId(): string {
  if (boot === undefined) {
    try {
      boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().slice(0, 36);
    } catch {
      boot = 'boot';
    }
  }
  return boot;
}

/** When this boot began (ms since the epoch, from /proc/stat's btime), or null when /proc cannot say. */
export function bootTimeMs(): number | null {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    return m ? Number(m[1]) * 1000 : null;
  } catch {
    return null;
  }
}

/** The process now running as `pid`, or null when there is none (or /proc cannot say). */
export function processIdentity(pid: number): ProcIdentity | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** The process now running as `pid`, as listProcStats sees it, or null when there is none (or /proc cannot say). */
function procStatOf(pid: number | string): ProcStat | null {
  try {
    return parseProcStatFull(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null; // gone, or no /proc
  }
}

/** When `pid` started, in clock ticks since boot (as ProcStat's `startTicks`), or null when /proc cannot say. */
export function processStartTicks(pid: number): number | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  return procStatOf(pid)?.startTicks ?? null;
}

/** Whether /proc can identify processes here at all. */
export function canIdentifyProcesses(): boolean {
  return processIdentity(process.pid) !== null;
}

/** True when the process that had `start` as its start time still runs as `pid` (a zombie does not run). */
export function isSameProcessAlive(pid: number, start: string | null): boolean {
  if (start === null) return false;
  const now = processIdentity(pid);
  return now !== null && !now.zombie && now.start === start;
}

/** Every process /proc lists, as `read` sees it (processes that vanish while being read are skipped). */
function listWith<T>(read: (text: string) => T | null): T[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: T[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let parsed: T | null;
    try {
      parsed = read(readFileSync(`/proc/${name}/stat`, 'utf8'));
    } catch {
      continue; // gone meanwhile
    }
    if (parsed) out.push(parsed);
  }
  return out;
}

/** Every process /proc lists (processes that vanish while being read are skipped). */
export function listProcesses(): ProcIdentity[] {
  return listWith(parseProcStat);
}

/** Every process /proc lists, with its parent, state and flags (the sweeps of leftovers). */
export function listProcStats(): ProcStat[] {
  return listWith(parseProcStatFull);
}

/**
 * The children of `pid` (every thread's, as the kernel lists them in `/proc/<pid>/task/<tid>/children`),
 * each as listProcStats sees it: a few reads where the whole table is one per process. Null where
 * the kernel has no such list (CONFIG_PROC_CHILDREN off): the caller then reads the whole table.
 */
export function listChildStats(pid: number): ProcStat[] | null {
  const pids = new Set<string>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      let text: string;
      try {
        text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && tid === String(pid)) return null;
        continue; // a thread gone meanwhile
      }
      for (const c of text.split(' ')) if (/^\d+$/.test(c)) pids.add(c);
    }
  } catch {
    return null;
  }
  return [...pids].map(procStatOf).filter((p): p is ProcStat => p !== null);
}

/**
 * A process's environment as it started (`/proc/<pid>/environ`, NUL-separated), or undefined when
 * this user may not read it or it is gone. Read empty or unreadable as gone (a leader whose main
 * thread exited has no memory of its own left), it is read from one of the threads still running.
 */
export function processEnviron(pid: number): string | undefined {
  // A leader whose main thread exited reads empty, or fails with ESRCH, while its threads run on.
  let environ: string | undefined;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') return undefined;
  }
  if (environ !== undefined && environ !== '') return environ;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      if (tid === String(pid)) continue;
      try {
        const ofThread = readFileSync(`/proc/${pid}/task/${tid}/environ`, 'latin1');
        if (ofThread !== '') return ofThread;
      } catch {}
    }
  } catch {}
  return environ;
}
