import { paintFor, statusStyle, type Paint } from '../src/cli/colour.ts';
import { renderTable } from '../src/cli/text-table.ts';
import { formatDegraded } from '../src/loop/pod-health.ts';
import type { ProjectStatus } from './reconcile.ts';

/** The `peers ls` table: a header row, then one line per project. */
export function projectTable(rows: readonly ProjectStatus[], paint: Paint = paintFor()): string[] {
  return renderTable(
    rows,
    [
      { header: 'NAME', cell: (r) => r.name },
      { header: 'STATUS', cell: (r) => r.status, style: (r) => statusStyle(r.status) },
      { header: 'TICK', cell: (r) => String(r.tick ?? '-') },
      { header: 'SPEND', cell: (r) => `$${r.spend.usd.toFixed(2)} ${r.spend.tokens} tok` },
      // A degraded run says so where a stopped one gives its reason.
      { header: 'STOPPED BY', cell: (r) => (r.degraded.length ? formatDegraded(r.degraded) : (r.finishedBy ?? r.stopReason ?? '-')), style: (r) => (r.degraded.length ? 'yellow' : undefined) },
      { header: 'OPEN GATES', cell: (r) => (r.openGates.length ? r.openGates.join(',') : 'none'), style: (r) => (r.openGates.length ? 'yellow' : 'green') },
      { header: 'PATH', cell: (r) => r.path },
    ],
    paint,
  );
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
    spend: { usd: r.spend.usd, tokens: r.spend.tokens },
    open_gates: r.openGates,
    degraded: r.degraded,
    state_dir: r.stateDir,
    containers: r.containers.map((c) => ({ role: c.role, status: c.status })),
  };
}

/**
 * What `peers status` says in brackets after a run's status: why it stopped, as the verdict
 * `peers up` acts on has it (src/loop/run-verdict.ts), and the loop's own last word when that
 * differs (a `peers down` after a gate's last red evaluation records `interrupted`, but the run is `stuck`).
 */
export function stopWords(r: Pick<ProjectStatus, 'stopReason' | 'finishedBy'>): string {
  if (!r.finishedBy) return r.stopReason ? ` (${r.stopReason})` : '';
  if (!r.stopReason || r.stopReason === r.finishedBy) return ` (${r.finishedBy})`;
  return ` (${r.finishedBy}; its loop last exited as ${r.stopReason})`;
}
