/**
 * The shape of `state.json`: everything the loop must remember between ticks and across restarts.
 * zod validates it on every read (a hand-edited or torn file is refused with a clear message) and
 * on every write (the loop never persists a state it could not read back).
 */
import { z } from 'zod';

export const STATE_SCHEMA_VERSION = 1;

const reviewCount = z.number().int().min(0);
/**
 * `stale`: a commit after the vote changed code, so it no longer counts (soft-reviews.ts, voidVotes).
 * `self`: a pass by a peer that wrote changes under review (every reviewer mode but `both`): never counted, kept
 * only as what that peer read, where another voter's window may start (soft-reviews.ts, windowStart).
 */
export const ReviewRecordSchema = z.object({ pass: z.boolean(), reviewer: z.string(), sha: z.string(), notes: z.string(), stale: z.boolean().optional(), self: z.boolean().optional() });
export type ReviewRecord = z.infer<typeof ReviewRecordSchema>;
/**
 * One goal's review tally as state.json keeps it (`soft_status[goal]`); src/protocol/soft-reviews.ts
 * computes it. Defined here, with the rest of state.json's shape, because the protocol's rules sit
 * above the state store (docs/ARCHITECTURE.md, Layers).
 */
export const SoftStatusSchema = z.object({
  consensusCount: reviewCount,
  lastPass: z.boolean().nullable(),
  lastReviewer: z.string().optional(),
  history: z.array(ReviewRecordSchema),
  altCursor: reviewCount,
  perPeer: z.record(z.string(), z.object({ consensusCount: reviewCount })),
});
export type SoftStatus = z.infer<typeof SoftStatusSchema>;

export const PEER_STATES = ['healthy', 'degraded', 'unavailable'] as const;
export type PeerState = (typeof PEER_STATES)[number];

const count = z.number().int().min(0);

export const PeerHealthSchema = z.object({
  state: z.enum(PEER_STATES),
  /** Last 5 turns: 1 = success (or rate-limited), 0.5 = productive without handoff, 0 = failure. */
  recent_runs: z.array(z.number().min(0).max(1)).max(5),
  /** Tick at which the peer was degraded, or last failed while degraded (recovery clock start). */
  cooldown_from_tick: count.nullable(),
  reason: z.string().nullable(),
  last_classification: z.string().nullable(),
  last_duration_ms: count.nullable(),
  turns: count,
  successes: count,
  tokens: count,
  usd: z.number().min(0),
  /** The peer's latest failed tick and its one-line cause (src/loop/failure-cause.ts). */
  last_failure: z.object({ tick: count, cause: z.string() }).nullable().default(null),
  /**
   * Asleep until its vendor's usage limit lifts (src/loop/peer-sleep.ts): not given a turn before
   * `until` (ISO 8601) while the other peers work. Cleared by its next turn that is not limited.
   */
  waiting: z.object({ until: z.string(), reason: z.string(), since_tick: count }).nullable().default(null),
  /** Usage-limited turns in a row (the backoff without a vendor reset time grows with it). */
  limit_streak: count.default(0),
});
export type PeerHealth = z.infer<typeof PeerHealthSchema>;

export const GateRecordSchema = z.object({
  state: z.enum(['pass', 'fail']),
  diagnostic: z.string(),
  duration_ms: count,
  cached: z.boolean(),
  /** Measured by a background job of an `expensive` goal (src/loop/expensive-gates.ts), at this same commit. */
  background: z.boolean().optional(),
});
export type GateRecord = z.infer<typeof GateRecordSchema>;

/**
 * The last finished measurement of an `expensive` goal, with the commit it judged and the digest of
 * the goal definition it ran: it stands for that commit only, never for a later HEAD.
 */
export const ExpensiveResultSchema = z.object({
  head: z.string(),
  digest: z.string(),
  state: z.enum(['pass', 'fail']),
  diagnostic: z.string(),
  duration_ms: count,
  /** Started in the background while a peer worked (false: run synchronously before convergence). */
  background: z.boolean(),
});
export type ExpensiveResult = z.infer<typeof ExpensiveResultSchema>;

