import { describe, expect, test } from 'bun:test';
import { advanceAuditMarks, decideConvergence, nextCleanTicks, type ConvergenceInput } from '../../../src/loop/convergence.ts';
import { decidePreTick, finalizeTick, recordGates, countRedTick } from '../../../src/loop/tick.ts';
import { resumeFromLog } from '../../../src/loop/resume.ts';
import { applyOperatorActions, syncPeerOrder } from '../../../src/loop/operator-actions.ts';
import type { TickLine } from '../../../src/state/run-log.ts';
import { freshPeerHealth } from '../../../src/state/state-schema.ts';
import { fail, obs, settings, state } from './fixtures.ts';

const green = (s = state()) => recordGates(s, 'h1', [{ id: 'g', state: 'pass', durationMs: 1, diagnostic: '', cached: false }]);
const conv: ConvergenceInput = { hardGoalIds: ['g'], openBlockingBugs: 0, ledgerReadable: true, softConsensus: true, unapprovedGateSurface: 0, unexcusedMarkers: 0, unreadCode: 0, unauditedAuthors: [], heldByTestChanges: [] };
const run = { ticksThisRun: 0, stopRequested: false };

describe('convergence', () => {
  test('needs green gates, no blocking bug, soft consensus and N clean ticks; then one skeptic tick; then complete', () => {
    const s = settings();
    const st = { ...green(), clean_ticks: 2 };
    expect(decideConvergence({ ...st, clean_ticks: 1 }, conv, s).kind).toBe('continue');
    expect(decideConvergence(st, { ...conv, openBlockingBugs: 1 }, s).kind).toBe('continue');
    // Fail closed: an unreadable ledger is not an empty one; unknown gate-surface approvals hold too.
    expect(decideConvergence(st, { ...conv, ledgerReadable: false }, s).kind).toBe('continue');
    expect(decideConvergence(st, { ...conv, unapprovedGateSurface: 1 }, s).kind).toBe('continue');
    expect(decideConvergence(st, { ...conv, unapprovedGateSurface: null }, s).kind).toBe('continue');
    // An unexcused test marker holds whatever the goals run (peers init writes no marker check); unknown holds too.
    expect(decideConvergence(st, { ...conv, unexcusedMarkers: 1 }, s).kind).toBe('continue');
    expect(decideConvergence(st, { ...conv, unexcusedMarkers: null }, s).kind).toBe('continue');
    // A file a peer committed under .peers/ holds (committed-control-plane.ts); unknown holds too.
    expect(decideConvergence(st, { ...conv, unreadCode: 1 }, s).kind).toBe('continue');
    expect(decideConvergence(st, { ...conv, unreadCode: null }, s).kind).toBe('continue');
    // A gate green only with the run's test changes holds; not yet measured holds too.
    expect(decideConvergence(st, { ...conv, heldByTestChanges: ['g'] }, s).kind).toBe('continue');
    expect(decideConvergence(st, { ...conv, heldByTestChanges: undefined }, s).kind).toBe('continue');
    expect(decideConvergence({ ...st, skeptic_ran_at_tick: 5 }, { ...conv, heldByTestChanges: undefined }, s).kind).toBe('continue');
    expect(decideConvergence(st, { ...conv, softConsensus: false }, s).kind).toBe('continue');
    expect(decideConvergence(st, { ...conv, softConsensus: false }, settings({ goals: { ...s.goals, softConsensusRequired: false } })).kind).toBe('skeptic');
    expect(decideConvergence(st, conv, s).kind).toBe('skeptic');
    expect(decideConvergence({ ...st, skeptic_ran_at_tick: 5 }, conv, s).kind).toBe('complete');
    expect(decideConvergence(st, conv, settings({ skeptic: false })).kind).toBe('complete');
  });

  test('require_healthy_peers (mode thorough): no convergence while any peer is degraded or down', () => {
    const s = settings();
    const thorough = settings({ goals: { ...s.goals, requireHealthyPeers: true } });
    const st = { ...green(), clean_ticks: 2 };
    const degraded = { ...st, peers: { ...st.peers, b: { ...st.peers.b!, state: 'degraded' as const } } };
    const down = { ...st, peers: { ...st.peers, b: { ...st.peers.b!, state: 'unavailable' as const } } };
    expect(decideConvergence(st, conv, thorough).kind).toBe('skeptic');
    expect(decideConvergence(degraded, conv, thorough).kind).toBe('continue');
    expect(decideConvergence(down, conv, thorough).kind).toBe('continue');
    // Without the setting, a degraded peer does not hold convergence.
    expect(decideConvergence(degraded, conv, s).kind).toBe('skeptic');
  });

  test('every hard gate must pass: a failing or never-run gate holds convergence', () => {
    const s = settings();
    const st = { ...green(), clean_ticks: 2 };
    expect(decideConvergence(st, { ...conv, hardGoalIds: ['g', 'other'] }, s).kind).toBe('continue');
    const red = { ...recordGates(state(), 'h1', [{ id: 'g', state: 'fail', durationMs: 1, diagnostic: 'x', cached: false }]), clean_ticks: 2 };
    expect(decideConvergence(red, conv, s).kind).toBe('continue');
    expect(decideConvergence({ ...st, clean_ticks: 3 }, conv, s).kind).toBe('skeptic');
  });

  test('losing convergence after a skeptic tick re-arms the skeptic; losing it before does not', () => {
    const s = settings();
    const st = { ...green(), clean_ticks: 0 };
    expect(decideConvergence({ ...st, skeptic_ran_at_tick: 4 }, conv, s)).toEqual({ kind: 'continue', skepticReset: true });
    expect(decideConvergence(st, conv, s)).toEqual({ kind: 'continue', skepticReset: false });
  });

  test('a declared-blocked turn resets the clean-tick counter', () => {
    expect(nextCleanTicks(2, { success: true, rateLimited: false, newBlockingBugs: 0, blocked: true })).toBe(0);
    expect(nextCleanTicks(2, { success: true, rateLimited: false, newBlockingBugs: 0, blocked: false })).toBe(3);
  });

  test('the skeptic is never an author of the changes under audit; every author is audited by someone else', () => {
    const s = settings();
    const st = { ...green(), clean_ticks: 2 }; // turn order says 'a' is next
    expect(decideConvergence(st, { ...conv, unauditedAuthors: ['a'] }, s)).toEqual({ kind: 'skeptic', audits: ['a'] });
    let pre = decidePreTick(st, run, { ...conv, unauditedAuthors: ['a'] }, s);
    expect(pre.action).toEqual({ kind: 'turn', peer: 'b', index: 1, skeptic: true, audits: ['a'] });
    // Both wrote changes: the next in turn order audits the other; its own changes wait for the other.
    pre = decidePreTick(st, run, { ...conv, unauditedAuthors: ['a', 'b'] }, s);
    expect(pre.action).toEqual({ kind: 'turn', peer: 'a', index: 0, skeptic: true, audits: ['b'] });
    const after = finalizeTick(pre.state, obs(pre.state, { peer: 'a', skeptic: true, skeptic_audits: ['b'], skeptic_self_unaudited: true, head_after: 'h2' }), s).state;
    expect(after.skeptic_audited).toEqual({ b: 'h2' });
    // Only an author can audit, and it is the only author: nobody may, so an ordinary turn runs.
    const lone = { ...st, peers: { ...st.peers, b: { ...st.peers.b!, state: 'unavailable' as const } } };
    expect(decidePreTick(lone, run, { ...conv, unauditedAuthors: ['a'] }, s).action).toMatchObject({ kind: 'turn', peer: 'a', skeptic: false });
  });

  test("audit marks: everyone else is audited up to the skeptic tick's end; the skeptic, if it had nothing unaudited, up to its end when it committed documents only, else up to its start", () => {
    const tick = (over: object) => ({ skepticWasUnaudited: false, skepticChangedCode: false, headBefore: 'h5', headAfter: 'h9', ...over });
    expect(advanceAuditMarks({}, ['a', 'b', 'c'], 'b', tick({}))).toEqual({ a: 'h9', b: 'h9', c: 'h9' });
    // Code b commits during its own re-audit (h5..h9) is b's change, for another peer to audit.
    expect(advanceAuditMarks({}, ['a', 'b', 'c'], 'b', tick({ skepticChangedCode: true }))).toEqual({ a: 'h9', b: 'h5', c: 'h9' });
    expect(advanceAuditMarks({ b: 'h1' }, ['a', 'b', 'c'], 'b', tick({ skepticWasUnaudited: true, skepticChangedCode: true }))).toEqual({ a: 'h9', b: 'h1', c: 'h9' });
  });

  test('blocked: a declaration waits for another peer; the same peer twice does not confirm; a confirmation stops the run; a plain handoff withdraws it', () => {
    const s = settings();
    const declared = finalizeTick(state(), obs(state(), { peer: 'a', blocked: { reason: 'the test contradicts SPEC.md rule 2', sha: 'c1' } }), s);
    expect(declared.exit).toBeNull();
    expect(declared.state.blocked).toMatchObject({ by: 'a', confirmed_by: null, at_tick: 1 });
    expect(declared.state.clean_ticks).toBe(0);
    const again = finalizeTick(declared.state, obs(declared.state, { peer: 'a', blocked: { reason: 'still contradictory', sha: 'c2' } }), s);
    expect(again.state.blocked?.confirmed_by).toBeNull();
    const confirmed = finalizeTick(declared.state, obs(declared.state, { peer: 'b', blocked: { reason: 'agreed: rule 2 vs test', sha: 'c3' } }), s);
    expect(confirmed.exit).toEqual({ kind: 'blocked' });
    expect(confirmed.state.blocked).toMatchObject({ by: 'a', confirmed_by: 'b', confirm_reason: 'agreed: rule 2 vs test' });
    expect(decidePreTick(confirmed.state, run, conv, s).action).toEqual({ kind: 'stop', reason: { kind: 'blocked' } });
    const withdrawn = finalizeTick(declared.state, obs(declared.state, { peer: 'b' }), s).state;
    expect(withdrawn.blocked).toBeNull();
    expect(withdrawn.warnings.join('\n')).toContain("b handed off instead of confirming a's blocked declaration");
    // Only the operator lifts a confirmed stop, by changing the config or goals.
    expect(applyOperatorActions(confirmed.state, { configChanged: false, resetPeers: ['all'] }).state.blocked?.confirmed_by).toBe('b');
    const lifted = applyOperatorActions(confirmed.state, { configChanged: true, resetPeers: [] });
    expect(lifted.state.blocked).toBeNull();
    expect(lifted.notes.join('\n')).toContain('blocked stop lifted');
  });

  test('a skeptic tick that files a blocking bug resets convergence and re-arms the skeptic', () => {
    const s = settings();
    let st = { ...green(), clean_ticks: 2 };
    const pre = decidePreTick(st, run, conv, s);
    expect(pre.action).toMatchObject({ kind: 'turn', skeptic: true });
    st = finalizeTick(pre.state, obs(pre.state, { skeptic: true, new_blocking_bugs: 1 }), s).state;
    expect(st).toMatchObject({ clean_ticks: 0, skeptic_ran_at_tick: 1 });
    const again = decidePreTick(st, run, conv, s);
    expect(again.action).toMatchObject({ kind: 'turn', skeptic: false });
    expect(again.state.skeptic_ran_at_tick).toBeNull();
  });

  test('clean-tick counter: +1 clean, 0 on failure or new blocking bug, unchanged when rate-limited', () => {
    expect(nextCleanTicks(2, { success: true, rateLimited: false, newBlockingBugs: 0 })).toBe(3);
    expect(nextCleanTicks(2, { success: false, rateLimited: false, newBlockingBugs: 0 })).toBe(0);
    expect(nextCleanTicks(2, { success: true, rateLimited: false, newBlockingBugs: 2 })).toBe(0);
    expect(nextCleanTicks(2, { success: false, rateLimited: true, newBlockingBugs: 0 })).toBe(2);
  });

  test('red gates are counted once per pre-tick, even if the pre-tick is re-run after a crash', () => {
    let st = recordGates(state(), 'h', [{ id: 'tests-pass', state: 'fail', durationMs: 1, diagnostic: 'x', cached: false }]);
    st = countRedTick(st);
    st = countRedTick(st);
    expect(st.gates.red_streak['tests-pass']).toBe(1);
    st = countRedTick({ ...st, tick: 1 });
    expect(st.gates.red_streak['tests-pass']).toBe(2);
    st = countRedTick(recordGates({ ...st, tick: 2 }, 'h2', [{ id: 'tests-pass', state: 'pass', durationMs: 1, diagnostic: '', cached: true }]));
    expect(st.gates.red_streak).toEqual({});
  });
});

