import { paintFor, statusStyle, type Paint } from '../src/cli/colour.ts';
import { renderTable } from '../src/cli/text-table.ts';
import { formatDegraded } from '../src/loop/pod-health.ts';
import { forgetMissingProject } from './registry.ts';
import type { ProjectStatus } from './reconcile.ts';
import { runUsdWords } from '../src/budget/spend-view.ts';

/**
 * A row of `peers ls`. `missing`: the project's directory is not there (deleted, moved, or on a
 * disk not mounted now). Its entry is kept, never dropped by ls (a disk mounted again brings the
 * project back as it was); `peers rm` forgets it, as `peers doctor` says of the same entry.
 */
export type ListedProject = ProjectStatus & { missing: boolean };

/** The `peers ls` table: a header row, then one line per project. */
export function projectTable(rows: readonly ListedProject[], paint: Paint = paintFor()): string[] {
  // Of a missing directory nothing can be read (its run state is found through the directory): no figures.
  const known = (r: ListedProject, cell: string) => (r.missing ? '-' : cell);
  const missing = (r: ListedProject) => r.missing;
  return renderTable(
    rows,
    [
      { header: 'NAME', cell: (r) => r.name },
      { header: 'STATUS', cell: (r) => (missing(r) ? 'missing' : r.status), style: (r) => (missing(r) ? 'yellow' : statusStyle(r.status)) },
      { header: 'TICK', cell: (r) => known(r, String(r.tick ?? '-')) },
      { header: 'SPEND', cell: (r) => known(r, `${runUsdWords(r.spend.usd, r.spend.rehearsal)} ${r.spend.tokens} tok`) },
      // A degraded run says so where a stopped one gives its reason.
      // A running run is stopped by nothing (its stop reason on file is its previous start's).
      { header: 'STOPPED BY', cell: (r) => known(r, r.degraded.length ? formatDegraded(r.degraded) : r.status === 'running' ? '-' : (r.finishedBy ?? r.stopReason ?? '-')), style: (r) => (r.degraded.length ? 'yellow' : undefined) },
      // A goals file that does not validate: which gates are open is unknown, never "none" (status says why).
      { header: 'OPEN GATES', cell: (r) => known(r, r.openGates === null ? 'unknown: goals file invalid' : r.openGates.length ? r.openGates.join(',') : 'none'), style: (r) => (missing(r) ? undefined : r.openGates === null ? 'red' : r.openGates.length ? 'yellow' : 'green') },
      { header: 'PATH', cell: (r) => (missing(r) ? `missing: ${r.path}` : r.path), style: (r) => (missing(r) ? 'yellow' : undefined) },
    ],
    paint,
  );
}

/** What `peers ls` says under its table for each missing project: why it is listed, and what forgets it. */
export function missingProjectNotes(rows: readonly ListedProject[]): string[] {
  return rows
    .filter((r) => r.missing)
    .map((r) => `${r.name}: ${r.path} no longer exists (deleted, moved or not mounted); ${forgetMissingProject(r.name)}`);
}

/** The JSON row of a project (`ls --json`, the head of `status --json`); money is rounded by its schema. */
export function statusRow(r: ProjectStatus) {
  return {
    name: r.name,
    path: r.path,
    status: r.status,
    tick: r.tick,
    stop_reason: r.stopReason,
    finished_by: r.finishedBy,
    spend: { usd: r.spend.usd, tokens: r.spend.tokens, rehearsal: r.spend.rehearsal },
    open_gates: r.openGates,
    unmeasured_gates: r.unmeasured,
    goals_error: r.goalsError,
    degraded: r.degraded,
    down_because: r.downBecause ?? [],
    state_dir: r.stateDir,
    containers: r.containers.map((c) => ({ role: c.role, status: c.status })),
  };
}

/**
 * What `peers status` says in brackets after a run's status: why it stopped, as the verdict
 * `peers up` acts on has it (src/loop/run-verdict.ts), and the loop's own last word when that
 * differs (a `peers down` after a gate's last red evaluation records `interrupted`, but the run is `stuck`).
 */
export function stopWords(r: Pick<ProjectStatus, 'status' | 'stopReason' | 'finishedBy'>): string {
  // A running loop has not stopped: a stop reason on file is how the run's previous start ended
  // (a resumed run), never the state it is in now.
  if (r.status === 'running') return r.stopReason ? ` (last stopped: ${r.stopReason}, before this start)` : '';
  if (!r.finishedBy) return r.stopReason ? ` (${r.stopReason})` : '';
  if (!r.stopReason || r.stopReason === r.finishedBy) return ` (${r.finishedBy})`;
  return ` (${r.finishedBy}; its loop last exited as ${r.stopReason})`;
}

/** The JSON row of `ls --json`: a project's, and whether its directory is missing. */
export function listedRow(r: ListedProject) {
  return { ...statusRow(r), missing: r.missing };
}