export const LoopStateSchema = z.object({
  schema_version: z.literal(STATE_SCHEMA_VERSION),
  /** Completed ticks, cumulative across runs (the number of the last runs.jsonl tick line). */
  tick: count,
  peer_order: z.array(z.string().min(1)).min(2),
  turn_index: count,
  /** Failed attempts of the peer whose turn it is (rotates after max_retries + 1). */
  attempts: count,
  peers: z.record(z.string(), PeerHealthSchema),
  budget: z.object({
    spent_runtime_ms: count,
    wasted_runtime_ms: count,
    consecutive_failures: count,
    spent_tokens: count,
    spent_usd: z.number().min(0),
    /** warn mode: the cap value we already warned about, so the warning is given once per cap. */
    usd_warned_for: z.number().nullable(),
    /** max_usd_mode as resolved at the last start (auto → hard|warn) and why. */
    usd_cap_mode: z.string().nullable(),
  }),
  gates: z.object({
    /** The commit the recorded results belong to; the same HEAD is never evaluated twice. */
    head: z.string().nullable(),
    results: z.record(z.string(), GateRecordSchema),
    /** Consecutive red evaluations per gate (distinct heads), for the stuck halt. */
    red_streak: z.record(z.string(), count),
    /** The tick whose pre-tick last counted red gates (a pre-tick re-run after a crash counts once). */
    counted_for_tick: count.nullable(),
    /** `expensive` goals: the last finished measurement of each, at the commit it judged (absent in older states). */
    expensive: z.record(z.string(), ExpensiveResultSchema).optional(),
  }),
  clean_ticks: count,
  /** Tick number of the skeptic turn since convergence was last reached; null = not yet run. */
  skeptic_ran_at_tick: count.nullable(),
  rate_limit_streak: count,
  /**
   * Turns in a row, of any peer, whose vendor could not be reached (classification
   * vendor-unreachable: DNS, a proxy, a firewall); at max_consecutive_failures the run stops as
   * `vendor-unreachable:<host>` (absent in older states).
   */
  unreachable_streak: count.default(0),
  /** Warnings queued for the next prompt (popped when a prompt shows them). */
  warnings: z.array(z.string()),
  /**
   * Warnings held for one peer's next prompt whoever runs in between: about its own conduct (the
   * offender must read them) and every anti-cheat finding about another peer (so every
   * counterpart audits it, not only the next one).
   */
  peer_warnings: z.record(z.string(), z.array(z.string())).default({}),
  /** Soft-goal review tallies (SoftStatus above), keyed by goal id. */
  soft_status: z.record(z.string(), SoftStatusSchema),
  /** Per-peer anti-cheat memory (src/protocol/anti-cheat.ts AntiCheatPeerState). */
  anti_cheat: z.record(z.string(), z.object({ prewarned: z.string().optional(), consecutiveReverts: count })),
  /**
   * Per-peer review cursor: HEAD at the end of the peer's last turn. Its next prompt shows every
   * change since then (CHANGES) and the other peers' commit messages (INBOX); `baseline` before its first turn.
   */
  inbox_cursor: z.record(z.string(), z.string()),
  /** HEAD when this run started: where reviews, markers and audits begin (never the movable peers-baseline tag). */
  baseline: z.string().nullable().default(null),
  /**
   * "Green with the tests the run started with" (src/protocol/baseline-tests.ts), measured when the
   * run could converge: the HEAD it judged and that HEAD's tree (a commit with the same tree, such
   * as an empty handoff, is not measured again), the gates held at it, why, and the gates' states
   * at the run's start once they were needed (measured once per run).
   */
  baseline_tests: z
    .object({
      head: z.string(),
      tree: z.string(),
      held: z.array(z.string()),
      detail: z.string(),
      start: z.record(z.string(), z.enum(['pass', 'fail'])).nullable(),
      /** Per gate, how many tests its run at the run's start ran, per runner summary (src/protocol/tests-run.ts); null until measured. */
      start_tests: z.record(z.string(), z.record(z.string(), z.number().int().nonnegative())).nullable().default(null),
    })
    .nullable()
    .default(null),
  /**
   * Per gate, the tests it ran at the run's start, per runner summary (src/protocol/tests-run.ts),
   * from the loop's own first measure of the baseline ({} for a gate measured without a count); the
   * fewer-tests rule compares the converging tree with it (src/loop/shell/baseline-tests-run.ts).
   */
  start_tests: z.record(z.string(), z.record(z.string(), z.number().int().nonnegative())).nullable().default(null),
  /** Per author: the HEAD up to which a skeptic tick by another peer has re-audited its changes. */
  skeptic_audited: z.record(z.string(), z.string()).default({}),
  /** A peer's `Peer-Status: blocked` declaration; confirmed by another peer, it stops the run as `blocked`. */
  blocked: z
    .object({ by: z.string(), reason: z.string(), sha: z.string(), at_tick: count, confirmed_by: z.string().nullable(), confirm_reason: z.string().nullable() })
    .nullable()
    .default(null),
  /** Commits of the run made outside any attested turn, credited to no peer (src/loop/shell/unattested.ts; oldest first, the last 1000). */
  unattested: z.array(z.string()).max(1000).default([]),
  /** Git hooks and code-running config present when the run started (anything added later is planted). */
  git_exec_surface: z.object({ hooks: z.record(z.string(), z.string()), config: z.array(z.string()) }).nullable().default(null),
  /**
   * Containers of the pod the loop found dead (`egress`, `auth`, …) and since when: the run holds,
   * no turn starts, until each is back (src/loop/pod-health.ts); null while the pod is whole.
   */
  degraded: z.object({ down: z.array(z.string()).min(1), since: z.string() }).nullable().default(null),
  /** Set when every peer is down; only an operator action clears it. */
  halted: z.object({ reason: z.string(), at_tick: count }).nullable(),
  /** sha256 of the config snapshot the state was last run with (a change is an operator action). */
  config_digest: z.string().nullable(),
  updated_at: z.string(),
});
export type LoopState = z.infer<typeof LoopStateSchema>;

