import { describe, expect, test } from 'bun:test';
import { updatePeerHealth, recentFails, resetPeerHealth } from '../../../src/loop/peer-health.ts';
import { accountTick, sanitizeTokens, sanitizeUsd, withLedgerSpend } from '../../../src/loop/budget-ledger.ts';
import { backoffMs } from '../../../src/loop/backoff.ts';
import { freshPeerHealth } from '../../../src/state/state-schema.ts';
import { state } from './fixtures.ts';

const turn = (over = {}) => ({ tick: 1, credit: 1 as const, rateLimited: false, classification: 'success', durationMs: 10, halt: null, tokens: 5, usd: 0.1, ...over });

describe('peer health', () => {
  test('three failure-weights in the last five turns degrade a peer; half credit counts half', () => {
    let h = freshPeerHealth();
    h = updatePeerHealth(h, turn({ credit: 0, classification: 'process-fail' }));
    h = updatePeerHealth(h, turn({ credit: 0.5 }));
    h = updatePeerHealth(h, turn({ credit: 0, classification: 'process-fail' }));
    expect(h.state).toBe('healthy');
    expect(recentFails(h.recent_runs)).toBe(2.5);
    h = updatePeerHealth(h, turn({ tick: 9, credit: 0.5 }));
    expect(h).toMatchObject({ state: 'degraded', cooldown_from_tick: 9, reason: 'recent-fails:3/5 | last=success' });
  });

  test('a degraded peer heals on its next success and re-arms its cooldown on a failure', () => {
    const degraded = { ...freshPeerHealth(), state: 'degraded' as const, cooldown_from_tick: 3 };
    expect(updatePeerHealth(degraded, turn({ tick: 12, credit: 0 })).cooldown_from_tick).toBe(12);
    expect(updatePeerHealth(degraded, turn()).state).toBe('healthy');
  });

  test('rate-limited turns count as fine and never change the state', () => {
    const h = updatePeerHealth(freshPeerHealth(), turn({ credit: 0, rateLimited: true, classification: 'rate-limited' }));
    expect(h.recent_runs).toEqual([1]);
    expect(h.successes).toBe(0);
  });

  test('a halt makes a peer unavailable, and nothing but an operator heals it', () => {
    const u = updatePeerHealth(freshPeerHealth(), turn({ credit: 0, halt: { reason: 'halt-pattern: auth' } }));
    expect(u).toMatchObject({ state: 'unavailable', reason: 'halt-pattern: auth' });
    expect(updatePeerHealth(u, turn()).state).toBe('unavailable');
    let failing = u;
    for (let i = 0; i < 4; i++) failing = updatePeerHealth(failing, turn({ credit: 0 }));
    expect(failing).toMatchObject({ state: 'unavailable', reason: 'halt-pattern: auth' });
  });

  test('per-peer tokens and USD accumulate', () => {
    const h = updatePeerHealth(updatePeerHealth(freshPeerHealth(), turn()), turn({ tokens: 7, usd: 0.25 }));
    expect(h.tokens).toBe(12);
    expect(h.usd).toBeCloseTo(0.35);
  });
});

describe('budget ledger', () => {
  test('runtime always counts; wasted runtime and the failure streak only on failures; rate limits are neutral', () => {
    let b = state().budget;
    b = accountTick(b, { success: false, rateLimited: false, durationMs: 1000, tokens: 10, usd: 0.5 });
    b = accountTick(b, { success: false, rateLimited: false, durationMs: 500, tokens: 0, usd: 0 });
    expect(b).toMatchObject({ spent_runtime_ms: 1500, wasted_runtime_ms: 1500, consecutive_failures: 2, spent_tokens: 10, spent_usd: 0.5 });
    b = accountTick(b, { success: false, rateLimited: true, durationMs: 100, tokens: 0, usd: 0 });
    expect(b).toMatchObject({ spent_runtime_ms: 1600, wasted_runtime_ms: 1500, consecutive_failures: 0 });
  });

  test('USD is summed without float drift and junk values are ignored', () => {
    let b = state().budget;
    for (let i = 0; i < 10; i++) b = accountTick(b, { success: true, rateLimited: false, durationMs: 0, tokens: Number.NaN, usd: 0.1 });
    expect(b.spent_usd).toBe(1);
    expect(b.spent_tokens).toBe(0);
  });
});

