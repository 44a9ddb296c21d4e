/**
 * The egress audit log summarised for the report: how many connections were allowed and refused,
 * per destination, with the refusal reasons. The log lives in the state dir
 * (`sidecars/egress/egress.jsonl`, size-capped: the older half in `egress.jsonl.1`, and a marker
 * line counting what rotation dropped), so the summary says how much history it is missing.
 * Host names and reasons come from the workspace's requests: they are data, shown as text.
 */
import { join } from 'node:path';
import { parseDropMarker, ROTATED_SUFFIX } from '../fs/size-capped-log.ts';
import { MiB, readTextIfExists } from '../fs/safe-read.ts';

export const EGRESS_LOG = ['sidecars', 'egress', 'egress.jsonl'];
/** Above the log's own cap (64 MiB over both files), so a full log is read whole. */
const READ_LIMIT = 96 * MiB;

export type EgressDestination = { host: string; port: number; decision: string; count: number; bytes_up: number; bytes_down: number; last_at: string; reasons: Array<{ reason: string; count: number }> };
export type EgressSummary = {
  records: number;
  allowed: number;
  denied: number;
  errors: number;
  /** Records rotation dropped before the oldest one still on disk. */
  dropped: number;
  first_at: string | null;
  last_at: string | null;
  destinations: EgressDestination[];
  unreadable_lines: number;
};

/** Both files' lines, oldest first; null when the run never wrote an egress log. */
export function readEgressLines(stateDir: string): { lines: string[]; error?: string } | null {
  const path = join(stateDir, ...EGRESS_LOG);
  try {
    const older = readTextIfExists(path + ROTATED_SUFFIX, READ_LIMIT);
    const current = readTextIfExists(path, READ_LIMIT);
    if (older === undefined && current === undefined) return null;
    return { lines: [...(older ?? '').split('\n'), ...(current ?? '').split('\n')].filter((l) => l.trim()) };
  } catch (error) {
    return { lines: [], error: `cannot read ${path}: ${(error as Error).message}` };
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export function summariseEgress(lines: string[]): EgressSummary {
  const s: EgressSummary = { records: 0, allowed: 0, denied: 0, errors: 0, dropped: 0, first_at: null, last_at: null, destinations: [], unreadable_lines: 0 };
  const by = new Map<string, EgressDestination & { reasonMap: Map<string, number> }>();
  for (const line of lines) {
    const marker = parseDropMarker(line);
    if (marker) {
      s.dropped = Math.max(s.dropped, marker.dropped_total);
      continue;
    }
    let rec: Record<string, unknown>;
    try {
      const v = JSON.parse(line);
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
      rec = v as Record<string, unknown>;
    } catch {
      s.unreadable_lines++;
      continue;
    }
    const decision = str(rec.decision) || 'unknown';
    const host = str(rec.host).slice(0, 253) || '(none)';
    const port = n(rec.port);
    const ts = str(rec.ts);
    s.records++;
    if (decision === 'allow') s.allowed++;
    else if (decision === 'deny') s.denied++;
    else s.errors++;
    if (ts) {
      if (!s.first_at || ts < s.first_at) s.first_at = ts;
      if (!s.last_at || ts > s.last_at) s.last_at = ts;
    }
    const key = `${decision}\0${host}\0${port}`;
    let d = by.get(key);
    if (!d) {
      d = { host, port, decision, count: 0, bytes_up: 0, bytes_down: 0, last_at: '', reasons: [], reasonMap: new Map() };
      by.set(key, d);
    }
    d.count++;
    d.bytes_up += n(rec.bytes_up);
    d.bytes_down += n(rec.bytes_down);
    if (ts > d.last_at) d.last_at = ts;
    if (decision !== 'allow') {
      const reason = str(rec.reason).slice(0, 300) || '(no reason)';
      d.reasonMap.set(reason, (d.reasonMap.get(reason) ?? 0) + 1);
    }
  }
  s.destinations = [...by.values()]
    .map(({ reasonMap, ...d }) => ({ ...d, reasons: [...reasonMap].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count).slice(0, 5) }))
    .sort((a, b) => (a.decision === b.decision ? b.count - a.count : a.decision === 'allow' ? 1 : -1));
  return s;
}
