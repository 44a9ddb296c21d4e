/**
 * Crash recovery. A tick is committed in two writes: its runs.jsonl line, then state.json. After a
 * SIGKILL or power cut between the two, the log is one tick ahead of the state; because the line
 * carries the whole observation the tick was decided from, replaying it through the same pure
 * finalizeTick gives exactly the state that was about to be written. So a restart never re-runs
 * a completed tick and never logs a tick twice.
 */
import { LoopStateSchema, type LoopState } from '../state/state-schema.ts';
import type { TickLine } from '../state/run-log.ts';
import type { LoopSettings } from './settings.ts';
import { finalizeTick, type TickObservation } from './tick.ts';

export type ResumeResult = { state: LoopState; replayed: number[]; warning?: string };

export function resumeFromLog(state: LoopState, ticks: TickLine[], s: LoopSettings): ResumeResult {
  let next = state;
  const replayed: number[] = [];
  for (const line of ticks) {
    if (line.tick <= next.tick) continue;
    if (line.tick !== next.tick + 1) {
      return { state: next, replayed, warning: `runs.jsonl jumps from tick ${next.tick} to ${line.tick}; state.json kept as is` };
    }
    // The tick line is the observation itself (plus derived totals finalizeTick ignores).
    const obs = line as unknown as TickObservation;
    const refused = { state: next, replayed, warning: `runs.jsonl tick ${line.tick} cannot be replayed; state.json kept as is` };
    if (typeof obs.turn_index !== 'number' || !Object.hasOwn(next.peers, obs.peer)) return refused;
    // A hand-edited line may still hold values no tick produces: replay only what yields a valid state.
    let after: LoopState;
    try {
      after = finalizeTick(next, obs, s, new Date(line.ts)).state;
    } catch {
      return refused;
    }
    if (!LoopStateSchema.safeParse(after).success) return refused;
    next = after;
    replayed.push(line.tick);
  }
  return { state: next, replayed };
}
