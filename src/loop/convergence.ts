/**
 * When is the run done? (DESIGN §3, baseline §18.) All hard gates green, no open blocking
 * (crit/high/med) bug, soft consensus (unless not required), and `convergence_n` consecutive clean
 * ticks; then one skeptic tick (unless disabled); converged again after it → `complete`. Losing
 * convergence at any pre-tick re-arms the skeptic.
 */
import type { LoopState } from '../state/state-schema.ts';
import type { LoopSettings } from './settings.ts';

export type ConvergenceInput = {
  hardGoalIds: string[];
  /** Open crit/high/med bugs in the ledger (H7's bug ledger); 0 when unknown. */
  openBlockingBugs: number;
  /** Whether every soft goal has reached consensus (H7's soft reviews); true when there are none. */
  softConsensus: boolean;
};

export type ConvergenceDecision = { kind: 'continue'; skepticReset: boolean } | { kind: 'skeptic' } | { kind: 'complete' };

export function hardGatesGreen(state: LoopState, ids: string[]): boolean {
  return ids.every((id) => state.gates.results[id]?.state === 'pass');
}

export function converged(state: LoopState, i: ConvergenceInput, s: LoopSettings): boolean {
  return (
    hardGatesGreen(state, i.hardGoalIds) &&
    i.openBlockingBugs === 0 &&
    (!s.goals.softConsensusRequired || i.softConsensus) &&
    state.clean_ticks >= s.goals.convergenceN &&
    (!s.goals.requireHealthyPeers || Object.values(state.peers).every((p) => p.state === 'healthy'))
  );
}

export function decideConvergence(state: LoopState, i: ConvergenceInput, s: LoopSettings): ConvergenceDecision {
  if (!converged(state, i, s)) return { kind: 'continue', skepticReset: state.skeptic_ran_at_tick !== null };
  if (!s.skeptic) return { kind: 'complete' };
  if (state.skeptic_ran_at_tick === null) return { kind: 'skeptic' };
  return { kind: 'complete' };
}

/**
 * Clean-tick counter after a turn (baseline §18.3): rate-limited → unchanged; a failed turn or a
 * turn that filed a new blocking bug → 0; otherwise +1.
 */
export function nextCleanTicks(current: number, i: { success: boolean; rateLimited: boolean; newBlockingBugs: number }): number {
  if (i.rateLimited) return current;
  if (!i.success || i.newBlockingBugs > 0) return 0;
  return current + 1;
}
