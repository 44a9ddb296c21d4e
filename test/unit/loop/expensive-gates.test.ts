import { describe, expect, test } from 'bun:test';
import { HardGoalSchema, type HardGoal } from '../../../src/config/goals-schema.ts';
import { decideConvergence, type ConvergenceInput } from '../../../src/loop/convergence.ts';
import { backgroundToStart, cheapGoals, freshExpensiveNeeded, recordAtHead, recordExpensive, recordProbe } from '../../../src/loop/expensive-gates.ts';
import { gateTime } from '../../../src/loop/gate-time.ts';
import { countRedTick, recordGates, type GateInput } from '../../../src/loop/tick.ts';
import { settings, state } from './fixtures.ts';

const goal = (id: string, expensive: boolean): HardGoal => HardGoalSchema.parse({ id, type: 'hard', cmd: `check ${id}`, pass_when: 'exit_code == 0', expensive });
const goals = [goal('lint', false), goal('suite', true)];
const r = (id: string, st: 'pass' | 'fail', ms = 10): GateInput => ({ id, state: st, durationMs: ms, diagnostic: st === 'fail' ? `${id} failed` : '', cached: false });
const conv: ConvergenceInput = { hardGoalIds: ['lint', 'suite'], openBlockingBugs: 0, ledgerReadable: true, softConsensus: true, unapprovedGateSurface: 0, unexcusedMarkers: 0, unreadCode: 0, unauditedAuthors: [], heldByTestChanges: [] };
const s = settings({ skeptic: false });

describe('a result belongs to the commit it judged', () => {
  test('a background pass of commit A is never the state at commit B, and never lets B converge', () => {
    // Cheap gates green at A; the expensive job on A passes while HEAD is still A.
    let st = recordAtHead({ ...state(), clean_ticks: 5 }, 'A', [r('lint', 'pass')], goals);
    expect(st.gates.results.suite).toBeUndefined();
    st = recordExpensive(st, 'A', [r('suite', 'pass')], goals, true);
    expect(st.gates.results.suite).toMatchObject({ state: 'pass', background: true });
    // HEAD moves to B (the revert): the pass of A is kept aside, not shown as B's.
    st = recordAtHead(st, 'B', [r('lint', 'pass')], goals);
    expect(st.gates.head).toBe('B');
    expect(st.gates.results.suite).toBeUndefined();
    expect(st.gates.expensive?.suite).toMatchObject({ head: 'A', state: 'pass' });
    expect(decideConvergence(st, conv, s).kind).toBe('continue');
    // Everything else converged: the suite must run fresh at B before anything is decided.
    expect(freshExpensiveNeeded(st, conv, s, goals).map((g) => g.id)).toEqual(['suite']);
    const failedAtB = recordExpensive(st, 'B', [r('suite', 'fail')], goals, false);
    expect(freshExpensiveNeeded(failedAtB, conv, s, goals)).toEqual([]);
    expect(decideConvergence(failedAtB, conv, s).kind).toBe('continue');
    expect(decideConvergence(recordExpensive(st, 'B', [r('suite', 'pass')], goals, false), conv, s).kind).toBe('complete');
  });

  test('a job that finishes after HEAD moved on records its commit only, however late it reports', () => {
    let st = recordAtHead(state(), 'B', [r('lint', 'pass')], goals);
    st = recordExpensive(st, 'A', [r('suite', 'pass')], goals, true);
    expect(st.gates.head).toBe('B');
    expect(st.gates.results.suite).toBeUndefined();
    // Back at A (a peer resets to it): A's own measurement is A's state again.
    expect(recordAtHead(st, 'A', [r('lint', 'pass')], goals).gates.results.suite).toMatchObject({ state: 'pass', background: true });
  });

  test('a changed goal definition makes the old measurement stand for nothing', () => {
    let st = recordExpensive(recordAtHead(state(), 'A', [r('lint', 'pass')], goals), 'A', [r('suite', 'pass')], goals, true);
    const edited = [goals[0]!, { ...goals[1]!, cmd: 'check suite --quick' }];
    st = recordAtHead(st, 'A', [r('lint', 'pass')], edited);
    expect(st.gates.results.suite).toBeUndefined();
    expect(backgroundToStart(st, 'A', edited, false).map((g) => g.id)).toEqual(['suite']);
  });

  test('cheap results for an expensive id (a probe that ran it anyway) are not taken as its state', () => {
    const st = recordAtHead(state(), 'A', [r('lint', 'pass'), r('suite', 'pass')], goals);
    expect(st.gates.results.suite).toBeUndefined();
  });
});

