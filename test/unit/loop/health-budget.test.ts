import { describe, expect, test } from 'bun:test';
import { updatePeerHealth, recentFails } from '../../../src/loop/peer-health.ts';
import { accountTick } from '../../../src/loop/budget-ledger.ts';
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
