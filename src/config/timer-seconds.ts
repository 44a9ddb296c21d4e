/**
 * A number of seconds that peers waits on with a timer (a gate's timeout, a peer's idle and turn
 * limits, the kill grace). A timer holds at most 2^31-1 ms (about 24.8 days): a longer one fires
 * at once (with a warning on stderr), so `timeout_s: 99999999` written to mean "never" failed the
 * gate in 0 s as "timeout after 99999999s". Refused where it is written instead, exit 2
 * (src/proc/timer-limit.ts).
 */
import { z } from 'zod';
import { MAX_TIMER_S } from '../proc/timer-limit.ts';

export const timerSeconds = z
  .number()
  .int()
  .positive()
  .max(MAX_TIMER_S, `at most ${MAX_TIMER_S} seconds (24 days), the longest wait a timer holds`);