describe('warnings', () => {
  test("general warnings go to the next prompt; a peer's own warnings wait for that peer's next turn", () => {
    const s = settings();
    const t1 = finalizeTick(state(), obs(state(), { peer: 'a', warnings_emitted: ['flaky gate'], warnings_for_peer: ['a: test-only turn'] }), s).state;
    expect(t1.warnings).toEqual(['flaky gate']);
    expect(t1.peer_warnings).toEqual({ a: ['a: test-only turn'], b: [] });
    const t2 = finalizeTick(t1, obs(t1, { peer: 'b' }), s).state; // b's turn does not consume a's warning
    expect(t2.warnings).toEqual([]);
    expect(t2.peer_warnings).toEqual({ a: ['a: test-only turn'], b: [] });
    const t3 = finalizeTick(t2, obs(t2, { peer: 'a' }), s).state; // a saw it in this tick's prompt
    expect(t3.peer_warnings.a).toEqual([]);
  });

  test('anti-cheat findings about a peer are held for every other peer until each has seen them', () => {
    const s = settings();
    const three = state(['a', 'b', 'c']);
    const t1 = finalizeTick(three, obs(three, { peer: 'a', warnings_for_others: ['anti-cheat: a reverted'] }), s).state;
    expect(t1.peer_warnings).toEqual({ a: [], b: ['anti-cheat: a reverted'], c: ['anti-cheat: a reverted'] });
    const t2 = finalizeTick(t1, obs(t1, { peer: 'b' }), s).state;
    expect(t2.peer_warnings).toEqual({ a: [], b: [], c: ['anti-cheat: a reverted'] });
  });
});

