import { describe, expect, test } from 'bun:test';
import { finalizeTick, decidePreTick, ALL_PEERS_DOWN } from '../../../src/loop/tick.ts';
import { advanceTurn, allPeersDown, eligible, pickPeer, pickSkeptic, recoveryDue, sleepers } from '../../../src/loop/turn-order.ts';
import { fail, obs, settings, state } from './fixtures.ts';

const conv = { hardGoalIds: [], openBlockingBugs: 0, ledgerReadable: true, softConsensus: true, unapprovedGateSurface: 0, unexcusedMarkers: 0, unreadCode: 0, unauditedAuthors: [], heldByTestChanges: [] };
const run = { ticksThisRun: 0, stopRequested: false };

function play(outcomes: Array<'ok' | 'fail' | 'rl'>, order = ['a', 'b'], s = settings()) {
  let st = state(order);
  const who: string[] = [];
  for (const o of outcomes) {
    const pre = decidePreTick(st, run, { ...conv, hardGoalIds: ['g'] }, s);
    if (pre.action.kind !== 'turn') throw new Error(`stopped: ${JSON.stringify(pre.action)}`);
    who.push(pre.action.peer);
    const over = o === 'ok' ? {} : o === 'fail' ? fail : { success: false, credit: 0 as const, classification: 'rate-limited' as const };
    st = finalizeTick(pre.state, obs(pre.state, { peer: pre.action.peer, turn_index: pre.action.index, ...over }), s).state;
  }
  return { who, st };
}

describe('turn order', () => {
  test('round-robin over n peers on success', () => {
    expect(play(['ok', 'ok', 'ok', 'ok'], ['a', 'b', 'c']).who).toEqual(['a', 'b', 'c', 'a']);
  });

  test('a failing peer gets max_retries+1 attempts before the turn rotates', () => {
    expect(play(['fail', 'fail', 'ok']).who).toEqual(['a', 'a', 'b']);
    expect(play(['fail', 'fail', 'fail', 'ok'], ['a', 'b'], settings({ health: { maxRetries: 2, recoveryInterval: 8 } })).who).toEqual(['a', 'a', 'a', 'b']);
    expect(play(['fail', 'ok'], ['a', 'b'], settings({ health: { maxRetries: 0, recoveryInterval: 8 } })).who).toEqual(['a', 'b']);
  });

  test('a rate-limited turn passes on at once without counting an attempt', () => {
    expect(play(['rl', 'ok', 'ok']).who).toEqual(['a', 'b', 'a']);
  });

  test('a degraded peer is skipped, then retried after recovery_interval ticks', () => {
    const s = settings({ health: { maxRetries: 0, recoveryInterval: 3 } });
    // a fails 3 times (alternating with b's successes) → degraded at tick 5
    const { who, st } = play(['fail', 'ok', 'fail', 'ok', 'fail', 'ok', 'ok', 'ok', 'ok'], ['a', 'b'], s);
    // degraded at tick 5; skipped for ticks 6-8; retried at tick 9, which it passes
    expect(who).toEqual(['a', 'b', 'a', 'b', 'a', 'b', 'b', 'b', 'a']);
    expect(st.peers.a!.state).toBe('healthy');
  });

  test('an unavailable peer is never scheduled', () => {
    let st = state(['a', 'b', 'c']);
    st = { ...st, peers: { ...st.peers, b: { ...st.peers.b!, state: 'unavailable' } } };
    expect(pickPeer({ ...st, turn_index: 1 }, settings())).toEqual({ peer: 'c', index: 2 });
  });

  test('all peers down → halt with a named reason', () => {
    let st = state();
    st = { ...st, peers: { a: { ...st.peers.a!, state: 'unavailable' }, b: { ...st.peers.b!, state: 'degraded', cooldown_from_tick: 0 } } };
    const pre = decidePreTick(st, run, conv, settings());
    expect(pre.action).toEqual({ kind: 'stop', reason: { kind: 'all-peers-down' } });
    expect(pre.state.halted?.reason).toBe(ALL_PEERS_DOWN);
  });

  test('advanceTurn resets attempts when another peer took the turn', () => {
    const st = { ...state(), turn_index: 0, attempts: 1 };
    expect(advanceTurn(st, 1, 'failure', settings())).toEqual({ turn_index: 1, attempts: 1 });
  });
});

