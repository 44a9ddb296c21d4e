/**
 * `children.json`: the processes a loop supervises right now (peer CLIs, gate and setup shells),
 * each with its process group and start time, rewritten atomically whenever one starts or ends.
 * A loop that dies without stopping them (SIGKILL, a crash) leaves the file behind; the next loop,
 * holding the run lock, stops every group in it that still runs (docs/ARCHITECTURE.md, "Processes a
 * dead loop leaves"). This is the second line behind the parent-death guard (parent-death-guard.ts),
 * for a watcher that was itself killed.
 *
 * A pid is acted on only when the kernel still shows it with the recorded start time; a recycled
 * pid, or a record without a start time (no /proc), is never killed.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../cli/errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { readTextIfExists } from '../fs/safe-read.ts';
import { installChildTracker } from '../proc/child-tracker.ts';
import { listProcesses, processIdentity, type ProcIdentity } from '../proc/proc-table.ts';

const pid = z.number().int().positive();
const ChildSchema = z.strictObject({ pid, pgid: pid, start: z.string().nullable(), program: z.string().max(4096), since: z.string() });
export const LoopChildrenSchema = z.strictObject({
  owner: z.strictObject({ pid, start: z.string().nullable() }),
  children: z.array(ChildSchema).max(10_000),
});
export type LoopChild = z.infer<typeof ChildSchema>;
export type LoopChildren = z.infer<typeof LoopChildrenSchema>;

const MAX_BYTES = 4 * 1024 * 1024;

/** The record left in `path`, or null when there is none. A damaged record holds the run. */
export function readLoopChildren(path: string): LoopChildren | null {
  const text = readTextIfExists(path, MAX_BYTES);
  if (text === undefined) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw damaged(path, (error as Error).message);
  }
  const parsed = LoopChildrenSchema.safeParse(raw);
  if (!parsed.success) throw damaged(path, parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; '));
  return parsed.data;
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
  const groups = orphanGroups(left, table, { pid: process.pid, pgid: me?.pgid ?? process.pid });
  for (const g of groups) {
    try {
      process.kill(-g.pgid, 'SIGKILL');
    } catch {
      // ESRCH: gone since the snapshot.
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
 * Records this process's supervised children in `path` while installed. A record that cannot be
 * written is reported once through `warn`: the parent-death guard still covers the children.
 */
export function trackLoopChildren(path: string, warn: (message: string) => void): () => void {
  const self = processIdentity(process.pid);
  const record: LoopChildren = { owner: { pid: process.pid, start: self?.start ?? null }, children: [] };
  let warned = false;
  const save = () => {
    try {
      writeFileAtomic(path, `${JSON.stringify(record)}\n`);
    } catch (error) {
      if (!warned) warn(`cannot record the loop's child processes in ${path}: ${(error as Error).message}`);
      warned = true;
    }
  };
  save();
  const uninstall = installChildTracker({
    started(childPid, program) {
      // The child was started with setsid: it leads its own group, whose id is its pid.
      record.children.push({ pid: childPid, pgid: childPid, start: processIdentity(childPid)?.start ?? null, program: program.slice(0, 4096), since: new Date().toISOString() });
      save();
    },
    ended(childPid) {
      record.children = record.children.filter((c) => c.pid !== childPid);
      save();
    },
  });
  return () => {
    uninstall();
    if (record.children.length === 0) {
      try {
        if (existsSync(path)) unlinkSync(path);
      } catch {}
    }
  };
}
