/**
 * A failing gate's retries (`retry_on_fail`), each on a fresh checkout of the same commit, with the
 * project's `setup` run again: a retry in the checkout its failed attempt left would read whatever
 * that attempt wrote there, and the attempt runs the peers' code — a source file that rewrites the
 * test files on disk during the first run makes the second run collect the rewritten tests
 * (SECURITY.md, "Gates judge committed content only"). So the probe is asked once for every goal
 * with no retry of its own, then again, for the goals still failing that allow another attempt,
 * each time on a checkout of its own (the loop's probe makes one per call: gate-checkout.ts, and in
 * the pod sandbox/gates-remote.ts). The first pass wins; the time of every attempt is counted.
 */
import type { HardGoal } from '../../config/goals-schema.ts';
import type { GateInput } from '../tick.ts';
import type { GateProbe } from './gate-probe.ts';

export function withFreshRetries(probe: GateProbe): GateProbe {
  return async (o) => {
    const once = (goals: HardGoal[]) => probe({ ...o, goals: goals.map((g) => ({ ...g, retry_on_fail: 0 })) });
    const latest = new Map<string, GateInput>();
    const attempts = new Map<string, number>();
    const spent = new Map<string, number>();
    let due = o.goals;
    while (due.length > 0) {
      const ran = await once(due);
      for (const r of ran) {
        attempts.set(r.id, (attempts.get(r.id) ?? 0) + 1);
        spent.set(r.id, (spent.get(r.id) ?? 0) + r.durationMs);
        latest.set(r.id, r);
      }
      // A stop request ends the attempts: what ran so far is all there is (the caller drops it).
      if (o.signal?.aborted) break;
      due = due.filter((g) => latest.get(g.id)?.state === 'fail' && (attempts.get(g.id) ?? 0) <= (g.retry_on_fail ?? 0));
    }
    return o.goals.flatMap((g) => {
      const r = latest.get(g.id);
      if (!r) return [];
      const made = attempts.get(g.id) ?? 1;
      const diagnostic = r.state === 'fail' && made > 1 ? `${r.diagnostic} (failed ${made} attempts, each on a fresh checkout)` : r.diagnostic;
      return [{ ...r, durationMs: spent.get(g.id) ?? r.durationMs, diagnostic }];
    });
  };
}