describe('resume after a crash', () => {
  test('replaying a logged-but-unsaved tick gives exactly the state that was about to be written', () => {
    const s = settings();
    const st0 = state();
    const o = obs(st0, { ...fail, tokens_this_tick: 40 });
    const fin = finalizeTick(st0, o, s, new Date('2026-01-01T00:00:05Z'));
    const line = { event: 'tick', ts: '2026-01-01T00:00:05.000Z', ...o, spent_tokens_total: 40 } as unknown as TickLine;
    const r = resumeFromLog(st0, [line], s);
    expect(r.replayed).toEqual([1]);
    expect(r.state).toEqual(fin.state);
    // already-saved ticks are skipped; a gap is reported, not guessed
    expect(resumeFromLog(fin.state, [line], s).replayed).toEqual([]);
    const gap = resumeFromLog(st0, [{ ...line, tick: 3 } as TickLine], s);
    expect(gap.warning).toContain('jumps from tick 0 to 3');
  });

  test('a hand-edited tick line that would yield an invalid state (or throw) is not replayed', () => {
    const s = settings();
    const st0 = state();
    const o = obs(st0, { ...fail, tokens_this_tick: 40 });
    const line = { event: 'tick', ts: '2026-01-01T00:00:05.000Z', ...o } as unknown as TickLine;
    for (const bad of [{ credit: 'lots' }, { ts: 'not a date' }, { warnings_emitted: 7 }, { peer: 'constructor' }]) {
      const r = resumeFromLog(st0, [{ ...line, ...bad } as unknown as TickLine], s);
      expect(r).toEqual({ state: st0, replayed: [], warning: 'runs.jsonl tick 1 cannot be replayed; state.json kept as is' });
    }
  });
});

