/**
 * Hard gates for the loop: evaluated on a clean checkout of the committed HEAD (never the peers'
 * working tree), at most once per HEAD — the result is recorded in state.json with the HEAD it
 * belongs to, and H2's gate cache makes cacheable gates free across HEADs.
 */
import type { HardGoal } from '../config/goals-schema.ts';
import { evaluateGates } from '../gates/gate-engine.ts';
import { withCleanCheckout } from '../gates/clean-checkout.ts';
import type { GateInput } from './tick.ts';

export type GateProbeOptions = { repo: string; head: string; goals: HardGoal[]; timeoutS: number; jobs: number; cacheFile: string };

export async function probeGates(o: GateProbeOptions): Promise<GateInput[]> {
  if (o.goals.length === 0) return [];
  const results = await withCleanCheckout(o.repo, o.head, (dir) =>
    evaluateGates({ goals: o.goals, checkoutDir: dir, head: o.head, defaultTimeoutS: o.timeoutS, jobs: o.jobs, cacheFile: o.cacheFile }),
  );
  return results.map((r) => ({ id: r.id, state: r.state, durationMs: r.durationMs, diagnostic: r.diagnostic, cached: r.cached }));
}
