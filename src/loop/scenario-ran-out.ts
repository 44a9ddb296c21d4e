/**
 * What a rehearsal that ran past its script is told, wherever its stop is said (`up --attach`,
 * `peers status`, the `peers up` that follows, the report): the failed turns' "no commit" and the
 * stop they led to are the symptom, the scenario's length the cause.
 */
import { parseStopReason, type StopReason } from '../state/stop-reason.ts';

/** `ends`: what scriptEnds (src/model-server/served-log.ts) read in `rehearsal/served.jsonl`. */
export function scenarioRanOut(ends: string[]): string {
  return `the rehearsal's scenario ran out (${ends.join('; ')})`;
}

/**
 * The stops that failed turns make, which a scenario that ran out makes too: the failures' cap, or
 * every peer down. Another (a gate stuck red, a budget spent) has a cause of its own, said first.
 */
export function stoppedByFailedTurns(stop: StopReason | string): boolean {
  const s = typeof stop === 'string' ? parseStopReason(stop) : stop;
  return s.kind === 'all-peers-down' || s.kind === 'peer-unavailable' || (s.kind === 'budget' && s.cap === 'max_consecutive_failures');
}