export function freshPeerHealth(): PeerHealth {
  return { state: 'healthy', recent_runs: [], cooldown_from_tick: null, reason: null, last_classification: null, last_duration_ms: null, turns: 0, successes: 0, tokens: 0, usd: 0, last_failure: null, waiting: null, limit_streak: 0 };
}

export function freshState(peerOrder: string[], now = new Date()): LoopState {
  return {
    schema_version: STATE_SCHEMA_VERSION,
    tick: 0,
    peer_order: [...peerOrder],
    turn_index: 0,
    attempts: 0,
    peers: Object.fromEntries(peerOrder.map((p) => [p, freshPeerHealth()])),
    budget: { spent_runtime_ms: 0, wasted_runtime_ms: 0, consecutive_failures: 0, spent_tokens: 0, spent_usd: 0, usd_warned_for: null, usd_cap_mode: null },
    gates: { head: null, results: {}, red_streak: {}, counted_for_tick: null },
    clean_ticks: 0,
    skeptic_ran_at_tick: null,
    rate_limit_streak: 0,
    unreachable_streak: 0,
    warnings: [],
    peer_warnings: {},
    soft_status: {},
    anti_cheat: {},
    inbox_cursor: {},
    baseline: null,
    baseline_tests: null,
    start_tests: null,
    skeptic_audited: {},
    blocked: null,
    unattested: [],
    git_exec_surface: null,
    degraded: null,
    halted: null,
    config_digest: null,
    updated_at: now.toISOString(),
  };
}
