/**
 * The loop's functional core: state + what a tick observed → next state and what to do. Nothing
 * here touches a process, a file or git; loop-runner.ts is the imperative shell around it.
 *
 *   decidePreTick  stop checks → stuck check → convergence → whose turn (or: stop with a reason)
 *   recordGates    hard-gate results for a HEAD (evaluated once per HEAD, never twice)
 *   finalizeTick   handoff verdict → turn advance, accounting, health, backoff, clean-tick counter
 */
import type { LoopState, GateRecord } from '../state/state-schema.ts';
import type { LoopSettings } from './settings.ts';
import type { Classification, Verdict } from './classify.ts';
import type { TurnCredit } from './peer-health.ts';
import { budgetStop, noteUsdWarning, stuckStop, type RunContext } from './stop-check.ts';
import { decideConvergence, nextCleanTicks, type ConvergenceInput } from './convergence.ts';
import { advanceTurn, allPeersDown, pickPeer } from './turn-order.ts';
import { updatePeerHealth } from './peer-health.ts';
import { accountTick } from './budget-ledger.ts';
import { backoffMs } from './backoff.ts';

export const ALL_PEERS_DOWN = 'peer-unavailable:all-peers-down';

export type PreTickAction = { kind: 'stop'; reason: string } | { kind: 'turn'; peer: string; index: number; skeptic: boolean };

export function decidePreTick(state: LoopState, run: RunContext, conv: ConvergenceInput, s: LoopSettings): { state: LoopState; action: PreTickAction } {
  const budget = budgetStop(state, run, s);
  if (budget.stop) return { state, action: { kind: 'stop', reason: budget.stop } };
  let next = budget.warning ? noteUsdWarning(state, s, budget.warning) : state;
  const stuck = stuckStop(next, s);
  if (stuck) return { state: next, action: { kind: 'stop', reason: stuck } };
  const c = decideConvergence(next, conv, s);
  if (c.kind === 'complete') return { state: next, action: { kind: 'stop', reason: 'complete' } };
  if (c.kind === 'continue' && c.skepticReset) next = { ...next, skeptic_ran_at_tick: null };
  const pick = pickPeer(next, s);
  if (!pick) return { state: { ...next, halted: { reason: ALL_PEERS_DOWN, at_tick: next.tick } }, action: { kind: 'stop', reason: ALL_PEERS_DOWN } };
  return { state: next, action: { kind: 'turn', peer: pick.peer, index: pick.index, skeptic: c.kind === 'skeptic' } };
}

export type GateInput = { id: string; state: 'pass' | 'fail'; durationMs: number; diagnostic: string; cached: boolean };

export function recordGates(state: LoopState, head: string | null, results: GateInput[]): LoopState {
  const rec: Record<string, GateRecord> = {};
  for (const r of results) rec[r.id] = { state: r.state, diagnostic: r.diagnostic.slice(0, 2000), duration_ms: Math.max(0, Math.round(r.durationMs)), cached: r.cached };
  return { ...state, gates: { ...state.gates, head, results: rec } };
}

/**
 * One pre-tick's worth of "still red": +1 per failing gate, reset on pass. Keyed by the tick about
 * to run, so re-running a pre-tick after a crash does not count twice.
 */
export function countRedTick(state: LoopState): LoopState {
  if (state.gates.counted_for_tick === state.tick) return state;
  const red_streak: Record<string, number> = {};
  for (const [id, r] of Object.entries(state.gates.results)) if (r.state === 'fail') red_streak[id] = (state.gates.red_streak[id] ?? 0) + 1;
  return { ...state, gates: { ...state.gates, red_streak, counted_for_tick: state.tick } };
}