describe('who may take a turn', () => {
  const NOW = Date.parse('2026-01-01T03:00:00Z');
  const withPeer = (st: ReturnType<typeof state>, name: string, over: object) => ({ ...st, peers: { ...st.peers, [name]: { ...st.peers[name]!, ...over } } });
  const asleepUntil = (iso: string) => ({ waiting: { until: iso, reason: 'usage limit', since_tick: 0 } });

  test('a degraded peer is due exactly recovery_interval ticks after its last failure, and never with an interval of 0', () => {
    const h = { ...state().peers.a!, state: 'degraded' as const, cooldown_from_tick: 4 };
    expect(recoveryDue(h, 6, 3)).toBe(false);
    expect(recoveryDue(h, 7, 3)).toBe(true);
    expect(recoveryDue(h, 100, 0)).toBe(false);
    expect(recoveryDue(h, 5, 1)).toBe(true);
    expect(recoveryDue({ ...h, cooldown_from_tick: null }, 100, 3)).toBe(false);
    expect(recoveryDue({ ...h, state: 'healthy' }, 100, 3)).toBe(false);
  });

  test('a peer asleep for its usage limit is skipped until the reset time, then runs', () => {
    const st = withPeer(state(), 'a', asleepUntil('2026-01-01T04:00:00Z'));
    expect(pickPeer(st, settings(), NOW)).toEqual({ peer: 'b', index: 1 });
    expect(pickPeer(st, settings(), Date.parse('2026-01-01T04:00:00Z'))).toEqual({ peer: 'a', index: 0 });
    // Without a clock every waiting peer counts as asleep.
    expect(eligible(st, 'a', settings())).toBe(false);
    expect(eligible(st, 'nobody', settings(), NOW)).toBe(false);
  });

  test('sleepers are the peers that could run once awake: not a sleeping peer that is also down or paused', () => {
    let st = withPeer(state(['a', 'b', 'c']), 'a', asleepUntil('2026-01-01T04:00:00Z'));
    st = withPeer(st, 'b', { ...asleepUntil('2026-01-01T05:00:00Z'), state: 'unavailable' });
    expect(sleepers(st, settings(), NOW)).toEqual(['a']);
    expect(sleepers(st, settings({ paused: ['a'] }), NOW)).toEqual([]);
    expect(sleepers(st, settings(), Date.parse('2026-01-01T04:30:00Z'))).toEqual([]);
  });

  test('all peers are down when none is healthy; one healthy peer is enough', () => {
    const st = withPeer(withPeer(state(), 'a', { state: 'unavailable' }), 'b', { state: 'degraded' });
    expect(allPeersDown(st)).toBe(true);
    expect(allPeersDown(withPeer(st, 'b', { state: 'healthy' }))).toBe(false);
  });

  test('the scan for the next peer wraps around from the current turn', () => {
    const st = { ...withPeer(state(['a', 'b', 'c']), 'c', { state: 'unavailable' }), turn_index: 2 };
    expect(pickPeer(st, settings())).toEqual({ peer: 'a', index: 0 });
    expect(pickPeer(withPeer(withPeer(st, 'a', { state: 'unavailable' }), 'b', { state: 'unavailable' }), settings())).toBeNull();
  });

  test('after a success or a rate limit the turn moves to the next peer, wrapping around', () => {
    const st = { ...state(['a', 'b', 'c']), turn_index: 2, attempts: 1 };
    expect(advanceTurn(st, 2, 'success', settings())).toEqual({ turn_index: 0, attempts: 0 });
    expect(advanceTurn(st, 2, 'rate-limited', settings())).toEqual({ turn_index: 0, attempts: 0 });
    expect(advanceTurn({ ...st, attempts: 0 }, 2, 'failure', settings())).toEqual({ turn_index: 2, attempts: 1 });
    expect(advanceTurn(st, 2, 'failure', settings())).toEqual({ turn_index: 0, attempts: 0 });
  });

  test('the skeptic: the first eligible peer that is not the only author; with no authors anyone; none when only the author can run', () => {
    const st = { ...state(['a', 'b', 'c']), turn_index: 1 };
    expect(pickSkeptic(st, settings(), [])).toEqual({ peer: 'b', index: 1, audits: [] });
    expect(pickSkeptic(st, settings(), ['b'])).toEqual({ peer: 'c', index: 2, audits: ['b'] });
    expect(pickSkeptic(st, settings(), ['b', 'c'])).toEqual({ peer: 'b', index: 1, audits: ['c'] });
    const onlyB = withPeer(withPeer(st, 'a', { state: 'unavailable' }), 'c', { state: 'unavailable' });
    expect(pickSkeptic(onlyB, settings(), ['b'])).toBeNull();
    expect(pickSkeptic(withPeer(st, 'c', asleepUntil('2026-01-01T04:00:00Z')), settings(), ['b'], NOW)).toEqual({ peer: 'a', index: 0, audits: ['b'] });
  });
});