describe('what runs when', () => {
  test('one background job at a time, only for goals without a result at that commit', () => {
    const st = recordAtHead(state(), 'A', [r('lint', 'pass')], goals);
    expect(backgroundToStart(st, 'A', goals, false).map((g) => g.id)).toEqual(['suite']);
    expect(backgroundToStart(st, 'A', goals, true)).toEqual([]);
    expect(backgroundToStart(st, null, goals, false)).toEqual([]);
    expect(backgroundToStart(recordExpensive(st, 'A', [r('suite', 'fail')], goals, true), 'A', goals, false)).toEqual([]);
    expect(backgroundToStart(st, 'A', [goal('lint', false)], false)).toEqual([]);
  });

  test('no synchronous run before the rest has converged (cheap gate red, a blocking bug, too few clean ticks)', () => {
    const st = { ...recordAtHead(state(), 'A', [r('lint', 'pass')], goals), clean_ticks: 5 };
    expect(freshExpensiveNeeded(st, conv, s, goals).length).toBe(1);
    expect(freshExpensiveNeeded({ ...st, clean_ticks: 0 }, conv, s, goals)).toEqual([]);
    expect(freshExpensiveNeeded(st, { ...conv, openBlockingBugs: 1 }, s, goals)).toEqual([]);
    expect(freshExpensiveNeeded(recordAtHead(st, 'A', [r('lint', 'fail')], goals), conv, s, goals)).toEqual([]);
  });

  test('an expensive goal with no result anywhere keeps the run from completing (fail closed)', () => {
    const st = { ...recordAtHead(state(), 'A', [r('lint', 'pass')], goals), clean_ticks: 5 };
    expect(decideConvergence(st, conv, s).kind).toBe('continue');
  });
});

describe('stuck gates', () => {
  test('an expensive gate red at its last commit counts toward the stuck halt while HEAD is not yet measured', () => {
    let st = recordExpensive(recordAtHead(state(), 'A', [r('lint', 'pass')], goals), 'A', [r('suite', 'fail')], goals, true);
    st = recordAtHead(st, 'B', [r('lint', 'pass')], goals);
    st = countRedTick(st);
    expect(st.gates.red_streak).toEqual({ suite: 1 });
    st = countRedTick({ ...st, tick: 1 });
    expect(st.gates.red_streak).toEqual({ suite: 2 });
    // Passed at its newest commit: the streak ends.
    expect(countRedTick({ ...recordExpensive(st, 'B', [r('suite', 'pass')], goals, true), tick: 2 }).gates.red_streak).toEqual({});
  });
});

describe('gate time per tick', () => {
  test('sums what the tick measured, leaves cached passes out, and names background results with their commit', () => {
    const t = gateTime([r('lint', 'pass', 120), { ...r('types', 'pass', 0), cached: true }], [{ head: 'A', results: [r('suite', 'fail', 60_000)] }], { head: 'B', ids: ['suite'] });
    expect(t).toEqual({ sync_ms: 120, sync: ['lint'], background_ms: 60_000, background: [{ id: 'suite', head: 'A', state: 'fail', duration_ms: 60_000 }], running: { head: 'B', ids: ['suite'] } });
  });
});

