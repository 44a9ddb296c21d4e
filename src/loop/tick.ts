/**
 * The loop's functional core: state + what a tick observed → next state and what to do. Nothing
 * here touches a process, a file or git; shell/tick-loop.ts is the imperative shell around it.
 *
 *   decidePreTick  stop checks → blocked → stuck check → convergence → whose turn (or: stop)
 *   recordGates    hard-gate results for a HEAD (evaluated once per HEAD, never twice)
 *   finalizeTick   turn verdict → turn advance, accounting, health, backoff, clean-tick counter,
 *                  skeptic audit marks, blocked declarations, warnings for every peer
 */
import { unreachableHostIn } from '../peer-output/structured-events.ts';
import type { LoopState, GateRecord } from '../state/state-schema.ts';
import { ALL_PEERS_DOWN_TEXT, type StopReason } from '../state/stop-reason.ts';
import type { Finding } from '../protocol/findings.ts';
import type { SoftStatus } from '../state/state-schema.ts';
import type { LoopSettings } from './settings.ts';
import type { Classification, Verdict } from './classify.ts';
import type { TurnCredit } from './peer-health.ts';
import { budgetStop, noteUsdWarning, stuckStop, type RunContext } from './stop-check.ts';
import { advanceAuditMarks, decideConvergence, nextCleanTicks, type ConvergenceInput } from './convergence.ts';
import { advanceTurn, allPeersDown, pickPeer, pickSkeptic, sleepers } from './turn-order.ts';
import { decideWait, sleepUntil, UNREACHABLE_REASON, unreachableSleepMs, type Waiter } from './peer-sleep.ts';
import { updatePeerHealth } from './peer-health.ts';
import { accountTick } from './budget-ledger.ts';
import { backoffMs } from './backoff.ts';
import type { TestsRun } from '../protocol/tests-run.ts';

/** The text state.json's `halted.reason` holds when every peer is down. */
export const ALL_PEERS_DOWN = ALL_PEERS_DOWN_TEXT;
/** Warnings held per peer are capped, so a long run of findings cannot crowd out the prompt. */
export const HELD_WARNINGS_MAX = 40;
/**
 * The state keeps at most this many warnings queued for the next prompt, each (held ones too) of
 * at most WARNING_MAX_CHARS: a warning can carry names a peer chose, and a turn that planted
 * thousands of hooks wrote one of megabytes into state.json, several times over, past what the loop
 * reads back (STATE_READ_LIMIT): the run could not resume and `peers status` failed.
 */
export const QUEUED_WARNINGS_MAX = 100;
export const WARNING_MAX_CHARS = 2000;

const bounded = (w: string) => (w.length > WARNING_MAX_CHARS ? `${w.slice(0, WARNING_MAX_CHARS)}… (${w.length - WARNING_MAX_CHARS} more characters not kept)` : w);

export type PreTickAction =
  | { kind: 'stop'; reason: StopReason }
  /** Every peer that could work sleeps for its usage limit: wait until `untilMs`, then decide again. */
  | { kind: 'wait'; untilMs: number; waiters: Waiter[] }
  /** `audits`: for a skeptic turn, the authors whose changes it re-audits (never itself). */
  | { kind: 'turn'; peer: string; index: number; skeptic: boolean; audits: string[] }
  /** Every peer that could take a turn is paused by the operator: wait for `peers resume`. */
  | { kind: 'paused'; paused: string[] };

