import { describe, expect, test } from 'bun:test';
import { budgetStop, stopAfterTurn, stuckStop } from '../../../src/loop/stop-check.ts';
import { exitCodeFor, formatStopReason, parseStopReason, type StopReason } from '../../../src/state/stop-reason.ts';
import { decidePreTick } from '../../../src/loop/tick.ts';
import { settings, state } from './fixtures.ts';

const run = { ticksThisRun: 0, stopRequested: false };
const text = (r: StopReason | null) => (r ? formatStopReason(r) : null);
const conv = { hardGoalIds: [], openBlockingBugs: 0, ledgerReadable: true, softConsensus: true, unapprovedGateSurface: 0, unexcusedMarkers: 0, unreadCode: 0, unauditedAuthors: [], heldByTestChanges: [] };

describe('stop checks', () => {
  test('each cap fires with its own name, first hit wins', () => {
    const s = settings({ budget: { maxTicks: 10, maxRuntimeS: 60, maxConsecutiveFailures: 3, maxTokens: 100, maxUsd: 2, usdMode: 'hard' } });
    const st = state();
    expect(budgetStop(st, run, s).stop).toBeNull();
    expect(text(budgetStop(st, { ticksThisRun: 0, stopRequested: true }, s).stop)).toBe('interrupted');
    expect(text(budgetStop(st, { ticksThisRun: 4, stopRequested: false }, { ...s, maxTicksThisRun: 4 }).stop)).toBe('max_ticks');
    expect(text(budgetStop({ ...st, tick: 10 }, run, s).stop)).toBe('budget:max_ticks');
    expect(text(budgetStop({ ...st, budget: { ...st.budget, spent_runtime_ms: 60_000 } }, run, s).stop)).toBe('budget:max_runtime');
    expect(text(budgetStop({ ...st, budget: { ...st.budget, consecutive_failures: 3 } }, run, s).stop)).toBe('budget:max_consecutive_failures');
    expect(text(budgetStop({ ...st, budget: { ...st.budget, spent_tokens: 100 } }, run, s).stop)).toBe('budget:max_tokens');
    expect(text(budgetStop({ ...st, budget: { ...st.budget, spent_usd: 2 } }, run, s).stop)).toBe('budget:max_usd');
    expect(text(budgetStop({ ...st, tick: 10, budget: { ...st.budget, spent_usd: 2 } }, run, s).stop)).toBe('budget:max_ticks');
  });

  test('max_usd warn mode warns once per cap value; off ignores it', () => {
    const s = settings({ budget: { maxTicks: 10, maxRuntimeS: 60, maxConsecutiveFailures: 3, maxUsd: 2, usdMode: 'warn' } });
    const st = { ...state(), budget: { ...state().budget, spent_usd: 2.5 } };
    const first = decidePreTick(st, run, conv, s);
    expect(first.action.kind).toBe('turn');
    expect(first.state.warnings).toEqual(['max_usd:2.00 reached (spent $2.50) but max_usd_mode=warn - loop continues']);
    const second = decidePreTick(first.state, run, conv, s);
    expect(second.state.warnings.length).toBe(1);
    expect(budgetStop(st, run, { ...s, budget: { ...s.budget, usdMode: 'off' } })).toEqual({ stop: null });
  });

  test('a request the sidecar refused under the current cap stops the run; a raised cap lifts it', () => {
    const s = settings({ budget: { maxTicks: 10, maxRuntimeS: 60, maxConsecutiveFailures: 3, maxTokens: 100, maxUsd: 2, usdMode: 'hard' } });
    const st = state();
    const refused = (cap: 'max_usd' | 'max_tokens', limit: number) => ({ ...run, budgetRefusals: { [cap]: { limit } } });
    expect(budgetStop(st, refused('max_usd', 2), s).stop).toEqual({ kind: 'budget', cap: 'max_usd' });
    expect(budgetStop(st, refused('max_tokens', 100), s).stop).toEqual({ kind: 'budget', cap: 'max_tokens' });
    // Refused under a lower cap than the one now in force: the run may go on.
    expect(budgetStop(st, refused('max_usd', 1), s).stop).toBeNull();
    // In warn mode a USD refusal cannot happen (the sidecar does not enforce it) and stops nothing.
    expect(budgetStop(st, refused('max_usd', 2), { ...s, budget: { ...s.budget, usdMode: 'warn' } }).stop).toBeNull();
  });

  test('peers left down by a turn the sidecar refused for a cap: the run stops on the cap, and the all-down halt is not kept', () => {
    const s = settings({ budget: { maxTicks: 10, maxRuntimeS: 60, maxConsecutiveFailures: 9, maxTokens: 100, usdMode: 'off' } });
    const halted = { ...state(), halted: { reason: 'all-peers-down', at_tick: 7 } };
    const refused = { ...run, budgetRefusals: { max_tokens: { limit: 100 } } };
    const after = stopAfterTurn({ kind: 'all-peers-down' }, halted, refused, s);
    expect(after.stop).toEqual({ kind: 'budget', cap: 'max_tokens' });
    expect(after.state.halted).toBeNull();
    expect(stopAfterTurn({ kind: 'peer-unavailable', peer: 'claude' }, state(), refused, s).stop).toEqual({ kind: 'budget', cap: 'max_tokens' });
    // No cap binds (none refused, or refused under a lower cap than now): the peers are the reason.
    expect(stopAfterTurn({ kind: 'all-peers-down' }, halted, run, s)).toEqual({ stop: { kind: 'all-peers-down' }, state: halted });
    expect(stopAfterTurn({ kind: 'all-peers-down' }, halted, { ...run, budgetRefusals: { max_tokens: { limit: 50 } } }, s).stop).toEqual({ kind: 'all-peers-down' });
    // A confirmed block is the peers' own verdict, whatever the budget.
    expect(stopAfterTurn({ kind: 'blocked' }, state(), refused, s).stop).toEqual({ kind: 'blocked' });
  });

  test('a watched gate red for stuck_halt_after ticks stops as stuck:<gate>; others do not', () => {
    const s = settings();
    const st = state();
    expect(stuckStop({ ...st, gates: { ...st.gates, red_streak: { 'tests-pass': 4, lint: 50 } } }, s)).toBeNull();
    expect(stuckStop({ ...st, gates: { ...st.gates, red_streak: { 'tests-pass': 5, 'no-prior-regression': 7 } } }, s)).toEqual({ kind: 'stuck', gate: 'no-prior-regression' });
  });

  test('a stuck gate stops at exactly stuck_halt_after red ticks; a tie goes to the first watched gate; a gate never red is not stuck', () => {
    const st = state();
    const streak = (red_streak: Record<string, number>) => ({ ...st, gates: { ...st.gates, red_streak } });
    expect(stuckStop(streak({ 'tests-pass': 5 }), settings())).toEqual({ kind: 'stuck', gate: 'tests-pass' });
    expect(stuckStop(streak({ 'tests-pass': 6, 'no-prior-regression': 6 }), settings())).toEqual({ kind: 'stuck', gate: 'tests-pass' });
    const s1 = settings({ goals: { ...settings().goals, stuckHaltAfter: 1 } });
    expect(stuckStop(streak({}), s1)).toBeNull();
  });

  test('a halted run stays stopped with the recorded reason; --max-ticks counts this run only', () => {
    const st = { ...state(), halted: { reason: 'peer-unavailable:all-peers-down', at_tick: 3 } };
    expect(budgetStop(st, run, settings()).stop).toEqual({ kind: 'all-peers-down' });
    expect(decidePreTick(st, run, conv, settings()).action).toEqual({ kind: 'stop', reason: { kind: 'all-peers-down' } });
    expect(budgetStop(state(), { ticksThisRun: 3, stopRequested: false }, settings({ maxTicksThisRun: 4 })).stop).toBeNull();
  });

  test('exit codes: 0 only for complete and max_ticks; blocked is for the operator', () => {
    expect(['complete', 'max_ticks', 'budget:max_usd', 'interrupted', 'blocked'].map((r) => exitCodeFor(parseStopReason(r)))).toEqual([0, 0, 1, 1, 1]);
  });

  test('stop reasons round-trip through their text; text the loop never writes reads as an error', () => {
    for (const t of ['complete', 'blocked', 'max_ticks', 'interrupted', 'budget:max_usd', 'stuck:tests-pass', 'peer-unavailable:alice', 'peer-unavailable:all-peers-down', 'error:TypeError']) {
      expect(formatStopReason(parseStopReason(t))).toBe(t);
    }
    expect(parseStopReason('peer-unavailable:all-peers-down')).toEqual({ kind: 'all-peers-down' });
    expect(parseStopReason('budget:max_beer')).toEqual({ kind: 'error', name: 'budget:max_beer' });
  });
});