describe('recording, goal by goal', () => {
  const two = [goal('lint', false), goal('suite', true), goal('e2e', true)];
  const conv2: ConvergenceInput = { ...conv, hardGoalIds: ['lint', 'suite', 'e2e'] };

  test('cheap goals are the ones not marked expensive', () => {
    expect(cheapGoals(two).map((g) => g.id)).toEqual(['lint']);
  });

  test('with two expensive goals: a probe result for either is not its state, and each keeps its own result and flag', () => {
    let st = recordAtHead(state(), 'A', [r('lint', 'pass'), r('suite', 'pass'), r('e2e', 'pass')], two);
    expect(Object.keys(st.gates.results)).toEqual(['lint']);
    st = recordExpensive(st, 'A', [r('suite', 'pass')], two, true);
    st = recordExpensive(st, 'A', [r('e2e', 'fail')], two, false);
    // The first measurement is kept when the second goal's arrives.
    expect(Object.keys(st.gates.expensive ?? {}).sort()).toEqual(['e2e', 'suite']);
    st = recordAtHead(st, 'A', [r('lint', 'pass')], two);
    expect(st.gates.results.suite).toEqual({ state: 'pass', diagnostic: '', duration_ms: 10, cached: false, background: true });
    expect(st.gates.results.e2e).toEqual({ state: 'fail', diagnostic: 'e2e failed', duration_ms: 10, cached: false });
  });

  test('a result for a cheap goal is no expensive measurement; the diagnostic is capped and the duration whole and never negative', () => {
    const st = recordExpensive(recordAtHead(state(), 'A', [r('lint', 'pass')], two), 'A', [r('lint', 'fail'), { ...r('suite', 'fail', -5), diagnostic: 'x'.repeat(5000) }, r('e2e', 'pass', 10.6)], two, false);
    expect(st.gates.expensive?.lint).toBeUndefined();
    expect(st.gates.results.lint?.state).toBe('pass');
    expect(st.gates.expensive?.suite).toMatchObject({ duration_ms: 0, background: false });
    expect(st.gates.expensive?.suite?.diagnostic.length).toBe(2000);
    expect(st.gates.expensive?.e2e?.duration_ms).toBe(11);
    expect(st.gates.results.suite).toEqual({ state: 'fail', diagnostic: 'x'.repeat(2000), duration_ms: 0, cached: false });
  });

  test("a test-only turn's probe records every goal at its commit as measured there, not in the background", () => {
    const st = recordProbe(state(), 'A', [r('lint', 'pass'), r('suite', 'pass'), r('e2e', 'fail')], two);
    expect(st.gates.results.suite).toEqual({ state: 'pass', diagnostic: '', duration_ms: 10, cached: false });
    expect(st.gates.expensive?.e2e).toMatchObject({ head: 'A', state: 'fail', background: false });
  });

  test('both expensive goals missing at a converged HEAD: both run fresh; none when there is no HEAD or no expensive goal', () => {
    const st = { ...recordAtHead(state(), 'A', [r('lint', 'pass')], two), clean_ticks: 5 };
    expect(freshExpensiveNeeded(st, conv2, s, two).map((g) => g.id)).toEqual(['suite', 'e2e']);
    expect(freshExpensiveNeeded({ ...st, gates: { ...st.gates, head: null } }, conv2, s, two)).toEqual([]);
    expect(freshExpensiveNeeded(st, { ...conv2, hardGoalIds: ['lint'] }, s, [goal('lint', false)])).toEqual([]);
  });

  test('a measurement at HEAD that the recorded gates do not carry yet is run fresh, not assumed', () => {
    // The job reported for A while the gates were B's; the gates then moved to A without taking it.
    let st = recordExpensive(recordAtHead(state(), 'B', [r('lint', 'pass')], goals), 'A', [r('suite', 'pass')], goals, true);
    st = { ...recordGates(st, 'A', [r('lint', 'pass')]), clean_ticks: 5 };
    expect(st.gates.results.suite).toBeUndefined();
    expect(freshExpensiveNeeded(st, conv, s, goals).map((g) => g.id)).toEqual(['suite']);
  });
});