export function decidePreTick(state: LoopState, run: RunContext, conv: ConvergenceInput, s: LoopSettings): { state: LoopState; action: PreTickAction } {
  const budget = budgetStop(state, run, s);
  if (budget.stop) return { state, action: { kind: 'stop', reason: budget.stop } };
  if (state.blocked?.confirmed_by) return { state, action: { kind: 'stop', reason: { kind: 'blocked' } } };
  let next = budget.warning ? noteUsdWarning(state, s, budget.warning) : state;
  const stuck = stuckStop(next, s);
  if (stuck) return { state: next, action: { kind: 'stop', reason: stuck } };
  const c = decideConvergence(next, conv, s);
  if (c.kind === 'complete') return { state: next, action: { kind: 'stop', reason: { kind: 'complete' } } };
  if (c.kind === 'continue' && c.skepticReset) next = { ...next, skeptic_ran_at_tick: null };
  if (c.kind === 'skeptic') {
    const skeptic = pickSkeptic(next, s, c.audits, run.nowMs);
    if (skeptic) return { state: next, action: { kind: 'turn', peer: skeptic.peer, index: skeptic.index, skeptic: true, audits: skeptic.audits } };
  }
  const pick = pickPeer(next, s, run.nowMs);
  // Only the operator's pause stands in the way: wait for `peers resume`, not a halt.
  if (!pick && s.paused?.length && pickPeer(next, { ...s, paused: [] }, run.nowMs)) return { state: next, action: { kind: 'paused', paused: [...s.paused] } };
  const wait = pick || run.nowMs === undefined ? null : decideWait(next, sleepers(next, s, run.nowMs), run.nowMs, s.budget.maxRuntimeS);
  if (wait?.kind === 'wait') return { state: next, action: wait };
  if (wait?.kind === 'stop') return { state: next, action: { kind: 'stop', reason: { kind: 'usage-limited', until: new Date(wait.untilMs).toISOString() } } };
  if (!pick) return { state: { ...next, halted: { reason: ALL_PEERS_DOWN, at_tick: next.tick } }, action: { kind: 'stop', reason: { kind: 'all-peers-down' } } };
  return { state: next, action: { kind: 'turn', peer: pick.peer, index: pick.index, skeptic: false, audits: [] } };
}

/** `testsRun`: how many tests the run ran, per runner summary (src/protocol/tests-run.ts); absent for a cached pass. */
export type GateInput = { id: string; state: 'pass' | 'fail'; durationMs: number; diagnostic: string; cached: boolean; testsRun?: TestsRun };

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
  // An expensive gate not yet measured at HEAD counts by its last measurement (expensive-gates.ts).
  const last: Record<string, { state: string }> = { ...(state.gates.expensive ?? {}), ...state.gates.results };
  for (const [id, r] of Object.entries(last)) if (r.state === 'fail') red_streak[id] = (state.gates.red_streak[id] ?? 0) + 1;
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
  /** The usage limit that ended the turn (classification usage-limited): the vendor's reset, where it came from, its words. */
  usage_limit?: { reset_at: string | null; source: string; message: string } | null;
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
  soft_status: Record<string, SoftStatus> | null;
  /** What the loop caught this turn and what it did (absent in old runs.jsonl lines). */
  findings?: Finding[];
  /** Warnings held for every OTHER peer's next prompt (anti-cheat findings about this peer). */
  warnings_for_others?: string[];
  /** A skeptic turn: the authors whose changes it re-audited, and whether the skeptic itself had unaudited changes. */
  skeptic_audits?: string[];
  skeptic_self_unaudited?: boolean;
  /** For a skeptic turn: whether its own commits changed anything but documents (absent: taken as yes). */
  skeptic_changed_code?: boolean;
  /** The turn ended with a valid `Peer-Status: blocked` declaration. */
  blocked?: { reason: string; sha: string } | null;
  /** After a history rewrite: the ref keeping the rewritten commits (HEAD was restored to head_before). */
  rewritten_ref?: string | null;
  /** Commits found before this turn that no turn made (unattested.ts): credited to no peer. */
  unattested_commits?: string[];
  /** Containers of the pod that were down when a failed turn ended (pod-health.ts): the failure is not the peer's. */
  pod_down?: string[];
  /**
   * The loop was stopped during the turn (SIGTERM: `peers down`; or it died, and the next start
   * closed the turn): never a handoff, and not the peer's failure (shell/peer-turn.ts, closeTurn).
   */
  interrupted?: boolean;
};

export type Finalized = { state: LoopState; backoffMs: number; exit: StopReason | null; peerStateAfter: string; sleep: { until: string; reason: string } | null };

