/**
 * Peer health after a turn. States: healthy → degraded after
 * 3 failure-weights in the last 5 turns; degraded → healthy on its next success; unavailable when
 * the peer's CLI reports a halt condition (authentication, quota) — that one never heals by itself,
 * only by operator action (see `resetPeers`). A usage limit does not touch the state: the peer
 * only sleeps until the limit lifts (`waiting`, peer-sleep.ts).
 */
import type { PeerHealth } from '../state/state-schema.ts';
import { freshPeerHealth } from '../state/state-schema.ts';

export const RECENT_WINDOW = 5;
export const DEGRADE_AT = 3;

/** 1 = success or rate-limited, 0.5 = productive commits but no clean handoff, 0 = failure. */
export type TurnCredit = 0 | 0.5 | 1;

export function recentFails(runs: number[]): number {
  return runs.reduce((sum, r) => sum + (1 - r), 0);
}

export type HealthInput = {
  tick: number;
  credit: TurnCredit;
  rateLimited: boolean;
  classification: string;
  durationMs: number;
  /** A halt pattern or structured halt event: the peer cannot work until the operator acts. */
  halt: { reason: string } | null;
  /** A usage limit: the peer sleeps until then (peer-sleep.ts); its health is untouched. */
  sleep?: { until: string; reason: string } | null;
  tokens: number;
  usd: number;
};

export function updatePeerHealth(h: PeerHealth, i: HealthInput): PeerHealth {
  const recent_runs = [...h.recent_runs, i.rateLimited ? 1 : i.credit].slice(-RECENT_WINDOW);
  const base: PeerHealth = {
    ...h,
    recent_runs,
    last_classification: i.classification,
    last_duration_ms: Math.max(0, Math.round(i.durationMs)),
    turns: h.turns + 1,
    successes: h.successes + (i.credit === 1 && !i.rateLimited ? 1 : 0),
    tokens: h.tokens + i.tokens,
    usd: h.usd + i.usd,
    waiting: i.sleep ? { until: i.sleep.until, reason: i.sleep.reason, since_tick: i.tick } : null,
    limit_streak: i.sleep ? h.limit_streak + 1 : 0,
  };
  if (i.halt) return { ...base, state: 'unavailable', reason: i.halt.reason, cooldown_from_tick: null };
  if (h.state === 'unavailable') return base;
  if (i.rateLimited) return base;
  const success = i.credit === 1;
  if (h.state === 'degraded') {
    if (success) return { ...base, state: 'healthy', reason: null, cooldown_from_tick: null };
    return { ...base, cooldown_from_tick: i.tick };
  }
  const fails = recentFails(recent_runs);
  if (!success && fails >= DEGRADE_AT) {
    const n = Number.isInteger(fails) ? String(fails) : fails.toFixed(1);
    return { ...base, state: 'degraded', reason: `recent-fails:${n}/${RECENT_WINDOW} | last=${i.classification}`, cooldown_from_tick: i.tick };
  }
  return base;
}

/** Operator action: the named peers (or all) start over as healthy, keeping their counters. */
export function resetPeerHealth(h: PeerHealth): PeerHealth {
  return { ...freshPeerHealth(), turns: h.turns, successes: h.successes, tokens: h.tokens, usd: h.usd };
}
