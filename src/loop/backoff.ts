/**
 * Rate-limit backoff: a rate-limited turn is neutral (no failure charged, the turn
 * passes on) and the loop waits 15, 30, 60, then 120 s before the next tick.
 */
export const BACKOFF_CAP_STEPS = 3;

export function backoffMs(streak: number, baseMs: number): number {
  if (streak <= 0) return 0;
  return baseMs * 2 ** Math.min(streak - 1, BACKOFF_CAP_STEPS);
}