function hold(list: string[] | undefined, add: string[]): string[] {
  const merged = [...new Set([...(list ?? []), ...add.map(bounded)])];
  return merged.slice(-HELD_WARNINGS_MAX);
}

/** Blocked-declaration bookkeeping: declare, confirm (→ stop), or withdraw by handing off instead. */
function nextBlocked(state: LoopState, o: TickObservation): { blocked: LoopState['blocked']; note: string | null } {
  const cur = state.blocked;
  if (o.success && o.blocked) {
    if (cur && cur.by !== o.peer) return { blocked: { ...cur, confirmed_by: o.peer, confirm_reason: o.blocked.reason }, note: null };
    return { blocked: { by: o.peer, reason: o.blocked.reason, sha: o.blocked.sha, at_tick: o.tick, confirmed_by: null, confirm_reason: null }, note: null };
  }
  if (o.success && cur && cur.by !== o.peer) return { blocked: null, note: `${o.peer} handed off instead of confirming ${cur.by}'s blocked declaration; the run goes on.` };
  return { blocked: cur, note: null };
}

/** The vendor host a vendor-unreachable turn could not reach, from the sidecar's words (structured-events.ts). */
function unreachableHost(o: TickObservation): string {
  return unreachableHostIn(o.matched?.snippet ?? '') ?? 'the vendor';
}

