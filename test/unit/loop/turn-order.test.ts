import { describe, expect, test } from 'bun:test';
import { finalizeTick, decidePreTick, ALL_PEERS_DOWN } from '../../../src/loop/tick.ts';
import { advanceTurn, pickPeer } from '../../../src/loop/turn-order.ts';
import { fail, obs, settings, state } from './fixtures.ts';

const conv = { hardGoalIds: [], openBlockingBugs: 0, ledgerReadable: true, softConsensus: true, unapprovedGateSurface: 0, unauditedAuthors: [] };
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
