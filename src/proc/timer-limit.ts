/**
 * The longest wait a timer holds: 2^31-1 ms (about 24.8 days). A longer one fires at once (with a
 * TimeoutOverflowWarning), so a timeout or interval past it is refused where it is given: a
 * config key (src/config/timer-seconds.ts) or a flag (`status --interval`, `down --grace`).
 */
export const MAX_TIMER_S = Math.floor((2 ** 31 - 1) / 1000);