describe('rate-limit backoff', () => {
  test('15, 30, 60, 120, 120 s', () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffMs(n, 15000) / 1000)).toEqual([15, 30, 60, 120, 120, 120]);
    expect(backoffMs(0, 15000)).toBe(0);
  });
});

describe('peer health: what status shows after a turn', () => {
  test('the last classification, duration, turn count and successes are recorded; a half-credit turn is not a success', () => {
    let h = updatePeerHealth(freshPeerHealth(), turn({ classification: 'success', durationMs: 1234.6 }));
    expect(h).toMatchObject({ last_classification: 'success', last_duration_ms: 1235, turns: 1, successes: 1 });
    h = updatePeerHealth(h, turn({ credit: 0.5, classification: 'no-handoff', durationMs: -5 }));
    expect(h).toMatchObject({ last_classification: 'no-handoff', last_duration_ms: 0, turns: 2, successes: 1, recent_runs: [1, 0.5] });
  });

  test('only the last five turns count towards degrading', () => {
    let h = freshPeerHealth();
    for (const credit of [0, 0, 1, 1, 1, 1] as const) h = updatePeerHealth(h, turn({ credit }));
    expect(h.recent_runs).toEqual([0, 1, 1, 1, 1]);
    h = updatePeerHealth(h, turn({ credit: 0 }));
    h = updatePeerHealth(h, turn({ credit: 0 }));
    expect(h.state).toBe('healthy');
    expect(recentFails(h.recent_runs)).toBe(2);
    h = updatePeerHealth(h, turn({ tick: 30, credit: 0, classification: 'timeout' }));
    expect(h).toMatchObject({ state: 'degraded', reason: 'recent-fails:3/5 | last=timeout', cooldown_from_tick: 30 });
  });

  test('a success does not degrade a peer even with three failures in its window', () => {
    let h = freshPeerHealth();
    for (let i = 0; i < 3; i++) h = updatePeerHealth(h, turn({ credit: 0 }));
    expect(h.state).toBe('degraded');
    let fresh = { ...freshPeerHealth(), recent_runs: [0, 0, 0] };
    fresh = updatePeerHealth(fresh, turn());
    expect(fresh.state).toBe('healthy');
    expect(fresh.reason).toBeNull();
  });

  test('a degraded peer that succeeds is healthy again with no reason and no cooldown', () => {
    const degraded = { ...freshPeerHealth(), state: 'degraded' as const, reason: 'recent-fails:3/5 | last=timeout', cooldown_from_tick: 3, recent_runs: [0, 0, 0] };
    expect(updatePeerHealth(degraded, turn())).toMatchObject({ state: 'healthy', reason: null, cooldown_from_tick: null });
    const stillDegraded = updatePeerHealth(degraded, turn({ tick: 7, credit: 0.5 }));
    expect(stillDegraded).toMatchObject({ state: 'degraded', reason: 'recent-fails:3/5 | last=timeout', cooldown_from_tick: 7 });
  });

  test('a halt overrides a rate limit and clears any cooldown', () => {
    const degraded = { ...freshPeerHealth(), state: 'degraded' as const, cooldown_from_tick: 3 };
    expect(updatePeerHealth(degraded, turn({ rateLimited: true, halt: { reason: 'quota' } }))).toMatchObject({ state: 'unavailable', reason: 'quota', cooldown_from_tick: null });
  });

  test('a rate-limited turn neither heals a degraded peer nor re-arms its cooldown', () => {
    const degraded = { ...freshPeerHealth(), state: 'degraded' as const, cooldown_from_tick: 3 };
    expect(updatePeerHealth(degraded, turn({ tick: 20, credit: 0, rateLimited: true }))).toMatchObject({ state: 'degraded', cooldown_from_tick: 3 });
    let h = freshPeerHealth();
    for (let i = 0; i < 4; i++) h = updatePeerHealth(h, turn({ credit: 0, rateLimited: true }));
    expect(h.state).toBe('healthy');
  });

  test('a usage limit puts the peer to sleep until the vendor reset and counts the streak; any other turn wakes it', () => {
    const sleep = { until: '2026-01-01T05:00:00.000Z', reason: 'usage limit' };
    let h = updatePeerHealth(freshPeerHealth(), turn({ tick: 4, credit: 0, sleep }));
    expect(h).toMatchObject({ state: 'healthy', waiting: { until: sleep.until, reason: 'usage limit', since_tick: 4 }, limit_streak: 1 });
    h = updatePeerHealth(h, turn({ tick: 5, credit: 0, sleep }));
    expect(h.limit_streak).toBe(2);
    h = updatePeerHealth(h, turn({ tick: 6 }));
    expect(h).toMatchObject({ waiting: null, limit_streak: 0 });
  });

  test('a whole failure count is shown as a whole number, a fractional one with one decimal', () => {
    let h = { ...freshPeerHealth(), recent_runs: [0, 0, 0.5, 1] };
    h = updatePeerHealth(h, turn({ tick: 2, credit: 0.5, classification: 'no-handoff' }));
    expect(h).toMatchObject({ state: 'degraded', reason: 'recent-fails:3/5 | last=no-handoff' });
    let k = { ...freshPeerHealth(), recent_runs: [0, 0, 0.5, 0.5] };
    k = updatePeerHealth(k, turn({ tick: 2, credit: 0.5, classification: 'no-handoff' }));
    expect(k).toMatchObject({ state: 'degraded', reason: 'recent-fails:3.5/5 | last=no-handoff' });
  });

  test('an operator reset makes a peer healthy again and keeps its counters', () => {
    const worn = { ...freshPeerHealth(), state: 'unavailable' as const, reason: 'auth', recent_runs: [0, 0, 0], turns: 9, successes: 4, tokens: 100, usd: 2.5, cooldown_from_tick: 5 };
    expect(resetPeerHealth(worn)).toEqual({ ...freshPeerHealth(), turns: 9, successes: 4, tokens: 100, usd: 2.5 });
  });
});

