/**
 * `children.json`: the processes a loop supervises right now (peer CLIs, gate and setup shells),
 * each with its process group and start time, rewritten atomically whenever one starts, and soon
 * after one ends (END_WRITE_DELAY_MS: an end and the next start share one write). Rewritten in
 * place (in-place-record.ts): no new file on the state directory's disk per write.
 * A loop that dies without stopping them (SIGKILL, a crash) leaves the file behind; the next loop,
 * holding the run lock, stops every group in it that still runs (docs/ARCHITECTURE.md, "Processes a
 * dead loop leaves"). This is the second line behind the parent-death guard (parent-death-guard.ts),
 * for a watcher that was itself killed.
 *
 * A pid is acted on only when the kernel still shows it with the recorded start time; a recycled
 * pid, or a record without a start time (no /proc), is never killed.
 */
import { existsSync, statSync, unlinkSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../cli/errors.ts';
import { InPlaceRecord } from '../fs/in-place-record.ts';
import { readTextIfExists } from '../fs/safe-read.ts';
import { installChildTracker } from '../proc/child-tracker.ts';
import { bootTimeMs, listProcesses, processEnviron, processIdentity, type ProcIdentity } from '../proc/proc-table.ts';

const pid = z.number().int().positive();
const ChildSchema = z.strictObject({ pid, pgid: pid, start: z.string().nullable(), program: z.string().max(4096), since: z.string() });
export const LoopChildrenSchema = z.strictObject({
  owner: z.strictObject({ pid, start: z.string().nullable() }),
  children: z.array(ChildSchema).max(10_000),
});
export type LoopChild = z.infer<typeof ChildSchema>;
export type LoopChildren = z.infer<typeof LoopChildrenSchema>;

const MAX_BYTES = 4 * 1024 * 1024;

/**
 * The record left in `path`, or null when there is none. A damaged record holds the run, unless it
 * was written before this boot: the record is written without fsync (a power cut may tear it), and
 * no process it lists can have survived a reboot.
 */
export function readLoopChildren(path: string): LoopChildren | null {
  const text = readTextIfExists(path, MAX_BYTES);
  if (text === undefined) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    if (writtenBeforeBoot(path)) return null;
    throw damaged(path, (error as Error).message);
  }
  const parsed = LoopChildrenSchema.safeParse(raw);
  if (!parsed.success) {
    if (writtenBeforeBoot(path)) return null;
    throw damaged(path, parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

function writtenBeforeBoot(path: string): boolean {
  const boot = bootTimeMs();
  try {
    return boot !== null && statSync(path).mtimeMs < boot;
  } catch {
    return false;
  }
}

function damaged(path: string, why: string): InputError {
  return new InputError(`${path} cannot be read (${why}): it lists the processes an earlier loop may have left running`, {
    hint: 'check that no peer or gate process of an earlier loop still runs (ps -ef), then remove the file',
  });
}

export type OrphanGroup = { pgid: number; program: string; pids: number[] };

const ticksOf = (start: string) => start.split(':');

/**
 * The process groups of `left` that still run, decided on a snapshot of the process table.
 * - The owner still running (same pid and start time) means the record is not a dead loop's: none.
 * - A leader whose pid now has another start time was recycled: its group is someone else's.
 * - A leader that is gone while members of its group run: the group id is still theirs (the kernel
 *   does not hand out a pid that names a live group), so they are the child's, provided they started
 *   after it on the same boot.
 * Zombies run nothing and are left to their reaper.
 */
export function orphanGroups(left: LoopChildren, table: readonly ProcIdentity[], self: { pid: number; pgid: number }): OrphanGroup[] {
  const owner = table.find((p) => p.pid === left.owner.pid);
  if (owner && !owner.zombie && left.owner.start !== null && owner.start === left.owner.start) return [];
  const out: OrphanGroup[] = [];
  for (const child of left.children) {
    // Never this process's own group, whatever the record says.
    if (child.start === null || child.pgid === self.pgid || child.pgid === self.pid) continue;
    const leader = table.find((p) => p.pid === child.pid);
    if (leader && leader.start !== child.start) continue;
    const [boot, ticks] = ticksOf(child.start);
    const members = table.filter((p) => {
      if (p.pgid !== child.pgid || p.zombie || p.pid === self.pid) return false;
      const [b, t] = ticksOf(p.start);
      return b === boot && Number(t) >= Number(ticks);
    });
    if (members.length) out.push({ pgid: child.pgid, program: child.program, pids: members.map((p) => p.pid) });
  }
  return out;
}

/** The environment variable every child of a loop carries: `<pid>:<start>` of the loop (its owner). */
export const LOOP_OWNER_VAR = 'PEERS_LOOP_OWNER';

/**
 * Processes carrying the dead owner's mark (LOOP_OWNER_VAR) that the record does not name: a child
 * started in the instant before the loop died, before its record was written, and whatever such a
 * child started. Same rules as orphanGroups: a live owner means none; only processes started on
 * the same boot at or after the owner; never this process or its group; zombies left alone.
 * `markOf` reads a process's mark (undefined where it has none or cannot be read).
 */
export function markedStrays(left: LoopChildren, table: readonly ProcIdentity[], markOf: (pid: number) => string | undefined, self: { pid: number; pgid: number }): number[] {
  if (left.owner.start === null) return [];
  const owner = table.find((p) => p.pid === left.owner.pid);
  if (owner && !owner.zombie && owner.start === left.owner.start) return [];
  const mark = `${left.owner.pid}:${left.owner.start}`;
  const [boot, ticks] = ticksOf(left.owner.start);
  return table
    .filter((p) => {
      if (p.zombie || p.pid === self.pid || p.pgid === self.pgid) return false;
      const [b, t] = ticksOf(p.start);
      return b === boot && Number(t) >= Number(ticks) && markOf(p.pid) === mark;
    })
    .map((p) => p.pid);
}

/** A process's LOOP_OWNER_VAR as it was when it started (its environ), if this user may read it. */
function ownerMarkOf(pid: number): string | undefined {
  const entry = processEnviron(pid)?.split('\0').find((e) => e.startsWith(`${LOOP_OWNER_VAR}=`));
  return entry?.slice(LOOP_OWNER_VAR.length + 1);
}

export type ReapResult = { owner: number; groups: OrphanGroup[]; survivors: number[] };

/**
 * Stops what a dead loop left (SIGKILL to each verified group), waits until the kernel confirms,
 * and removes the record. Call it holding the run lock, before anything else of the run starts.
 */
export async function reapLeftChildren(path: string, waitMs = 5000): Promise<ReapResult | null> {
  const left = readLoopChildren(path);
  if (!left) return null;
  const table = listProcesses();
  const me = table.find((p) => p.pid === process.pid);
  const self = { pid: process.pid, pgid: me?.pgid ?? process.pid };
  const groups = orphanGroups(left, table, self);
  const recorded = new Set(groups.flatMap((g) => g.pids));
  const strays = markedStrays(left, table, ownerMarkOf, self).filter((pid) => !recorded.has(pid));
  if (strays.length) groups.push({ pgid: 0, program: 'a child started as it died', pids: strays });
  for (const g of groups) {
    // A recorded group as a whole; an unrecorded stray by itself (and its group when it leads one).
    const targets = g.pgid !== 0 ? [-g.pgid] : g.pids.flatMap((pid) => (table.find((p) => p.pid === pid)?.pgid === pid ? [-pid, pid] : [pid]));
    for (const target of targets) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // ESRCH: gone since the snapshot.
      }
    }
  }
  const pids = groups.flatMap((g) => g.pids);
  const end = Date.now() + waitMs;
  let survivors = stillRunning(pids);
  while (survivors.length && Date.now() < end) {
    await Bun.sleep(20);
    survivors = stillRunning(pids);
  }
  if (!survivors.length && existsSync(path)) unlinkSync(path);
  return { owner: left.owner.pid, groups, survivors };
}

function stillRunning(pids: number[]): number[] {
  return pids.filter((p) => {
    const id = processIdentity(p);
    return id !== null && !id.zombie;
  });
}

/**
 * How long the record may go on naming a child that ended: the write that drops it waits this long
 * for the next child's start, so one write serves both (a gate ending and the peer starting, the
 * peer ending and the workspace's `git status` starting; BENCHMARKS.md, "Loop processes per tick").
 * A child that ended is only ever named longer, never a running one shorter; and naming it is safe:
 * its pid and start time no longer match anything (a recycled pid is never killed), and what is
 * left in its group is exactly what the next loop should stop.
 */
export const END_WRITE_DELAY_MS = 100;

/**
 * Records this process's supervised children in `path` while installed: at once when one starts,
 * within END_WRITE_DELAY_MS when one ends. A record that cannot be written is reported once through
 * `warn`: the parent-death guard still covers the children.
 */
export function trackLoopChildren(path: string, warn: (message: string) => void): () => void {
  const self = processIdentity(process.pid);
  const record: LoopChildren = { owner: { pid: process.pid, start: self?.start ?? null }, children: [] };
  const mark = record.owner.start === null ? undefined : { [LOOP_OWNER_VAR]: `${record.owner.pid}:${record.owner.start}` };
  let warned = false;
  // Atomic, not durable: rewritten at every child start and end (BENCHMARKS.md, "Loop processes
  // per tick"), and a power cut that could lose the write also ends every process it lists.
  const file = new InPlaceRecord(path);
  const save = () => {
    try {
      file.write(`${JSON.stringify(record)}\n`);
    } catch (error) {
      if (!warned) warn(`cannot record the loop's child processes in ${path}: ${(error as Error).message}`);
      warned = true;
    }
  };
  save();
  let pending: ReturnType<typeof setTimeout> | undefined;
  const settle = () => {
    if (pending) clearTimeout(pending);
    pending = undefined;
  };
  const uninstall = installChildTracker({
    env: mark,
    started(childPid, program) {
      // The child was started with setsid: it leads its own group, whose id is its pid.
      record.children.push({ pid: childPid, pgid: childPid, start: processIdentity(childPid)?.start ?? null, program: program.slice(0, 4096), since: new Date().toISOString() });
      // Also drops every child that ended since the last write.
      settle();
      save();
    },
    ended(childPid) {
      record.children = record.children.filter((c) => c.pid !== childPid);
      if (pending) return;
      pending = setTimeout(() => {
        pending = undefined;
        save();
      }, END_WRITE_DELAY_MS);
      // A loop about to exit does not wait for it: the uninstall below writes or removes the record.
      pending.unref?.();
    },
  });
  return () => {
    uninstall();
    const unsaved = pending !== undefined;
    settle();
    if (record.children.length === 0) {
      file.close();
      try {
        if (existsSync(path)) unlinkSync(path);
      } catch {}
    } else if (unsaved) save();
    file.close();
  };
}
