/**
 * What the loop reports of a tick, a wait and a stop, decided from data alone: the runs.jsonl tick
 * line (the report, `peers status` and resume.ts read it) and the console lines. The shell
 * (shell/tick-loop.ts) only appends and prints them.
 */
import { hardGoals, softGoals, type GoalsFile } from '../config/goals-schema.ts';
import type { LoopState } from '../state/state-schema.ts';
import { formatStopReason, type StopReason } from '../state/stop-reason.ts';
import type { GateTime } from './gate-time.ts';
import type { LoopSettings } from './settings.ts';
import { pickPeer } from './turn-order.ts';
import { softProgress } from '../protocol/soft-reviews.ts';
import { describeWaiters, UNREACHABLE_ADVICE, UNREACHABLE_REASON, waitersOf, type Waiter } from './peer-sleep.ts';
import type { Finalized, TickObservation } from './tick.ts';

/**
 * The runs.jsonl line of a finalized tick. `atStart` is the gates as the tick found them: when the
 * turn measured them again at its own HEAD (a test-only turn), the report's gate timeline needs both
 * commits' results. `gateTime` is this tick's gate time, synchronous and background (expensive-gates.ts).
 */
export function tickLine(goals: GoalsFile, obs: TickObservation, fin: Finalized, atStart: LoopState['gates'], gateTime: GateTime) {
  const after = fin.state;
  const hard: Record<string, string> = {};
  for (const g of hardGoals(goals)) hard[g.id] = after.gates.results[g.id]?.state ?? 'unknown';
  const startHard: Record<string, string> = {};
  if (atStart.head && atStart.head !== after.gates.head) for (const g of hardGoals(goals)) startHard[g.id] = atStart.results[g.id]?.state ?? 'unknown';
  const soft: Record<string, string> = {};
  const statuses = after.soft_status;
  for (const g of softGoals(goals)) soft[g.id] = softProgress(g, statuses[g.id], after.peer_order);
  return {
    event: 'tick' as const,
    ts: after.updated_at,
    ...obs,
    // The baseline's flat names for the matched pattern, for tools that read runs.jsonl.
    matched_error_pattern: obs.matched?.pattern ?? null,
    matched_error_snippet: obs.matched?.snippet ?? null,
    matched_error_source: obs.matched?.source ?? null,
    spent_tokens_total: after.budget.spent_tokens,
    spent_usd_total: after.budget.spent_usd,
    peer_state_after: fin.peerStateAfter,
    /** The rate-limit wait before the next tick (0 unless this turn was rate-limited). */
    backoff_ms: fin.backoffMs,
    clean_ticks: after.clean_ticks,
    gate_time: gateTime,
    gates: { head: after.gates.head, hard, soft, ...(Object.keys(startHard).length ? { start: { head: atStart.head, hard: startHard } } : {}) },
    sleeps_until: fin.sleep?.until ?? null,
  };
}

/**
 * Why the same peer goes again after its failed turn: a failed turn is retried up to
 * `health.max_retries` times before the turn passes on (turn-order.ts). Without this line a log
 * showing one peer take tick after tick reads as if the others were never scheduled. Null when
 * the turn passes on (or the peer is no longer eligible).
 */
export function retryLine(peer: string, obs: TickObservation, after: LoopState, s: LoopSettings): string | null {
  if (obs.success || after.attempts === 0 || after.turn_index !== obs.turn_index) return null;
  if (pickPeer(after, s)?.peer !== peer) return null;
  const n = after.peer_order.length;
  const then = n > 1 ? `, then the turn passes to ${after.peer_order[(obs.turn_index + 1) % n]}` : '';
  return `peers: ${peer} failed its turn and goes again next tick (retry ${after.attempts} of ${s.health.maxRetries}, health.max_retries)${then}`;
}

/** The console lines of a finished turn: its outcome, what anti-cheat found, a usage-limit sleep. */
export function turnEndLines(tick: number, peer: string, headBefore: string | null, obs: TickObservation, fin: Pick<Finalized, 'sleep'>): string[] {
  const status = obs.success ? 'handoff' : obs.interrupted ? 'interrupted' : obs.classification === 'success' ? 'no-handoff' : obs.classification;
  const head = obs.head_after && obs.head_after !== headBefore ? obs.head_after.slice(0, 8) : 'no-new-commit';
  const lines = [`peers: tick ${tick} ${status} head=${head} dur=${Math.round(obs.duration_ms / 1000)}s${obs.cause ? ` -- ${obs.cause}` : ''}`];
  for (const f of obs.findings ?? []) if (f.kind !== 'test-marker') lines.push(`peers: tick ${tick} anti-cheat: ${f.kind}: ${f.detail.slice(0, 160)} → ${f.action.slice(0, 120)}`);
  if (fin.sleep && obs.classification === 'vendor-unreachable') lines.push(`peers: peer=${peer} could not reach its vendor; it sleeps until ${fin.sleep.until} (${fin.sleep.reason}) while the others work`);
  else if (fin.sleep) lines.push(`peers: peer=${peer} hit its usage limit; it sleeps until ${fin.sleep.until} (${fin.sleep.reason}) while the others work`);
  return lines;
}

/** The console line of a run that waits for the first sleeping peer to wake, `ms` from now (at `untilMs`). */
export function wakeWaitLine(waiters: readonly Waiter[], ms: number, untilMs: number): string {
  const what = waiters.every((w) => w.reason.startsWith(UNREACHABLE_REASON)) ? 'for its vendor to be reachable again' : 'for its usage limit';
  return `peers: every peer waits ${what}: ${describeWaiters(waiters)}; waiting ${formatWait(ms)} (until ${new Date(untilMs).toISOString()})`;
}

/** The console line of a stop, with why where the reason alone does not say it. */
export function stopLine(stop: StopReason, state: LoopState, maxRuntimeS: number): string {
  const why =
    stop.kind === 'blocked' && state.blocked
      ? ` — ${state.blocked.by}: ${state.blocked.reason.slice(0, 200)} (confirmed by ${state.blocked.confirmed_by})`
      : stop.kind === 'usage-limited'
        ? ` — every peer waits for its usage limit (${describeWaiters(waitersOf(state))}), past what max_runtime_s (${maxRuntimeS}s) leaves; \`peers up\` again after ${stop.until}, or raise budget.max_runtime_s`
        : stop.kind === 'vendor-unreachable'
          ? ` — ${state.unreachable_streak} turns in a row could not reach ${stop.host}; ${UNREACHABLE_ADVICE}; then \`peers up\` resumes`
          : '';
  return `peers: stopped: ${formatStopReason(stop)}${why}`;
}

function formatWait(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m < 1 ? `${Math.ceil(ms / 1000)}s` : m < 120 ? `${m} min` : `${(m / 60).toFixed(1)} h`;
}
