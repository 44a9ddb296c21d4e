/**
 * The tick's bookkeeping as status and the next prompt show it: what a turn leaves behind (last
 * failure, degraded by anti-cheat, rate-limit streak and backoff, audit marks, review cursor,
 * unattested commits, held warnings) and which stop the pre-tick chooses first.
 */
import { describe, expect, test } from 'bun:test';
import { decidePreTick, finalizeTick, HELD_WARNINGS_MAX, QUEUED_WARNINGS_MAX, recordGates, WARNING_MAX_CHARS } from '../../../src/loop/tick.ts';
import { fail, obs, settings, state } from './fixtures.ts';

const conv = { hardGoalIds: ['g'], openBlockingBugs: 0, ledgerReadable: true, softConsensus: true, unapprovedGateSurface: 0, unexcusedMarkers: 0, unreadCode: 0, unauditedAuthors: [], heldByTestChanges: [] };
const run = { ticksThisRun: 0, stopRequested: false };
const NOW = new Date('2026-01-01T01:00:00Z');
const haltOn = (reason: string) => ({ reason, pattern: reason, snippet: reason, source: 'in-loop' as const });
const green = (st = state()) => recordGates(st, 'h1', [{ id: 'g', state: 'pass', durationMs: 1, diagnostic: '', cached: false }]);

describe('pre-tick: which stop comes first', () => {
  test('a reached cap stops before anything else is decided', () => {
    const st = { ...green(), tick: 200, clean_ticks: 9 };
    expect(decidePreTick(st, run, conv, settings()).action).toEqual({ kind: 'stop', reason: { kind: 'budget', cap: 'max_ticks' } });
  });

  test('a gate red for stuck_halt_after ticks stops the run as stuck', () => {
    const st = { ...state(), gates: { ...state().gates, red_streak: { 'tests-pass': 5 } } };
    expect(decidePreTick(st, run, conv, settings()).action).toEqual({ kind: 'stop', reason: { kind: 'stuck', gate: 'tests-pass' } });
  });

  test('a converged run whose skeptic has run stops as complete', () => {
    const st = { ...green(), clean_ticks: 2, skeptic_ran_at_tick: 3 };
    expect(decidePreTick(st, run, conv, settings())).toEqual({ state: st, action: { kind: 'stop', reason: { kind: 'complete' } } });
  });

  test('a skeptic audit of a new author keeps the record that a skeptic already ran', () => {
    const st = { ...green(), clean_ticks: 2, skeptic_ran_at_tick: 3 };
    const pre = decidePreTick(st, run, { ...conv, unauditedAuthors: ['a'] }, settings());
    expect(pre.action).toMatchObject({ kind: 'turn', peer: 'b', skeptic: true });
    expect(pre.state.skeptic_ran_at_tick).toBe(3);
  });

  test('gate results keep at most 2000 characters of diagnostic and a whole, non-negative duration', () => {
    const st = recordGates(state(), 'h2', [
      { id: 'long', state: 'fail', durationMs: 12.6, diagnostic: 'x'.repeat(2500), cached: false },
      { id: 'neg', state: 'pass', durationMs: -3, diagnostic: '', cached: true },
    ]);
    expect(st.gates.head).toBe('h2');
    expect(st.gates.results.long).toEqual({ state: 'fail', diagnostic: 'x'.repeat(2000), duration_ms: 13, cached: false });
    expect(st.gates.results.neg).toEqual({ state: 'pass', diagnostic: '', duration_ms: 0, cached: true });
  });
});

