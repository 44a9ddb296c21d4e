/** How `peers ls` and `peers status` show a reconciled project: one text line, one JSON row. */
import { formatDegraded } from '../src/loop/pod-health.ts';
import type { ProjectStatus } from './reconcile.ts';

/** name, status, tick, spend, stop reason, open gates, path. */
export function statusLine(r: ProjectStatus): string {
  const gates = r.openGates.length ? `open: ${r.openGates.join(',')}` : 'gates green';
  const spend = `$${r.spend.usd.toFixed(2)} ${r.spend.tokens} tok`;
  // A degraded run says so where a stopped one gives its reason.
  const why = r.degraded.length ? formatDegraded(r.degraded) : (r.stopReason ?? '');
  return `${r.name.padEnd(20)} ${r.status.padEnd(8)} tick ${String(r.tick ?? '-').padEnd(5)} ${spend.padEnd(20)} ${why.padEnd(22)} ${gates.padEnd(24)} ${r.path}`;
}

/** The JSON row of a project (containers reduced to role and state). */
export function statusRow({ containers, ...r }: ProjectStatus) {
  return { ...r, containers: containers.map((c) => ({ role: c.role, status: c.status })) };
}