/** Everything the shell observed during one peer turn; also the body of the runs.jsonl tick line. */
export type TickObservation = {
  tick: number;
  peer: string;
  tool: string;
  turn_index: number;
  skeptic: boolean;
  classification: Classification;
  exit_code: number | null;
  ended_by: string;
  duration_ms: number;
  success: boolean;
  credit: TurnCredit;
  soft_fail_reason: string | null;
  /** Why a failed tick failed, in one line (failure-cause.ts); null on success and in lines written before it existed. */
  cause?: string | null;
  halt: Verdict['halt'];
  matched: Verdict['matched'];
  tokens_this_tick: number;
  usd_this_tick: number;
  /** Where tokens/usd_this_tick come from: the sidecar's ledger (in the pod) or the CLI's own output. */
  metered_by?: 'ledger' | 'cli';
  /** What the CLI itself reported, kept for comparison when the ledger is the authority. */
  cli_tokens?: number;
  cli_usd?: number;
  head_before: string | null;
  head_after: string | null;
  handoff_sha: string | null;
  dirty_paths: string[];
  new_blocking_bugs: number;
  /** Output exceeded the per-stream cap; head and tail were kept. */
  truncated: boolean;
  truncated_streams: Array<'stdout' | 'stderr'>;
  /** Warnings raised by this tick, queued for the next prompt. */
  warnings_emitted: string[];
  /** Warnings about this peer's own turn, held for this peer's next prompt (absent in old runs.jsonl lines). */
  warnings_for_peer?: string[];
  stdout_tail: string;
  stderr_tail: string;
  /** The exact prompt, relative to the state dir (prompts/tick-NNNNN-<peer>.txt). */
  prompt_file: string;
  argv: string[];
  /** The anti-cheat verdict on this turn (test-only handoffs); null when the rule was not consulted. */
  anti_cheat: { action: string; degrade: boolean; next: { prewarned?: string; consecutiveReverts: number } } | null;
  soft_reviews_ingested: number;
  soft_reviews_rejected: number;
  /** Soft-review tallies after this tick's review commits were ingested; null = unchanged. */
  soft_status: Record<string, Record<string, unknown>> | null;
};

export type Finalized = { state: LoopState; backoffMs: number; exit: string | null; peerStateAfter: string };

export function finalizeTick(state: LoopState, o: TickObservation, s: LoopSettings, now = new Date()): Finalized {
  const rateLimited = o.classification === 'rate-limited';
  const outcome = o.success ? 'success' : rateLimited ? 'rate-limited' : 'failure';
  const turn = advanceTurn(state, o.turn_index, o.halt ? 'rate-limited' : outcome, s);
  let health = updatePeerHealth(state.peers[o.peer]!, {
    tick: o.tick,
    credit: o.credit,
    rateLimited,
    classification: o.classification,
    durationMs: o.duration_ms,
    halt: o.halt ? { reason: o.halt.reason } : null,
    tokens: o.tokens_this_tick,
    usd: o.usd_this_tick,
  });
  // The last failure stays visible (status, report) until a later failure replaces it.
  if (!o.success) health = { ...health, last_failure: { tick: o.tick, cause: o.cause ?? o.soft_fail_reason ?? o.classification } };
  if (o.anti_cheat?.degrade && health.state === 'healthy') {
    // Two reverted test-only handoffs in a row: the peer is gaming gates, not fixing code.
    health = { ...health, state: 'degraded', reason: `anti-cheating-reverts:${o.anti_cheat.next.consecutiveReverts}`, cooldown_from_tick: o.tick };
  }
  const streak = rateLimited ? state.rate_limit_streak + 1 : 0;
  let next: LoopState = {
    ...state,
    ...turn,
    tick: o.tick,
    peers: { ...state.peers, [o.peer]: health },
    budget: accountTick(state.budget, { success: o.success, rateLimited, durationMs: o.duration_ms, tokens: o.tokens_this_tick, usd: o.usd_this_tick }),
    clean_ticks: nextCleanTicks(state.clean_ticks, { success: o.success, rateLimited, newBlockingBugs: o.new_blocking_bugs }),
    skeptic_ran_at_tick: o.skeptic ? o.tick : state.skeptic_ran_at_tick,
    rate_limit_streak: streak,
    warnings: [...o.warnings_emitted],
    // This peer's held warnings were in this tick's prompt: replace them with the new ones.
    peer_warnings: { ...state.peer_warnings, [o.peer]: [...(o.warnings_for_peer ?? [])] },
    soft_status: o.soft_status ?? state.soft_status,
    anti_cheat: o.anti_cheat ? { ...state.anti_cheat, [o.peer]: o.anti_cheat.next } : state.anti_cheat,
    inbox_cursor: o.head_before ? { ...state.inbox_cursor, [o.peer]: o.head_before } : state.inbox_cursor,
    updated_at: now.toISOString(),
  };
  let exit: string | null = null;
  if (allPeersDown(next)) {
    next = { ...next, halted: { reason: ALL_PEERS_DOWN, at_tick: o.tick } };
    exit = ALL_PEERS_DOWN;
  } else if (o.halt) {
    exit = `peer-unavailable:${o.peer}`;
  }
  return { state: next, backoffMs: rateLimited ? backoffMs(streak, s.backoffBaseMs) : 0, exit, peerStateAfter: health.state };
}