describe('operator actions', () => {
  const down = () => {
    const st = state();
    return { ...st, halted: { reason: 'peer-unavailable:all-peers-down', at_tick: 4 }, peers: { a: { ...st.peers.a!, state: 'unavailable' as const, reason: 'auth', turns: 3 }, b: { ...st.peers.b!, state: 'degraded' as const } } };
  };

  test('--reset-peer brings one peer back and lifts the halt; unknown names are bad input', () => {
    const r = applyOperatorActions(down(), { configChanged: false, resetPeers: ['a'] });
    expect(r.state.peers.a).toMatchObject({ state: 'healthy', reason: null, turns: 3 });
    expect(r.state.peers.b!.state).toBe('degraded');
    expect(r.state.halted).toBeNull();
    expect(() => applyOperatorActions(down(), { configChanged: false, resetPeers: ['zed'] })).toThrow('--reset-peer zed: no such peer');
  });

  test('a changed config resets every peer; nothing changes without an action', () => {
    expect(Object.values(applyOperatorActions(down(), { configChanged: true, resetPeers: [] }).state.peers).map((p) => p.state)).toEqual(['healthy', 'healthy']);
    const none = applyOperatorActions(down(), { configChanged: false, resetPeers: [] });
    expect(none.notes).toEqual([]);
    expect(none.state.halted).not.toBeNull();
  });

  test('--reset-peer all resets every peer that is not healthy, and says which and why', () => {
    const r = applyOperatorActions(down(), { configChanged: false, resetPeers: ['all'] });
    expect(Object.values(r.state.peers).map((p) => p.state)).toEqual(['healthy', 'healthy']);
    expect(r.notes).toEqual(['peer a reset from unavailable to healthy (--reset-peer)', 'peer b reset from degraded to healthy (--reset-peer)', 'halt lifted (peer-unavailable:all-peers-down)']);
    const byConfig = applyOperatorActions(down(), { configChanged: true, resetPeers: [] });
    expect(byConfig.notes[0]).toBe('peer a reset from unavailable to healthy (config changed since the last run)');
  });

  test('an unknown peer name is refused with the list of peers, even next to a valid one', () => {
    expect(() => applyOperatorActions(down(), { configChanged: false, resetPeers: ['a', 'zed'] })).toThrow('--reset-peer zed: no such peer (peers: a, b)');
    expect(() => applyOperatorActions(down(), { configChanged: false, resetPeers: ['all'] })).not.toThrow();
  });

  test('a halt stays while every peer is still down', () => {
    const st = down();
    const bothDown = { ...st, peers: { a: st.peers.a!, b: { ...st.peers.b!, state: 'unavailable' as const } } };
    const r = applyOperatorActions(bothDown, { configChanged: false, resetPeers: ['b'] });
    expect(r.state.halted).toBeNull();
    const noAction = applyOperatorActions({ ...st, peers: { ...st.peers, b: { ...st.peers.b!, state: 'unavailable' as const } } }, { configChanged: false, resetPeers: [] });
    expect(noAction.state.halted).toEqual(st.halted);
  });

  test('a confirmed blocked stop is lifted only by a changed config, and says so', () => {
    const blocked = { by: 'a', reason: 'the API does not exist', sha: 'abc', at_tick: 3, confirmed_by: 'b', confirm_reason: 'agreed' };
    const st = { ...state(), blocked };
    expect(applyOperatorActions(st, { configChanged: false, resetPeers: ['all'] }).state.blocked).toEqual(blocked);
    const lifted = applyOperatorActions(st, { configChanged: true, resetPeers: [] });
    expect(lifted.state.blocked).toBeNull();
    expect(lifted.notes).toContain('blocked stop lifted (a: the API does not exist)');
    const unconfirmed = { ...blocked, confirmed_by: null, confirm_reason: null };
    expect(applyOperatorActions({ ...state(), blocked: unconfirmed }, { configChanged: true, resetPeers: [] }).state.blocked).toEqual(unconfirmed);
  });

  test('a reset forgives the failure streak that stopped the last run; no action forgives nothing', () => {
    const st = { ...state(), budget: { ...state().budget, consecutive_failures: 5 } };
    const reset = applyOperatorActions(st, { configChanged: false, resetPeers: ['a'] });
    expect(reset.state.budget.consecutive_failures).toBe(0);
    expect(reset.notes).toEqual(['failure streak of 5 forgiven (--reset-peer)']);
    expect(applyOperatorActions(st, { configChanged: true, resetPeers: [] }).notes).toContain('failure streak of 5 forgiven (config changed since the last run)');
    const none = applyOperatorActions(st, { configChanged: false, resetPeers: [] });
    expect(none.state.budget.consecutive_failures).toBe(5);
    expect(none.notes).toEqual([]);
  });

  test('changed goals make the recorded gates stale: evaluated again with fresh red streaks', () => {
    const red = countRedTick(recordGates(state(), 'h1', [{ id: 'g', state: 'fail', durationMs: 1, diagnostic: 'x', cached: false }]));
    const r = applyOperatorActions(red, { configChanged: true, resetPeers: [] });
    expect(r.state.gates).toMatchObject({ head: null, red_streak: {} });
    expect(r.notes).toEqual(['config or goals changed: the hard gates are evaluated again, red streaks cleared']);
    expect(applyOperatorActions(red, { configChanged: false, resetPeers: ['a'] }).state.gates).toEqual(red.gates);
    const onlyStreak = { ...red, gates: { ...red.gates, head: null } };
    expect(applyOperatorActions(onlyStreak, { configChanged: true, resetPeers: [] }).state.gates.red_streak).toEqual({});
    expect(applyOperatorActions(state(), { configChanged: true, resetPeers: [] }).notes).toEqual([]);
  });

  test('the same peers in the same order change nothing; a new peer starts fresh; the active peer keeps its turn', () => {
    const st = { ...state(['a', 'b']), turn_index: 1, attempts: 2 };
    expect(syncPeerOrder(st, ['a', 'b'])).toBe(st);
    const grown = syncPeerOrder(st, ['c', 'a', 'b']);
    expect(grown).toMatchObject({ peer_order: ['c', 'a', 'b'], turn_index: 2, attempts: 0 });
    expect(grown.peers.c).toEqual(freshPeerHealth());
    expect(syncPeerOrder(st, ['b', 'a']).turn_index).toBe(0);
    expect(syncPeerOrder(st, ['a'])).toMatchObject({ peer_order: ['a'], turn_index: 0 });
  });

  test('a bad --reset-peer is bad input (exit 2) that says what to pass', () => {
    let caught: unknown;
    try {
      applyOperatorActions(down(), { configChanged: false, resetPeers: ['zed'] });
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ name: 'InputError', exitCode: 2, hint: 'pass a peer name from .peers/config.yaml, or all' });
  });

  test('a streak of one failure is forgiven too; a blocked reason is quoted up to 120 characters', () => {
    const one = { ...state(), budget: { ...state().budget, consecutive_failures: 1 } };
    expect(applyOperatorActions(one, { configChanged: false, resetPeers: ['a'] }).state.budget.consecutive_failures).toBe(0);
    const blocked = { by: 'a', reason: 'r'.repeat(150), sha: 's', at_tick: 1, confirmed_by: 'b', confirm_reason: 'ok' };
    expect(applyOperatorActions({ ...state(), blocked }, { configChanged: true, resetPeers: [] }).notes).toContain(`blocked stop lifted (a: ${'r'.repeat(120)})`);
  });

  test('a peer replaced by another at the same place in the order is a change', () => {
    const next = syncPeerOrder(state(['a', 'b']), ['a', 'c']);
    expect(next.peer_order).toEqual(['a', 'c']);
    expect(Object.keys(next.peers)).toEqual(['a', 'c']);
  });

  test('peer order follows the config, keeping survivors and the active peer', () => {
    const st = { ...state(['a', 'b', 'c']), turn_index: 2 };
    const next = syncPeerOrder(st, ['c', 'd']);
    expect(next.peer_order).toEqual(['c', 'd']);
    expect(next.turn_index).toBe(0);
    expect(Object.keys(next.peers)).toEqual(['c', 'd']);
  });
});
