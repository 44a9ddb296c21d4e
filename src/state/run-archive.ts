/**
 * Starting over (`peers up --fresh`, `peers reset`) archives the old run instead of deleting it:
 * the whole state directory is renamed, in one atomic step, to `<state dir>.archive/<id>/` beside
 * it (id: when it was archived and how the run had stopped). Either everything moved or nothing
 * did; the next run starts in an empty state directory. An archived run stays readable:
 * `peers report --state-dir <archive>`, its usage ledger, logs, prompts and run clone are there.
 */
import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { assertSafeDir, fsyncDir } from '../fs/atomic-write.ts';
import { PeersError } from '../cli/errors.ts';
import { archiveRootFor, stateDirEntries, statePaths } from './paths.ts';

import { acquireRunLock } from './run-lock.ts';
import { loadState } from './state-store.ts';
import { readStopReason } from './stop-reason.ts';
import { refuseForeignStateDir } from './foreign-state-dir.ts';

export type ArchivedRun = {
  id: string;
  path: string;
  /** How the run had stopped (last-stop-reason.txt), null when it never wrote one. */
  stopReason: string | null;
  tick: number | null;
  spentUsd: number | null;
};

/** `2026-12-05T01-38-50Z-budget-max_usd`: sorts by time, says how the run ended. */
export function archiveId(now: Date, stopReason: string | null): string {
  const when = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const how = (stopReason ?? 'no-stop-reason').replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 60);
  return `${when}-${how}`;
}

/** True when the state dir holds anything of a run (a project only `init`ed or `verify`d has none). */
export function hasRunState(stateDir: string): boolean {
  if (!existsSync(stateDir)) return false;
  const p = statePaths(stateDir);
  return [p.state, p.runs, p.run, p.stopReason, p.snapshotDir].some((f) => existsSync(f));
}

/**
 * Moves the run's whole state dir into its archive and returns where, or null when there was
 * no run to archive. Refuses (nothing moved) while a loop holds the run lock.
 */
export function archiveRun(stateDir: string, now = new Date()): ArchivedRun | null {
  refuseForeignStateDir(stateDir, stateDirEntries());
  if (!hasRunState(stateDir)) return null;
  assertSafeDir(stateDir);
  const paths = statePaths(stateDir);
  // Held by a running loop (host or pod): it would go on writing into the archive.
  const lock = acquireRunLock(paths.lock);
  try {
    const stop = readStopReason(paths.stopReason)?.reason ?? null;
    const root = archiveRootFor(stateDir);
    mkdirSync(root, { recursive: true, mode: 0o700 });
    assertSafeDir(root);
    const base = archiveId(now, stop);
    let id = base;
    for (let n = 2; existsSync(join(root, id)); n++) id = `${base}-${n}`;
    const target = join(root, id);
    try {
      renameSync(stateDir, target);
    } catch (e) {
      throw new PeersError(`could not archive the run's state (${(e as Error).message}); nothing was moved`, { hint: `${stateDir} is unchanged; move it aside yourself to start over` });
    }
    fsyncDir(root);
    fsyncDir(dirname(stateDir));
    return describeArchive(root, id);
  } finally {
    lock.release();
  }
}

function describeArchive(root: string, id: string): ArchivedRun {
  const path = join(root, id);
  const p = statePaths(path);
  let tick: number | null = null;
  let spentUsd: number | null = null;
  try {
    const s = loadState(p.state);
    tick = s?.tick ?? null;
    spentUsd = s?.budget.spent_usd ?? null;
  } catch {
    // An archived state.json that does not read is still archived; the listing says less.
  }
  return { id, path, stopReason: readStopReason(p.stopReason)?.reason ?? null, tick, spentUsd };
}

/** The archived runs of a state dir, oldest first. */
export function listArchives(stateDir: string): ArchivedRun[] {
  const root = archiveRootFor(stateDir);
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((id) => describeArchive(root, id));
}

/**
 * What `peers report` and `peers logs` say of a state dir whose run was archived (`peers reset`,
 * `peers up --fresh`) and that has no run of its own since: where the run went and how to read
 * it, as `peers status` lists it. Undefined when nothing was archived.
 */
export function archivedRunWords(stateDir: string): { message: string; latest: ArchivedRun; loopLog: string | undefined } | undefined {
  const latest = listArchives(stateDir).at(-1);
  if (!latest) return undefined;
  const log = statePaths(latest.path).loopLog;
  return {
    message: `its last run was archived by \`peers reset\` (or \`peers up --fresh\`) to ${latest.path}`,
    latest,
    loopLog: existsSync(log) ? log : undefined,
  };
}
