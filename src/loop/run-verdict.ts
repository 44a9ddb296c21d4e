/**
 * Whether a run that is not running is over, and why: the one verdict `peers up` acts on
 * (up-decision.ts) and `peers status`, `peers ls` and `peers report` show (sandbox/reconcile.ts,
 * src/report/run-summary.ts). The stop reason the loop last wrote says how its process ended, which
 * is not always where the run stands: `peers down` can interrupt a loop after a gate's last red
 * evaluation and before the stop rule that reads it, leaving `interrupted` beside a state that is
 * `stuck`. So the verdict comes from the saved state by the loop's own stop rules (stop-check.ts),
 * after the operator's actions (operator-actions.ts), exactly as the loop will apply them at start.
 * Pure.
 */
import type { LoopState } from '../state/state-schema.ts';
import type { StopReason } from '../state/stop-reason.ts';
import { applyOperatorActions } from './operator-actions.ts';
import type { LoopSettings } from './settings.ts';
import { budgetStop, stuckStop, type RunContext } from './stop-check.ts';
import { allPeersDown } from './turn-order.ts';

export type VerdictFacts = {
  /** The last stop reason the loop wrote, when it belongs to the current run. */
  stop: StopReason | null;
  state: LoopState;
  /** What the loop would run with now (snapshot, budget policy, operator controls). */
  settings: LoopSettings;
  /** The control plane the loop will enforce differs from the one the state last ran with. */
  configChanged: boolean;
  /** `--reset-peer` of this `up` (none for status). */
  resetPeers: string[];
  budgetRefusals?: RunContext['budgetRefusals'];
};

/**
 * `finished`: the stop the run is over for, or null when starting the loop would go on working;
 * `state`: the saved state with the operator's actions applied (what the loop would start from).
 * A `complete` run stays complete unless the operator changed what "done" means.
 */
export function runVerdict(f: VerdictFacts): { finished: StopReason | null; state: LoopState } {
  const state = applyOperatorActions(f.state, { configChanged: f.configChanged, resetPeers: f.resetPeers }).state;
  const over = (finished: StopReason | null) => ({ finished, state });
  if (f.stop?.kind === 'complete' && !f.configChanged) return over(f.stop);
  const budget = budgetStop(state, { ticksThisRun: 0, stopRequested: false, budgetRefusals: f.budgetRefusals }, f.settings);
  if (budget.stop) return over(budget.stop);
  if (state.blocked?.confirmed_by) return over({ kind: 'blocked' });
  const stuck = stuckStop(state, f.settings);
  if (stuck) return over(stuck);
  if (allPeersDown(state)) return over({ kind: 'all-peers-down' });
  return over(null);
}
