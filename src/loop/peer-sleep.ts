/**
 * Usage limits, one peer at a time (docs/ARCHITECTURE.md, "Usage limits"). A subscription peer
 * whose vendor says its usage limit is reached sleeps until the reset the vendor named (else a
 * bounded backoff) while the other peers keep working; when every peer that could work is asleep,
 * the run waits for the first to wake, within max_runtime_s, or stops saying until when it would
 * have had to wait. Pure: every decision takes the clock as an argument.
 */
import type { LimitedLine } from '../../auth-proxy/usage/usage-ledger.ts';
import type { VendorLimit } from '../peer-output/vendor-limit.ts';
import type { LoopState, PeerHealth } from '../state/state-schema.ts';

/** Never sooner than this: a reset "now" or in the past would only burn a turn on the same refusal. */
export const MIN_SLEEP_MS = 30_000;
/** Never later than this (the longest vendor window is a week): a garbled reset cannot park a peer for good. */
export const MAX_SLEEP_MS = 8 * 86_400_000;
/** Past the reset, a little slack: the vendor's window closes on its clock, not ours. */
export const RESET_SLACK_MS = 10_000;
/** Without a reset time: 10 min, doubling with each limited turn in a row, at most 2 h. */
export const LIMIT_BACKOFF_BASE_MS = 10 * 60_000;
export const LIMIT_BACKOFF_CAP_MS = 2 * 3_600_000;

/**
 * The usage limit a turn ran into. The sidecar's ledger lines (the vendor's own reply, read in
 * the pod) come first; the CLI's output is the fallback (runs outside the pod). A quota (credit
 * gone) anywhere wins: waiting would not help. Ordinary rate limits are not usage limits.
 */
export function turnUsageLimit(ledger: readonly Pick<LimitedLine, 'upstream' | 'limit' | 'reset_at' | 'source' | 'message'>[], output: VendorLimit | null): VendorLimit | null {
  const quota = ledger.findLast((l) => l.limit === 'quota');
  if (quota) return { kind: 'quota', resetAtMs: null, source: `${quota.upstream} ${quota.source}`, message: quota.message };
  if (output?.kind === 'quota') return output;
  const usage = ledger.findLast((l) => l.limit === 'usage');
  if (usage) {
    const at = usage.reset_at === null ? NaN : Date.parse(usage.reset_at);
    if (Number.isFinite(at)) return { kind: 'usage', resetAtMs: at, source: `${usage.upstream} ${usage.source}`, message: usage.message };
    // The reply gave no reset; the CLI may have printed one.
    if (output?.kind === 'usage' && output.resetAtMs !== null) return { ...output, message: usage.message || output.message };
    return { kind: 'usage', resetAtMs: null, source: `${usage.upstream} ${usage.source}`, message: usage.message };
  }
  return output?.kind === 'usage' ? output : null;
}

export type Sleep = { untilMs: number; basis: string };

/** Until when a peer sleeps after its `streak`-th usage-limited turn in a row. */
export function sleepUntil(limit: Pick<VendorLimit, 'resetAtMs' | 'source'>, nowMs: number, streak: number): Sleep {
  if (limit.resetAtMs !== null) {
    const want = limit.resetAtMs + RESET_SLACK_MS;
    const untilMs = Math.min(nowMs + MAX_SLEEP_MS, Math.max(nowMs + MIN_SLEEP_MS, want));
    const basis = untilMs === want ? `reset from ${limit.source}` : untilMs < want ? `reset from ${limit.source}, capped at ${MAX_SLEEP_MS / 86_400_000} days` : `reset from ${limit.source}, waiting at least ${MIN_SLEEP_MS / 1000}s`;
    return { untilMs, basis };
  }
  const backoff = Math.min(LIMIT_BACKOFF_CAP_MS, LIMIT_BACKOFF_BASE_MS * 2 ** Math.max(0, streak - 1));
  return { untilMs: nowMs + backoff, basis: `no reset time given: backoff ${Math.round(backoff / 60_000)} min` };
}

/**
 * A peer whose vendor could not be reached (vendor-unreachable) sleeps 4 × the rate-limit backoff
 * base (1 min in production), doubling with each such turn in a row, at most 16 × that (16 min):
 * the network may come back, and a turn that would only fail the same way again is not spent.
 * The run stops after max_consecutive_failures of them in a row (tick.ts).
 */
