/**
 * What the loop says when the operator's live controls (`control/operator.json`: paused peers, the
 * runtime cap) change or cannot be used. The loop re-reads them every tick (shell/tick-loop.ts);
 * this decides, from what it last saw, the lines that say each change once.
 */
import { formatDuration } from './runtime-change.ts';
import type { LoopSettings } from './settings.ts';

/** What the last control read said: nothing yet, a problem, or the controls in force. */
export type ControlSeen = { kind: 'none' } | { kind: 'error'; error: string } | { kind: 'ok'; paused: string[]; runtimeS: number };

export const NOTHING_SEEN: ControlSeen = { kind: 'none' };

type Noted = { seen: ControlSeen; lines: string[] };

/** The control file cannot be read or validated: the run is held (fail closed), one line per distinct problem. */
export function controlProblem(seen: ControlSeen, path: string, error: string): Noted {
  if (seen.kind === 'error' && seen.error === error) return { seen, lines: [] };
  return {
    seen: { kind: 'error', error },
    lines: [`peers: the operator control file ${path} cannot be used (${error}); holding the run until it is fixed (peers pause/resume rewrites it)`],
  };
}

/**
 * The controls in force (`now`, the run's `base` settings with them applied), against what was last
 * seen: a line per peer paused or resumed, a new runtime cap, and every peer paused. After nothing
 * or a problem, the change is counted from the run's own settings.
 */
export function controlChanges(seen: ControlSeen, base: LoopSettings, now: LoopSettings, peerOrder: readonly string[]): Noted {
  const paused = [...(now.paused ?? [])].sort();
  const runtimeS = now.budget.maxRuntimeS;
  if (seen.kind === 'ok' && seen.runtimeS === runtimeS && seen.paused.length === paused.length && seen.paused.every((p, i) => p === paused[i])) return { seen, lines: [] };
  const was = seen.kind === 'ok' ? seen : { paused: [] as string[], runtimeS: base.budget.maxRuntimeS };
  const lines: string[] = [];
  for (const p of paused) if (!was.paused.includes(p)) lines.push(`peers: ${p} is paused by the operator: no turns until \`peers resume ${p}\``);
  for (const p of was.paused) if (!paused.includes(p)) lines.push(`peers: ${p} resumed by the operator`);
  if (was.runtimeS !== runtimeS) lines.push(`peers: max runtime is now ${formatDuration(runtimeS)} (set by the operator)`);
  if (paused.length && peerOrder.every((p) => paused.includes(p))) lines.push('peers: every peer is paused: waiting for `peers resume NAME`');
  return { seen: { kind: 'ok', paused, runtimeS }, lines };
}