describe('budget ledger: what the bill and the failure budget show', () => {
  test('a success resets the failure streak and wastes nothing', () => {
    let b = state().budget;
    b = accountTick(b, { success: false, rateLimited: false, durationMs: 700, tokens: 0, usd: 0 });
    b = accountTick(b, { success: false, rateLimited: false, durationMs: 300, tokens: 0, usd: 0 });
    expect(b.consecutive_failures).toBe(2);
    b = accountTick(b, { success: true, rateLimited: false, durationMs: 400, tokens: 3, usd: 0.25 });
    expect(b).toMatchObject({ consecutive_failures: 0, spent_runtime_ms: 1400, wasted_runtime_ms: 1000, spent_tokens: 3, spent_usd: 0.25 });
  });

  test('durations are rounded and never negative; fractional tokens round down; negative or infinite spend is ignored', () => {
    let b = state().budget;
    b = accountTick(b, { success: false, rateLimited: false, durationMs: 10.5, tokens: 7.9, usd: -3 });
    b = accountTick(b, { success: false, rateLimited: false, durationMs: -50, tokens: -4, usd: Number.POSITIVE_INFINITY });
    b = accountTick(b, { success: true, rateLimited: false, durationMs: 0, tokens: Number.POSITIVE_INFINITY, usd: 0.000001 });
    expect(b).toMatchObject({ spent_runtime_ms: 11, wasted_runtime_ms: 11, spent_tokens: 7, spent_usd: 0.000001 });
    expect(sanitizeTokens('12')).toBe(0);
    expect(sanitizeTokens(1)).toBe(1);
    expect(sanitizeUsd('0.5')).toBe(0);
    expect(sanitizeUsd(0.5)).toBe(0.5);
    expect(sanitizeUsd(Number.NaN)).toBe(0);
  });

  test('in the pod the sidecar ledger is the run total, floored and never negative', () => {
    const b = { ...state().budget, spent_tokens: 5, spent_usd: 9 };
    expect(withLedgerSpend(b, { tokens: 1234.9, usd: 1.234567891 })).toMatchObject({ spent_tokens: 1234, spent_usd: 1.23456789 });
    expect(withLedgerSpend(b, { tokens: -1, usd: -2 })).toMatchObject({ spent_tokens: 0, spent_usd: 0 });
  });
});
