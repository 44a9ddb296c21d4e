/**
 * The loop's gate probe with a failing gate's retries each on a fresh checkout (the rule:
 * src/gates/fresh-retries.ts). The probe makes a checkout of its own per call (gate-checkout.ts on
 * the host, sandbox/gates-remote.ts in the pod), so asking it again is a fresh checkout, with the
 * project's `setup` run again.
 */
import { retryOnFreshCheckouts } from '../../gates/fresh-retries.ts';
import type { GateProbe } from './gate-probe.ts';

export function withFreshRetries(probe: GateProbe): GateProbe {
  return (o) => retryOnFreshCheckouts(o.goals, (goals) => probe({ ...o, goals }), o.signal);
}
