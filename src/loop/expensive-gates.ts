/**
 * `expensive: true` hard goals (docs/ARCHITECTURE.md, "Expensive gates"): cheap gates run at every
 * tick before the turn; expensive ones run in the background on a clean checkout of the HEAD the
 * tick started from while the peer works, one job at a time. A finished job's result belongs to the
 * commit it judged and to that commit only: it is shown as the state at HEAD when HEAD is still
 * that commit, and otherwise kept aside for the report. Convergence needs every expensive goal to
 * have passed at exactly the converging HEAD; when one has no result there, it runs synchronously
 * right then (freshExpensiveNeeded), so a fix committed and then reverted can never converge.
 * Pure functions; the processes live in shell/background-gates.ts.
 */
import type { HardGoal } from '../config/goals-schema.ts';
import { goalDigest } from '../gates/gate-cache.ts';
import type { ExpensiveResult, LoopState } from '../state/state-schema.ts';
import { converged, type ConvergenceInput } from './convergence.ts';
import type { LoopSettings } from './settings.ts';
import { recordGates, type GateInput } from './tick.ts';

export function cheapGoals(goals: HardGoal[]): HardGoal[] {
  return goals.filter((g) => !g.expensive);
}

export function expensiveGoals(goals: HardGoal[]): HardGoal[] {
  return goals.filter((g) => g.expensive);
}

/** The recorded measurement of `goal` at exactly `head` with its present definition, if any. */
function resultAt(state: LoopState, head: string, goal: HardGoal): ExpensiveResult | undefined {
  const r = state.gates.expensive?.[goal.id];
  return r && r.head === head && r.digest === goalDigest(goal) ? r : undefined;
}

function asInput(id: string, r: ExpensiveResult): GateInput & { background: boolean } {
  return { id, state: r.state, durationMs: r.duration_ms, diagnostic: r.diagnostic, cached: false, background: r.background };
}

/**
 * The gates at `head`: the cheap results just measured there, plus each expensive goal's result
 * when it was measured at this very commit. An expensive goal without one has no entry (not green:
 * convergence holds) until its job reports.
 */
export function recordAtHead(state: LoopState, head: string, cheap: GateInput[], goals: HardGoal[]): LoopState {
  const known = expensiveGoals(goals).flatMap((g) => {
    const r = resultAt(state, head, g);
    return r ? [asInput(g.id, r)] : [];
  });
  const measured = cheap.filter((c) => !expensiveGoals(goals).some((g) => g.id === c.id));
  const next = recordGates(keepStartTests(state, head, measured), head, [...measured, ...known]);
  return markBackground(next, known);
}

/**
 * The tests each gate measured at the run's baseline ran (the fewer-tests rule's start,
 * src/protocol/tests-run.ts): the first measure of each gate there is kept; a gate measured
 * without a count keeps {} (measured, nothing to compare). Only what was measured just now.
 */
export function keepStartTests(state: LoopState, head: string, measured: GateInput[]): LoopState {
  if (!state.baseline || head !== state.baseline) return state;
  const kept = state.start_tests ?? {};
  const fresh = measured.filter((r) => !(r.id in kept));
  if (!fresh.length) return state;
  return { ...state, start_tests: { ...kept, ...Object.fromEntries(fresh.map((r) => [r.id, r.testsRun ?? {}])) } };
}

function markBackground(state: LoopState, known: (GateInput & { background: boolean })[]): LoopState {
  if (!known.some((k) => k.background)) return state;
  const results = { ...state.gates.results };
  for (const k of known) if (k.background && results[k.id]) results[k.id] = { ...results[k.id]!, background: true };
  return { ...state, gates: { ...state.gates, results } };
}

/**
 * Records a finished expensive measurement of `head`. It replaces the goal's previous one, and it
 * becomes the state at HEAD only when the recorded gates are of that same commit: a pass of an
 * older commit is never shown or used as the state of a newer one.
 */
export function recordExpensive(state: LoopState, head: string, results: GateInput[], goals: HardGoal[], background: boolean): LoopState {
  const byId = new Map(expensiveGoals(goals).map((g) => [g.id, g]));
  const expensive = { ...(state.gates.expensive ?? {}) };
  for (const r of results) {
    const goal = byId.get(r.id);
    if (!goal) continue;
    expensive[r.id] = { head, digest: goalDigest(goal), state: r.state, diagnostic: r.diagnostic.slice(0, 2000), duration_ms: Math.max(0, Math.round(r.durationMs)), background };
  }
  const next = { ...state, gates: { ...state.gates, expensive } };
  if (next.gates.head !== head) return next;
  const known = results.filter((r) => byId.has(r.id)).map((r) => asInput(r.id, expensive[r.id]!));
  const merged = { ...next.gates.results };
  for (const k of known) merged[k.id] = { state: k.state, diagnostic: expensive[k.id]!.diagnostic, duration_ms: expensive[k.id]!.duration_ms, cached: false, ...(background ? { background: true } : {}) };
  return { ...next, gates: { ...next.gates, results: merged } };
}

/** A probe of every hard goal at `head` (a test-only turn's): cheap and expensive results recorded there. */
export function recordProbe(state: LoopState, head: string, results: GateInput[], goals: HardGoal[]): LoopState {
  return recordExpensive(recordAtHead(state, head, results, goals), head, results, goals, false);
}

/**
 * The expensive goals a background job should measure at `head` now: those without a result at
 * this commit, unless a job is already running (one at a time; a newer HEAD does not cancel it,
 * the next tick starts one for the HEAD of then).
 */
export function backgroundToStart(state: LoopState, head: string | null, goals: HardGoal[], running: boolean): HardGoal[] {
  if (!head || running) return [];
  return expensiveGoals(goals).filter((g) => !resultAt(state, head, g));
}

/**
 * The expensive goals to run synchronously before deciding convergence: when everything else says
 * converged, each expensive goal that has no result at exactly the recorded HEAD. Empty otherwise.
 */
export function freshExpensiveNeeded(state: LoopState, conv: ConvergenceInput, s: LoopSettings, goals: HardGoal[]): HardGoal[] {
  const head = state.gates.head;
  const expensive = expensiveGoals(goals);
  if (!head || expensive.length === 0) return [];
  const missing = expensive.filter((g) => !resultAt(state, head, g) || !state.gates.results[g.id]);
  if (missing.length === 0) return [];
  const cheapIds = conv.hardGoalIds.filter((id) => !expensive.some((g) => g.id === id));
  return converged(state, { ...conv, hardGoalIds: cheapIds }, s) ? missing : [];
}
