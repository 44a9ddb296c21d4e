/**
 * Facts the report and status read off the tick lines: why failed ticks failed (grouped by cause),
 * the anti-cheat findings each tick logged, and counts of protocol events. Pure.
 */
import { FindingSchema, type Finding } from '../protocol/findings.ts';
import type { TickLine } from '../state/run-log.ts';

/** A failed tick's one-line cause; lines written before causes existed fall back to the handoff reason. */
export function tickCause(t: TickLine): string {
  const cause = typeof t.cause === 'string' ? t.cause : typeof t.soft_fail_reason === 'string' ? t.soft_fail_reason : undefined;
  return cause ?? String(t.classification ?? 'failed');
}

/** Failed ticks grouped by cause, most frequent first: what to fix before the next night. */
export function failureCauses(ticks: TickLine[]): { cause: string; count: number; peers: string[]; lastTick: number }[] {
  const by = new Map<string, { cause: string; count: number; peers: string[]; lastTick: number }>();
  for (const t of ticks) {
    if (t.success) continue;
    const cause = tickCause(t);
    const entry = by.get(cause) ?? { cause, count: 0, peers: [], lastTick: 0 };
    entry.count++;
    if (!entry.peers.includes(String(t.peer))) entry.peers.push(String(t.peer));
    entry.lastTick = Math.max(entry.lastTick, Number(t.tick) || 0);
    by.set(cause, entry);
  }
  return [...by.values()].sort((a, b) => b.count - a.count || b.lastTick - a.lastTick);
}

/** Every anti-cheat finding the ticks logged (lines from before findings existed have none). */
export function findingsOf(ticks: TickLine[]): Array<Finding & { tick: number; peer: string }> {
  const out: Array<Finding & { tick: number; peer: string }> = [];
  for (const t of ticks) {
    if (!Array.isArray(t.findings)) continue;
    for (const raw of t.findings as unknown[]) {
      const f = FindingSchema.safeParse(raw);
      if (f.success) out.push({ ...f.data, tick: t.tick, peer: t.peer });
    }
  }
  return out;
}

/** Protocol events over the whole run, counted from the warnings and verdicts each tick logged. */
export function protocolEventCounts(ticks: TickLine[]) {
  let controlPlaneEdits = 0;
  let testMarkers = 0;
  let antiCheatWarnings = 0;
  let antiCheatReverts = 0;
  let antiCheatJustified = 0;
  for (const t of ticks) {
    const warnings = Array.isArray(t.warnings_emitted) ? (t.warnings_emitted as unknown[]).filter((w): w is string => typeof w === 'string') : [];
    controlPlaneEdits += warnings.filter((w) => w.startsWith('control-plane edit detected')).length;
    testMarkers += warnings.filter((w) => w.startsWith('test-marker: ')).length;
    const action = (t.anti_cheat as { action?: string } | null | undefined)?.action;
    if (action === 'warn') antiCheatWarnings++;
    if (action === 'revert') antiCheatReverts++;
    if (action === 'accept-justified') antiCheatJustified++;
  }
  return { controlPlaneEdits, testMarkers, antiCheatWarnings, antiCheatReverts, antiCheatJustified };
}
