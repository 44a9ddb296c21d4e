import { describe, expect, test } from 'bun:test';
import { budgetStop, stuckStop, exitCodeFor } from '../../../src/loop/stop-check.ts';
import { decidePreTick } from '../../../src/loop/tick.ts';
import { settings, state } from './fixtures.ts';

const run = { ticksThisRun: 0, stopRequested: false };

describe('stop checks', () => {
  test('each cap fires with its own name, first hit wins', () => {
    const s = settings({ budget: { maxTicks: 10, maxRuntimeS: 60, maxConsecutiveFailures: 3, maxTokens: 100, maxUsd: 2, usdMode: 'hard' } });
    const st = state();
    expect(budgetStop(st, run, s).stop).toBeNull();
    expect(budgetStop(st, { ticksThisRun: 0, stopRequested: true }, s).stop).toBe('interrupted');
    expect(budgetStop(st, { ticksThisRun: 4, stopRequested: false }, { ...s, maxTicksThisRun: 4 }).stop).toBe('max_ticks');
    expect(budgetStop({ ...st, tick: 10 }, run, s).stop).toBe('budget:max_ticks');
    expect(budgetStop({ ...st, budget: { ...st.budget, spent_runtime_ms: 60_000 } }, run, s).stop).toBe('budget:max_runtime');
    expect(budgetStop({ ...st, budget: { ...st.budget, consecutive_failures: 3 } }, run, s).stop).toBe('budget:max_consecutive_failures');
    expect(budgetStop({ ...st, budget: { ...st.budget, spent_tokens: 100 } }, run, s).stop).toBe('budget:max_tokens');
    expect(budgetStop({ ...st, budget: { ...st.budget, spent_usd: 2 } }, run, s).stop).toBe('budget:max_usd');
    expect(budgetStop({ ...st, tick: 10, budget: { ...st.budget, spent_usd: 2 } }, run, s).stop).toBe('budget:max_ticks');
  });

  test('max_usd warn mode warns once per cap value; off ignores it', () => {
    const s = settings({ budget: { maxTicks: 10, maxRuntimeS: 60, maxConsecutiveFailures: 3, maxUsd: 2, usdMode: 'warn' } });
    const st = { ...state(), budget: { ...state().budget, spent_usd: 2.5 } };
    const first = decidePreTick(st, run, { hardGoalIds: [], openBlockingBugs: 0, softConsensus: true }, s);
    expect(first.action.kind).toBe('turn');
    expect(first.state.warnings).toEqual(['max_usd:2.00 reached (spent $2.50) but max_usd_mode=warn - loop continues']);
    const second = decidePreTick(first.state, run, { hardGoalIds: [], openBlockingBugs: 0, softConsensus: true }, s);
    expect(second.state.warnings.length).toBe(1);
    expect(budgetStop(st, run, { ...s, budget: { ...s.budget, usdMode: 'off' } })).toEqual({ stop: null });
  });

  test('a request the sidecar refused under the current cap stops the run; a raised cap lifts it', () => {
    const s = settings({ budget: { maxTicks: 10, maxRuntimeS: 60, maxConsecutiveFailures: 3, maxTokens: 100, maxUsd: 2, usdMode: 'hard' } });
    const st = state();
    const refused = (cap: 'max_usd' | 'max_tokens', limit: number) => ({ ...run, budgetRefusals: { [cap]: { limit } } });
    expect(budgetStop(st, refused('max_usd', 2), s).stop).toBe('budget:max_usd');
    expect(budgetStop(st, refused('max_tokens', 100), s).stop).toBe('budget:max_tokens');
    // Refused under a lower cap than the one now in force: the run may go on.
    expect(budgetStop(st, refused('max_usd', 1), s).stop).toBeNull();
    // In warn mode a USD refusal cannot happen (the sidecar does not enforce it) and stops nothing.
    expect(budgetStop(st, refused('max_usd', 2), { ...s, budget: { ...s.budget, usdMode: 'warn' } }).stop).toBeNull();
  });

  test('a watched gate red for stuck_halt_after ticks stops as stuck:<gate>; others do not', () => {
    const s = settings();
    const st = state();
    expect(stuckStop({ ...st, gates: { ...st.gates, red_streak: { 'tests-pass': 4, lint: 50 } } }, s)).toBeNull();
    expect(stuckStop({ ...st, gates: { ...st.gates, red_streak: { 'tests-pass': 5, 'no-prior-regression': 7 } } }, s)).toBe('stuck:no-prior-regression');
  });

  test('exit codes: 0 only for complete and max_ticks', () => {
    expect([exitCodeFor('complete'), exitCodeFor('max_ticks'), exitCodeFor('budget:max_usd'), exitCodeFor('interrupted')]).toEqual([0, 0, 1, 1]);
  });
});