export function finalizeTick(state: LoopState, o: TickObservation, s: LoopSettings, now = new Date()): Finalized {
  const rateLimited = o.classification === 'rate-limited';
  // A usage limit is neutral like a rate limit (no failure charged, the turn passes on), but only
  // this peer waits for it: the others keep working (peer-sleep.ts).
  const usageLimited = o.classification === 'usage-limited';
  // A turn failed by a dead container of the pod is neutral too, and cannot halt the peer.
  const podDown = !o.success && Boolean(o.pod_down?.length);
  // The vendor's host could not be reached (DNS, a proxy, a firewall): not the peer's failure, and
  // no retry soon helps. The peer sleeps, the others work; past max_consecutive_failures such
  // turns in a row the run stops and says what to check.
  const unreachable = o.classification === 'vendor-unreachable' && !podDown;
  const halt = podDown ? null : o.halt;
  // The operator stopped the loop (or it died) during the turn: what the turn left is judged and
  // kept (its commits credited to it), but the interruption is no failure of the peer's.
  const interrupted = !o.success && o.interrupted === true;
  const neutral = rateLimited || usageLimited || podDown || unreachable || interrupted;
  const outcome = o.success ? 'success' : neutral ? 'rate-limited' : 'failure';
  // An interrupted turn keeps the turn with its peer: the next start gives it the turn again.
  const turn = interrupted && !halt ? { turn_index: o.turn_index, attempts: o.turn_index === state.turn_index ? state.attempts : 0 } : advanceTurn(state, o.turn_index, halt ? 'rate-limited' : outcome, s);
  const before = state.peers[o.peer]!;
  let sleep: Finalized['sleep'] = null;
  if (usageLimited) {
    const resetAtMs = o.usage_limit?.reset_at ? Date.parse(o.usage_limit.reset_at) : NaN;
    const slept = sleepUntil({ resetAtMs: Number.isFinite(resetAtMs) ? resetAtMs : null, source: o.usage_limit?.source ?? 'usage limit' }, now.getTime(), before.limit_streak + 1);
    sleep = { until: new Date(slept.untilMs).toISOString(), reason: `usage limit: ${slept.basis}` };
  }
  const host = unreachable ? unreachableHost(o) : null;
  if (unreachable) {
    const ms = unreachableSleepMs(s.backoffBaseMs, before.limit_streak + 1);
    sleep = { until: new Date(now.getTime() + ms).toISOString(), reason: `${UNREACHABLE_REASON}${host}; check DNS, proxy, firewall (peers doctor)` };
  }
  let health = updatePeerHealth(before, {
    tick: o.tick,
    credit: o.credit,
    rateLimited: neutral,
    sleep,
    classification: o.classification,
    durationMs: o.duration_ms,
    halt: halt ? { reason: halt.reason } : null,
    tokens: o.tokens_this_tick,
    usd: o.usd_this_tick,
  });
  // The last failure stays visible (status, report) until a later failure replaces it.
  if (!o.success && !podDown && !interrupted) health = { ...health, last_failure: { tick: o.tick, cause: o.cause ?? o.soft_fail_reason ?? o.classification } };
  if (o.anti_cheat?.degrade && health.state === 'healthy') {
    // Two reverted test-only handoffs in a row: the peer is gaming gates, not fixing code.
    health = { ...health, state: 'degraded', reason: `anti-cheating-reverts:${o.anti_cheat.next.consecutiveReverts}`, cooldown_from_tick: o.tick };
  }
  const streak = rateLimited ? state.rate_limit_streak + 1 : 0;
  const unreachableStreak = unreachable ? state.unreachable_streak + 1 : 0;
  let next: LoopState = {
    ...state,
    ...turn,
    tick: o.tick,
    peers: { ...state.peers, [o.peer]: health },
    budget: accountTick(state.budget, { success: o.success, rateLimited: neutral, durationMs: o.duration_ms, tokens: o.tokens_this_tick, usd: o.usd_this_tick }),
    clean_ticks: nextCleanTicks(state.clean_ticks, { success: o.success, rateLimited: neutral, newBlockingBugs: o.new_blocking_bugs, blocked: Boolean(o.success && o.blocked) }),
    skeptic_ran_at_tick: o.skeptic ? o.tick : state.skeptic_ran_at_tick,
    skeptic_audited:
      o.skeptic && o.success && o.new_blocking_bugs === 0 && o.head_before && o.head_after
        ? advanceAuditMarks(state.skeptic_audited, state.peer_order, o.peer, {
            skepticWasUnaudited: o.skeptic_self_unaudited ?? true,
            skepticChangedCode: o.skeptic_changed_code ?? true,
            headBefore: o.head_before,
            headAfter: o.head_after,
          })
        : state.skeptic_audited,
    rate_limit_streak: streak,
    unreachable_streak: unreachableStreak,
    warnings: o.warnings_emitted.slice(0, QUEUED_WARNINGS_MAX).map(bounded),
    // This peer's held warnings were in this tick's prompt: replace them with the new ones; every
    // other peer keeps its own and gets this turn's anti-cheat findings added.
    peer_warnings: Object.fromEntries(
      state.peer_order.map((p) => [p, p === o.peer ? hold([], o.warnings_for_peer ?? []) : hold(state.peer_warnings[p], o.warnings_for_others ?? [])]),
    ),
    soft_status: o.soft_status ?? state.soft_status,
    anti_cheat: o.anti_cheat ? { ...state.anti_cheat, [o.peer]: o.anti_cheat.next } : state.anti_cheat,
    // The review window of this peer's next turn starts where this turn ended.
    inbox_cursor: o.head_after ?? o.head_before ? { ...state.inbox_cursor, [o.peer]: (o.head_after ?? o.head_before)! } : state.inbox_cursor,
    unattested: o.unattested_commits?.length ? [...new Set([...state.unattested, ...o.unattested_commits])].slice(-1000) : state.unattested,
    updated_at: now.toISOString(),
  };
  const blocked = nextBlocked(state, o);
  next = { ...next, blocked: blocked.blocked, warnings: blocked.note ? [...next.warnings, blocked.note] : next.warnings };
  let exit: StopReason | null = null;
  if (allPeersDown(next)) {
    next = { ...next, halted: { reason: ALL_PEERS_DOWN, at_tick: o.tick } };
    exit = { kind: 'all-peers-down' };
  } else if (halt) {
    exit = { kind: 'peer-unavailable', peer: o.peer };
  } else if (next.blocked?.confirmed_by) {
    exit = { kind: 'blocked' };
  } else if (host && unreachableStreak >= s.budget.maxConsecutiveFailures) {
    exit = { kind: 'vendor-unreachable', host };
  }
  return { state: next, backoffMs: rateLimited ? backoffMs(streak, s.backoffBaseMs) : 0, exit, peerStateAfter: health.state, sleep };
}
