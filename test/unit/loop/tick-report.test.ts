/**
 * What a tick reports (src/loop/tick-report.ts): the runs.jsonl line the report, `peers status`
 * and resume read, and the console lines of a turn and a stop.
 */
import { describe, expect, test } from 'bun:test';
import { GoalsSchema } from '../../../src/config/goals-schema.ts';
import { retryLine, stopLine, tickLine, turnEndLines } from '../../../src/loop/tick-report.ts';
import { finalizeTick } from '../../../src/loop/tick.ts';
import { fail, obs, settings, state } from './fixtures.ts';

const goals = GoalsSchema.parse({
  goals: [
    { id: 'tests', type: 'hard', cmd: 'true', pass_when: 'exit_code == 0' },
    { id: 'review', type: 'soft', prompt: 'Review it.', reviewer: 'other', consensus_needed: 2 },
  ],
});
const gateTime = { sync_ms: 5, sync: ['tests'], background_ms: 0, background: [], running: null };

describe('the tick line', () => {
  test('gates at the tick HEAD, soft tallies, spend totals; the start HEAD only when the turn measured another; the sleep last', () => {
    const s = state();
    const after = { ...s, gates: { ...s.gates, head: 'bbbb', results: { tests: { state: 'pass' as const, at_tick: 1, duration_ms: 5, diagnostic: '', cached: false } } }, soft_status: {} };
    const fin = { state: after, backoffMs: 0, exit: null, peerStateAfter: 'healthy', sleep: { until: '2026-01-01T05:00:00Z', reason: 'usage limit' } };
    const atStart = { ...s.gates, head: 'aaaa', results: {} };
    const line = tickLine(goals, obs(s, { matched: { pattern: 'p', snippet: 'x', source: 'stderr' } as never }), fin, atStart, gateTime);
    expect(line.gates).toEqual({ head: 'bbbb', hard: { tests: 'pass' }, soft: { review: '0/2' }, start: { head: 'aaaa', hard: { tests: 'unknown' } } });
    expect(line.matched_error_pattern).toBe('p');
    expect(line.gate_time).toEqual(gateTime);
    expect(Object.keys(line).at(-1)).toBe('sleeps_until');
    expect(line.sleeps_until).toBe('2026-01-01T05:00:00Z');
    expect('start' in tickLine(goals, obs(s), { ...fin, sleep: null }, { ...atStart, head: 'bbbb' }, gateTime).gates).toBe(false);
  });
});

describe('soft tallies of a goal every peer must pass (reviewer: both)', () => {
  test("each peer's own passes, as the loop counts them: a complete run's report read 'bug-hunt-round-1-deep: 0/2' after each peer passed it three times", () => {
    const both = GoalsSchema.parse({ goals: [{ id: 'hunt', type: 'soft', prompt: 'Hunt.', reviewer: 'both', consensus_needed: 2 }] });
    const s = state();
    const [a, b] = s.peer_order;
    const hunt = { consensusCount: 0, lastPass: null, history: [], altCursor: 0, perPeer: { [a!]: { consensusCount: 3 }, [b!]: { consensusCount: 1 } } };
    const fin = { state: { ...s, soft_status: { hunt } }, backoffMs: 0, exit: null, peerStateAfter: 'healthy', sleep: null };
    expect(tickLine(both, obs(s), fin, s.gates, gateTime).gates.soft).toEqual({ hunt: `${a} 3/2, ${b} 1/2` });
  });
});

describe('console lines', () => {
  test('a turn: its outcome and new HEAD, anti-cheat findings but test markers, a usage-limit sleep', () => {
    const s = state();
    const o = obs(s, { findings: [{ kind: 'test-only', detail: 'only tests', action: 'reverted' }, { kind: 'test-marker', detail: 'skip', action: 'noted' }] as never });
    expect(turnEndLines(1, 'a', 'aaaa', o, { sleep: null })).toEqual(['peers: tick 1 handoff head=bbbb dur=1s', 'peers: tick 1 anti-cheat: test-only: only tests → reverted']);
    expect(turnEndLines(2, 'a', 'bbbb', obs(s, { success: false, head_after: 'bbbb' }), { sleep: { until: 'T', reason: 'r' } })).toEqual([
      'peers: tick 2 no-handoff head=no-new-commit dur=1s',
      'peers: peer=a hit its usage limit; it sleeps until T (r) while the others work',
    ]);
  });

  test('a failed turn the same peer retries says so and who goes after it; the last retry, a success and a rate limit say nothing', () => {
    const s = settings({ peers: [{ name: 'opencode', tool: 'opencode' }, { name: 'codex', tool: 'codex' }] });
    const st0 = state(['opencode', 'codex']);
    const o1 = obs(st0, { ...fail, cause: 'no commit by opencode this turn' });
    const st1 = finalizeTick(st0, o1, s).state;
    expect(retryLine('opencode', o1, st1, s)).toBe('peers: opencode failed its turn and goes again next tick (retry 1 of 1, health.max_retries), then the turn passes to codex');
    const o2 = obs(st1, { ...fail, peer: 'opencode' });
    expect(retryLine('opencode', o2, finalizeTick(st1, o2, s).state, s)).toBeNull();
    const ok = obs(st0);
    expect(retryLine('opencode', ok, finalizeTick(st0, ok, s).state, s)).toBeNull();
    const rl = obs(st0, { success: false, credit: 0, classification: 'rate-limited' });
    expect(retryLine('opencode', rl, finalizeTick(st0, rl, s).state, s)).toBeNull();
    // Paused by the operator meanwhile: it does not go again, so nothing is promised.
    expect(retryLine('opencode', o1, st1, { ...s, paused: ['opencode'] })).toBeNull();
  });

  test('a blocked stop names who declared it and who confirmed it', () => {
    const s = { ...state(), blocked: { by: 'a', reason: 'no network', sha: 'cccc', at_tick: 3, confirmed_by: 'b', confirm_reason: 'agreed' } };
    expect(stopLine({ kind: 'blocked' }, s, 21600)).toMatch(/^peers: stopped: .* — a: no network \(confirmed by b\)$/);
    expect(stopLine({ kind: 'interrupted' }, s, 21600)).not.toContain('—');
  });
});
