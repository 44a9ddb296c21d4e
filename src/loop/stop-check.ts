/**
 * Pre-tick stop rules, first hit wins. Pure: the same state and run context
 * always give the same answer. Stop reasons are StopReason values (src/state/stop-reason.ts); users
 * see their text form, e.g. `budget:max_usd` or `stuck:tests-pass`.
 */
import type { LoopState } from '../state/state-schema.ts';
import { parseStopReason, type StopReason } from '../state/stop-reason.ts';
import type { LoopSettings } from './settings.ts';

export type RunContext = {
  ticksThisRun: number;
  stopRequested: boolean;
  /**
   * The last request the auth sidecar refused per cap, with the cap it enforced then: the budget
   * left could not cover a request, so the run is over for that cap (unless the cap was raised).
   */
  budgetRefusals?: Partial<Record<'max_usd' | 'max_tokens', { limit: number; needed?: number }>>;
  /** The clock (ms): who is asleep for a usage limit. Without it no peer wakes (and the run never waits). */
  nowMs?: number;
};

export type StopDecision = { stop: StopReason | null; warning?: string };

export function budgetStop(state: LoopState, run: RunContext, s: LoopSettings): StopDecision {
  const b = state.budget;
  if (run.stopRequested) return { stop: { kind: 'interrupted' } };
  if (state.halted) return { stop: parseStopReason(state.halted.reason) };
  if (s.maxTicksThisRun !== undefined && run.ticksThisRun >= s.maxTicksThisRun) return { stop: { kind: 'max_ticks' } };
  if (state.tick >= s.budget.maxTicks) return { stop: { kind: 'budget', cap: 'max_ticks' } };
  if (b.spent_runtime_ms >= s.budget.maxRuntimeS * 1000) return { stop: { kind: 'budget', cap: 'max_runtime' } };
  if (b.consecutive_failures >= s.budget.maxConsecutiveFailures) return { stop: { kind: 'budget', cap: 'max_consecutive_failures' } };
  if (s.budget.maxTokens !== undefined && b.spent_tokens >= s.budget.maxTokens) return { stop: { kind: 'budget', cap: 'max_tokens' } };
  const refused = run.budgetRefusals ?? {};
  if (s.budget.maxTokens !== undefined && refused.max_tokens && refused.max_tokens.limit >= s.budget.maxTokens) return { stop: { kind: 'budget', cap: 'max_tokens' } };
  if (s.budget.maxUsd !== undefined && s.budget.usdMode === 'hard' && refused.max_usd && refused.max_usd.limit >= s.budget.maxUsd) return { stop: { kind: 'budget', cap: 'max_usd' } };
  if (s.budget.maxUsd !== undefined && b.spent_usd >= s.budget.maxUsd) {
    if (s.budget.usdMode === 'hard') return { stop: { kind: 'budget', cap: 'max_usd' } };
    if (s.budget.usdMode === 'warn' && b.usd_warned_for !== s.budget.maxUsd) {
      return { stop: null, warning: `max_usd:${s.budget.maxUsd.toFixed(2)} reached (spent $${b.spent_usd.toFixed(2)}) but max_usd_mode=warn - loop continues` };
    }
  }
  return { stop: null };
}

/**
 * The stop a turn ended with, unless a budget cap binds: a cap the auth sidecar refused requests
 * for fails every turn that needs the vendor, so peers it left down or unavailable are its effect,
 * not the run's reason. The run then stops on the cap (which says what to raise), and the all-down
 * halt the turn recorded is dropped from the state so a resumed run does not stop on it again.
 */
export function stopAfterTurn(exit: StopReason, state: LoopState, run: RunContext, s: LoopSettings): { stop: StopReason; state: LoopState } {
  if (exit.kind !== 'all-peers-down' && exit.kind !== 'peer-unavailable') return { stop: exit, state };
  const unhalted: LoopState = { ...state, halted: null };
  const cap = budgetStop(unhalted, run, s).stop;
  return cap?.kind === 'budget' ? { stop: cap, state: unhalted } : { stop: exit, state };
}

/** Records a warn-mode USD warning so it is given once per cap value. */
export function noteUsdWarning(state: LoopState, s: LoopSettings, warning: string): LoopState {
  return { ...state, warnings: [...state.warnings, warning], budget: { ...state.budget, usd_warned_for: s.budget.maxUsd ?? null } };
}

/**
 * A watched gate red for `stuckHaltAfter` consecutive evaluations stops the run as `stuck:<gate>`
 * (highest streak wins; ties go to the first watched gate).
 */
export function stuckStop(state: LoopState, s: LoopSettings): StopReason | null {
  let best: { gate: string; n: number } | null = null;
  for (const gate of s.goals.stuckHaltGates) {
    const n = state.gates.red_streak[gate] ?? 0;
    if (n >= s.goals.stuckHaltAfter && (!best || n > best.n)) best = { gate, n };
  }
  return best ? { kind: 'stuck', gate: best.gate } : null;
}