describe('after a turn', () => {
  test('a halted peer loses its turn at once (no retry), and the run stops naming it', () => {
    const st = state(['a', 'b', 'c']);
    const r = finalizeTick(st, obs(st, { ...fail, halt: haltOn('auth') }), settings(), NOW);
    expect(r.state.turn_index).toBe(1);
    expect(r.exit).toEqual({ kind: 'peer-unavailable', peer: 'a' });
    expect(r.peerStateAfter).toBe('unavailable');
  });

  test('the last peer halting stops the run as all-peers-down and records the halt', () => {
    let st = state();
    st = { ...st, peers: { ...st.peers, b: { ...st.peers.b!, state: 'unavailable' } } };
    const r = finalizeTick(st, obs(st, { ...fail, halt: haltOn('quota') }), settings(), NOW);
    expect(r.exit).toEqual({ kind: 'all-peers-down' });
    expect(r.state.halted).toEqual({ reason: 'peer-unavailable:all-peers-down', at_tick: 1 });
  });

  test('a failed turn records its cause for status: the explained cause, else the soft-fail reason, else the classification', () => {
    const st = state();
    const at = (over: object) => finalizeTick(st, obs(st, { ...fail, ...over }), settings(), NOW).state.peers.a!.last_failure;
    expect(at({ cause: 'tests failed to compile' })).toEqual({ tick: 1, cause: 'tests failed to compile' });
    expect(at({ soft_fail_reason: 'no handoff commit' })).toEqual({ tick: 1, cause: 'no handoff commit' });
    expect(at({})).toEqual({ tick: 1, cause: 'process-fail' });
    // A success keeps the earlier failure visible; a failure caused by a dead pod container is not the peer's.
    const failed = finalizeTick(st, obs(st, { ...fail, cause: 'boom' }), settings(), NOW).state;
    expect(finalizeTick(failed, obs(failed, { peer: 'a', turn_index: 0 }), settings(), NOW).state.peers.a!.last_failure).toEqual({ tick: 1, cause: 'boom' });
    expect(at({ pod_down: ['egress'] })).toBeNull();
  });

  test('a turn the loop was stopped during is recorded, but is no failure of the peer, whose turn it stays', () => {
    const st = state();
    const r = finalizeTick(st, obs(st, { ...fail, interrupted: true, soft_fail_reason: 'interrupted: the loop was stopped during a\'s turn' }), settings(), NOW);
    expect(r.state.tick).toBe(1);
    expect(r.state.peers.a!.last_failure).toBeNull();
    expect(r.state.peers.a!.state).toBe('healthy');
    expect(r.state.budget.consecutive_failures).toBe(0);
    expect(r.state.turn_index).toBe(0);
    expect(r.state.attempts).toBe(0);
    expect(r.exit).toBeNull();
  });

  test('two reverted test-only handoffs degrade a healthy peer as gaming the gates; a down peer stays down', () => {
    const st = state();
    const antiCheat = { action: 'revert', degrade: true, next: { consecutiveReverts: 2 } };
    const r = finalizeTick(st, obs(st, { tick: 6, anti_cheat: antiCheat }), settings(), NOW);
    expect(r.state.peers.a).toMatchObject({ state: 'degraded', reason: 'anti-cheating-reverts:2', cooldown_from_tick: 6 });
    expect(r.state.anti_cheat.a).toEqual({ consecutiveReverts: 2 });
    const down = { ...st, peers: { ...st.peers, a: { ...st.peers.a!, state: 'unavailable' as const, reason: 'auth' } } };
    expect(finalizeTick(down, obs(down, { anti_cheat: antiCheat }), settings(), NOW).state.peers.a).toMatchObject({ state: 'unavailable', reason: 'auth' });
    const warned = finalizeTick(st, obs(st, { anti_cheat: { action: 'warn', degrade: false, next: { consecutiveReverts: 1 } } }), settings(), NOW);
    expect(warned.state.peers.a!.state).toBe('healthy');
    expect(finalizeTick(st, obs(st), settings(), NOW).state.anti_cheat).toEqual(st.anti_cheat);
  });

  test('rate limits in a row back off longer; any other turn resets the streak and waits for nothing', () => {
    let st = state();
    const rl = { success: false, credit: 0 as const, classification: 'rate-limited' as const };
    let r = finalizeTick(st, obs(st, rl), settings(), NOW);
    expect(r.state.rate_limit_streak).toBe(1);
    expect(r.backoffMs).toBe(15_000);
    st = r.state;
    r = finalizeTick(st, obs(st, rl), settings(), NOW);
    expect(r.state.rate_limit_streak).toBe(2);
    expect(r.backoffMs).toBe(30_000);
    r = finalizeTick(r.state, obs(r.state), settings(), NOW);
    expect(r.state.rate_limit_streak).toBe(0);
    expect(r.backoffMs).toBe(0);
  });

  test('a usage limit without a reset time sleeps the peer for a backoff that doubles with the streak', () => {
    const st = state();
    const limited = { success: false, credit: 0 as const, classification: 'usage-limited' as const, usage_limit: { reset_at: null, source: 'stderr', message: 'limit' } };
    const first = finalizeTick(st, obs(st, limited), settings(), NOW);
    expect(first.sleep).toEqual({ until: '2026-01-01T01:10:00.000Z', reason: 'usage limit: no reset time given: backoff 10 min' });
    expect(first.backoffMs).toBe(0);
    const second = finalizeTick(first.state, obs(first.state, { ...limited, peer: 'a', turn_index: 0 }), settings(), NOW);
    expect(second.sleep?.until).toBe('2026-01-01T01:20:00.000Z');
    const withReset = finalizeTick(st, obs(st, { ...limited, usage_limit: { reset_at: '2026-01-01T03:00:00Z', source: 'the vendor', message: 'x' } }), settings(), NOW);
    expect(withReset.sleep).toEqual({ until: '2026-01-01T03:00:10.000Z', reason: 'usage limit: reset from the vendor' });
    expect(finalizeTick(st, obs(st), settings(), NOW).sleep).toBeNull();
  });

  test('clean ticks count up over successive clean turns', () => {
    let st = state();
    for (let i = 0; i < 3; i++) st = finalizeTick(st, obs(st), settings(), NOW).state;
    expect(st.clean_ticks).toBe(3);
  });

  test('only a clean skeptic turn that ends at a HEAD moves the audit marks; the skeptic is presumed to have had its own changes', () => {
    const st = state();
    const sk = (over: object) => finalizeTick(st, obs(st, { skeptic: true, head_after: 'h9', ...over }), settings(), NOW).state.skeptic_audited;
    expect(sk({})).toEqual({ b: 'h9' });
    expect(sk({ skeptic_self_unaudited: false, skeptic_changed_code: false })).toEqual({ a: 'h9', b: 'h9' });
    // Code it committed in its re-audit (or an unknown answer) stops its own mark where its tick began.
    expect(sk({ skeptic_self_unaudited: false })).toEqual({ a: 'aaaa', b: 'h9' });
    expect(sk({ skeptic_self_unaudited: false, skeptic_changed_code: true })).toEqual({ a: 'aaaa', b: 'h9' });
    expect(sk({ ...fail })).toEqual({});
    expect(sk({ new_blocking_bugs: 1 })).toEqual({});
    expect(sk({ head_after: null })).toEqual({});
    expect(finalizeTick(st, obs(st, { head_after: 'h9' }), settings(), NOW).state.skeptic_audited).toEqual({});
  });

  test("the next review window starts where this turn ended (or began, when it ended nowhere)", () => {
    const st = state();
    expect(finalizeTick(st, obs(st, { head_before: 'h1', head_after: 'h2' }), settings(), NOW).state.inbox_cursor).toEqual({ a: 'h2' });
    expect(finalizeTick(st, obs(st, { head_before: 'h1', head_after: null }), settings(), NOW).state.inbox_cursor).toEqual({ a: 'h1' });
    expect(finalizeTick(st, obs(st, { head_before: null, head_after: null }), settings(), NOW).state.inbox_cursor).toEqual(st.inbox_cursor);
  });

  test('commits no turn made are kept once each, the last 1000', () => {
    const st = { ...state(), unattested: ['u1', 'u2'] };
    expect(finalizeTick(st, obs(st, { unattested_commits: ['u2', 'u3'] }), settings(), NOW).state.unattested).toEqual(['u1', 'u2', 'u3']);
    expect(finalizeTick(st, obs(st), settings(), NOW).state.unattested).toEqual(['u1', 'u2']);
    const many = Array.from({ length: 1005 }, (_, i) => `c${i}`);
    const kept = finalizeTick(st, obs(st, { unattested_commits: many }), settings(), NOW).state.unattested;
    expect(kept.length).toBe(1000);
    expect(kept[999]).toBe('c1004');
  });

  test(`warnings held for other peers are kept once each, at most ${HELD_WARNINGS_MAX}`, () => {
    const st = { ...state(), peer_warnings: { a: [], b: ['old'] } };
    const r = finalizeTick(st, obs(st, { warnings_for_others: ['old', 'new'] }), settings(), NOW);
    expect(r.state.peer_warnings.b).toEqual(['old', 'new']);
    const flood = Array.from({ length: 45 }, (_, i) => `w${i}`);
    const capped = finalizeTick(st, obs(st, { warnings_for_others: flood }), settings(), NOW).state.peer_warnings.b!;
    expect(capped.length).toBe(40);
    expect(capped[39]).toBe('w44');
  });

  test(`the state keeps at most ${QUEUED_WARNINGS_MAX} queued warnings, each (held ones too) of at most ${WARNING_MAX_CHARS} characters`, () => {
    // A turn that planted thousands of hooks: one warning of megabytes, for every peer.
    const huge = `anti-cheat: planted-git-hook: ${'h'.repeat(2_000_000)}`;
    const st = state();
    const r = finalizeTick(st, obs(st, { warnings_emitted: [huge, ...Array.from({ length: 200 }, (_, i) => `w${i}`)], warnings_for_peer: [huge], warnings_for_others: [huge] }), settings(), NOW).state;
    expect(r.warnings.length).toBe(QUEUED_WARNINGS_MAX);
    expect(r.warnings[0]!.length).toBeLessThan(WARNING_MAX_CHARS + 100);
    expect(r.warnings[0]).toStartWith('anti-cheat: planted-git-hook: hhh');
    for (const held of Object.values(r.peer_warnings)) expect(held.every((w) => w.length < WARNING_MAX_CHARS + 100)).toBe(true);
    expect(JSON.stringify(r).length).toBeLessThan(64 * 1024);
  });
});