export function unreachableSleepMs(backoffBaseMs: number, streak: number): number {
  const base = 4 * backoffBaseMs;
  return Math.min(16 * base, base * 2 ** Math.max(0, Math.min(30, streak - 1)));
}

/** How the sleep of a vendor-unreachable turn is worded in state.json (`vendor unreachable: HOST; …`). */
export const UNREACHABLE_REASON = 'vendor unreachable: ';

/**
 * The run as a new start of the loop takes it up: the operator who ran `peers up` after a
 * vendor-unreachable stop has seen to the network, so no peer sleeps for it any more and the count
 * of such turns in a row starts again. Kept, the peers slept up to 16 minutes (counted as run
 * time) and one more unreachable turn stopped the run again. A usage limit's sleep is the
 * vendor's, not the network's, and stays.
 */
export function wakeFromUnreachable(state: LoopState): LoopState {
  const peers = Object.fromEntries(Object.entries(state.peers).map(([name, h]) => [name, h.waiting?.reason.startsWith(UNREACHABLE_REASON) ? { ...h, waiting: null } : h]));
  return { ...state, peers, unreachable_streak: 0 };
}

/** What `peers status` and the stop say to check when a vendor cannot be reached. */
export const UNREACHABLE_ADVICE = "check this machine's DNS and any proxy or firewall in the way (the pod's egress proxy connects directly, with the host's resolver), and that the host is reachable: `peers doctor` resolves every vendor host";

/** The peer is asleep at `nowMs`. */
export function isAsleep(h: Pick<PeerHealth, 'waiting'>, nowMs: number): boolean {
  if (!h.waiting) return false;
  const until = Date.parse(h.waiting.until);
  // An unreadable time fails closed for the peer (it sleeps) but never for the run: see nextWake.
  return !Number.isFinite(until) || until > nowMs;
}

/** When a sleeping peer wakes (an unreadable time counts as the longest sleep from now). */
export function wakeMs(h: Pick<PeerHealth, 'waiting'>, nowMs: number): number {
  const until = h.waiting ? Date.parse(h.waiting.until) : NaN;
  return Number.isFinite(until) ? until : nowMs + MAX_SLEEP_MS;
}

export type Waiter = { peer: string; until: string; reason: string };

/**
 * What to do when no peer can take a turn now but some of them only sleep: `sleepers` are the
 * peers that could work once awake. The run waits for the first to wake if the wait fits in what
 * is left of max_runtime_s; otherwise it stops, saying until when it would have had to wait.
 */
export function decideWait(state: LoopState, sleepers: string[], nowMs: number, maxRuntimeS: number): { kind: 'wait'; untilMs: number; waiters: Waiter[] } | { kind: 'stop'; untilMs: number; waiters: Waiter[] } | null {
  if (sleepers.length === 0) return null;
  const waiters = sleepers.map((peer) => {
    const h = state.peers[peer]!;
    return { peer, until: new Date(wakeMs(h, nowMs)).toISOString(), reason: h.waiting?.reason ?? 'usage limit' };
  });
  const untilMs = Math.min(...sleepers.map((p) => wakeMs(state.peers[p]!, nowMs)));
  const left = maxRuntimeS * 1000 - state.budget.spent_runtime_ms;
  return untilMs - nowMs <= left ? { kind: 'wait', untilMs, waiters } : { kind: 'stop', untilMs, waiters };
}

/** Every peer with a usage-limit wait recorded (asleep or not), as status and stop messages list them. */
export function waitersOf(state: LoopState): Waiter[] {
  return state.peer_order.flatMap((peer) => {
    const w = state.peers[peer]?.waiting;
    return w ? [{ peer, until: w.until, reason: w.reason }] : [];
  });
}

/** "claude until 2026-01-01T05:00:10Z (reset from …), codex until …": who waits until when, for logs and stop messages. */
export function describeWaiters(waiters: readonly Waiter[]): string {
  return waiters.map((w) => `${w.peer} until ${w.until.replace(/\.\d{3}Z$/, 'Z')} (${w.reason})`).join(', ');
}
