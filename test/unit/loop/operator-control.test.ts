/**
 * The operator's live controls: the control file's parsing (fail closed), pausing and resuming a
 * peer in the turn order while the run goes on, the wait when only paused peers could run, and
 * `--max-runtime` values (set and +extend).
 */
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlChanges, controlProblem, NOTHING_SEEN } from '../../../src/loop/control-notes.ts';
import { applyRuntimeChange, formatDuration, parseRuntimeChange } from '../../../src/loop/runtime-change.ts';
import { withOperatorControl } from '../../../src/loop/settings.ts';
import { budgetStop } from '../../../src/loop/stop-check.ts';
import { decidePreTick, finalizeTick } from '../../../src/loop/tick.ts';
import { emptyControl, parseControl, readControl, withMaxRuntime, withPaused, writeControl } from '../../../src/state/operator-control.ts';
import { fail, obs, settings, state } from './fixtures.ts';

const conv = { hardGoalIds: [], openBlockingBugs: 0, ledgerReadable: true, softConsensus: true, unapprovedGateSurface: 0, unexcusedMarkers: 0, unreadCode: 0, unauditedAuthors: [], heldByTestChanges: [] };
const run = { ticksThisRun: 0, stopRequested: false };
const at = new Date('2026-03-01T00:00:00Z');

describe('the control file', () => {
  test('absent: no controls; written and read back: the same controls', () => {
    const dir = mkdtempSync(join(tmpdir(), 'peers-control-'));
    try {
      const path = join(dir, 'operator.json');
      expect(readControl(path)).toEqual({ ok: true, control: null });
      const c = withMaxRuntime(withPaused(null, 'codex', true, at), 7200, at);
      writeControl(path, c);
      expect(readControl(path)).toEqual({ ok: true, control: c });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('damage is an error, never "no controls": bad JSON, an unknown key, a bad peer name, a symlink', () => {
    expect(parseControl('{"version":1,').ok).toBe(false);
    expect(parseControl(JSON.stringify({ ...emptyControl(at), resumed: ['a'] }))).toMatchObject({ ok: false, error: expect.stringContaining('resumed') });
    expect(parseControl(JSON.stringify({ ...emptyControl(at), paused: { '../x': { since: 'now' } } })).ok).toBe(false);
    expect(parseControl(JSON.stringify({ ...emptyControl(at), max_runtime_s: -5 })).ok).toBe(false);
    expect(parseControl(JSON.stringify({ ...emptyControl(at), version: 2 })).ok).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'peers-control-'));
    try {
      writeFileSync(join(dir, 'elsewhere.json'), JSON.stringify(emptyControl(at)));
      symlinkSync(join(dir, 'elsewhere.json'), join(dir, 'operator.json'));
      expect(readControl(join(dir, 'operator.json'))).toMatchObject({ ok: false, error: expect.stringContaining('symlink') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('pause keeps the first pause time; resume removes the peer', () => {
    const once = withPaused(null, 'a', true, at);
    const twice = withPaused(once, 'a', true, new Date('2026-03-02T00:00:00Z'));
    expect(twice.paused).toEqual({ a: { since: at.toISOString() } });
    expect(withPaused(twice, 'a', false, at).paused).toEqual({});
  });
});

describe('pause and resume in the turn order', () => {
  test('a paused peer gets no turn while the other keeps working; resumed, it is next in turn again', () => {
    const base = settings();
    const paused = withOperatorControl(base, withPaused(null, 'b', true, at));
    let st = state();
    const who: string[] = [];
    for (let i = 0; i < 3; i++) {
      const pre = decidePreTick(st, run, conv, paused);
      if (pre.action.kind !== 'turn') throw new Error(JSON.stringify(pre.action));
      who.push(pre.action.peer);
      st = finalizeTick(pre.state, obs(pre.state, { peer: pre.action.peer, turn_index: pre.action.index }), paused).state;
    }
    expect(who).toEqual(['a', 'a', 'a']);
    // Pausing is not a failure: b's health is untouched.
    expect(st.peers.b).toEqual(state().peers.b);
    const resumed = withOperatorControl(paused, withPaused(withPaused(null, 'b', true, at), 'b', false, at));
    const pre = decidePreTick(st, run, conv, resumed);
    expect(pre.action).toMatchObject({ kind: 'turn', peer: 'b' });
  });

  test('a paused peer is not picked as the skeptic either', () => {
    const s = withOperatorControl(settings(), withPaused(null, 'a', true, at));
    const st = { ...state(), clean_ticks: 2 };
    const pre = decidePreTick(st, run, conv, s);
    expect(pre.action).toMatchObject({ kind: 'turn', peer: 'b', skeptic: true });
  });

  test('every peer that could run is paused: the run waits (no halt, no stop); a down peer still halts as before', () => {
    const s = withOperatorControl(settings(), withPaused(withPaused(null, 'a', true, at), 'b', true, at));
    const pre = decidePreTick(state(), run, conv, s);
    expect(pre.action).toEqual({ kind: 'paused', paused: ['a', 'b'] });
    expect(pre.state.halted).toBeNull();
    // a unavailable, b paused: b alone could run, so the run waits for b's resume.
    let st = state();
    st = { ...st, peers: { ...st.peers, a: { ...st.peers.a!, state: 'unavailable', reason: 'auth' } } };
    const onlyB = withOperatorControl(settings(), withPaused(null, 'b', true, at));
    expect(decidePreTick(st, run, conv, onlyB).action).toEqual({ kind: 'paused', paused: ['b'] });
    // Both down and none paused: the halt is unchanged.
    st = { ...st, peers: { ...st.peers, b: { ...st.peers.b!, state: 'unavailable', reason: 'auth' } } };
    expect(decidePreTick(st, run, conv, settings()).action).toEqual({ kind: 'stop', reason: { kind: 'all-peers-down' } });
  });

  test('a failing peer that gets paused keeps its health: the pause neither heals nor punishes it', () => {
    const s = withOperatorControl(settings(), withPaused(null, 'a', true, at));
    const st = finalizeTick(state(), obs(state(), fail), settings()).state;
    const pre = decidePreTick(st, run, conv, s);
    expect(pre.action).toMatchObject({ kind: 'turn', peer: 'b' });
    expect(pre.state.peers.a).toEqual(st.peers.a);
  });
});

describe('--max-runtime', () => {
  test('values users type: seconds, units, combinations, +extension', () => {
    expect(parseRuntimeChange('21600')).toEqual({ kind: 'set', seconds: 21600 });
    expect(parseRuntimeChange('6h')).toEqual({ kind: 'set', seconds: 21600 });
    expect(parseRuntimeChange('1h30m')).toEqual({ kind: 'set', seconds: 5400 });
    expect(parseRuntimeChange('+6h')).toEqual({ kind: 'extend', seconds: 21600 });
    expect(parseRuntimeChange('+45m')).toEqual({ kind: 'extend', seconds: 2700 });
    for (const bad of ['', '6 hours', '-1h', '+', '0', '0h', 'h6', '6x', '+6h+1m']) expect(() => parseRuntimeChange(bad)).toThrow('--max-runtime');
    expect(formatDuration(21600)).toBe('6h');
    expect(formatDuration(5400)).toBe('1h30m');
    expect(formatDuration(45)).toBe('45s');
  });

  test('days, surrounding spaces, and the limits: zero is refused, more than a year is refused, an extension stops at a year', () => {
    expect(parseRuntimeChange(' 2d ')).toEqual({ kind: 'set', seconds: 172_800 });
    expect(parseRuntimeChange('1d1h1m1s')).toEqual({ kind: 'set', seconds: 90_061 });
    expect(parseRuntimeChange('366d')).toEqual({ kind: 'set', seconds: 366 * 86_400 });
    expect(() => parseRuntimeChange('0')).toThrow('--max-runtime 0: must be more than zero');
    expect(() => parseRuntimeChange('367d')).toThrow('--max-runtime 367d: more than a year');
    expect(() => parseRuntimeChange('6 hours')).toThrow('--max-runtime 6 hours: expected seconds or a duration like 6h, 90m, 1h30m, or +6h to extend the current cap');
    expect(applyRuntimeChange(366 * 86_400 - 60, parseRuntimeChange('+1h'))).toBe(366 * 86_400);
    expect(applyRuntimeChange(3600, parseRuntimeChange('+30m'))).toBe(5400);
    expect(parseRuntimeChange('1')).toEqual({ kind: 'set', seconds: 1 });
    let caught: unknown;
    try {
      parseRuntimeChange('soon');
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ exitCode: 2, hint: 'e.g. --max-runtime 8h, or --max-runtime +2h on a running run' });
  });

  test('durations are shown in the largest units, rounded, never negative', () => {
    expect(formatDuration(90_061)).toBe('1d1h1m1s');
    expect(formatDuration(86_400)).toBe('1d');
    expect(formatDuration(3600)).toBe('1h');
    expect(formatDuration(60)).toBe('1m');
    expect(formatDuration(59.6)).toBe('1m');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(-30)).toBe('0s');
    expect(formatDuration(7260)).toBe('2h1m');
  });

  test('+6h extends the cap in force; the new cap lifts a runtime stop through the same rule the loop applies', () => {
    const s = settings();
    const st = { ...state(), budget: { ...state().budget, spent_runtime_ms: 21_600_000 } };
    expect(budgetStop(st, run, s).stop).toEqual({ kind: 'budget', cap: 'max_runtime' });
    const cap = applyRuntimeChange(s.budget.maxRuntimeS, parseRuntimeChange('+6h'));
    expect(cap).toBe(43_200);
    expect(budgetStop(st, run, withOperatorControl(s, withMaxRuntime(null, cap, at))).stop).toBeNull();
    // A set value replaces it outright, also downwards.
    expect(applyRuntimeChange(43_200, parseRuntimeChange('2h'))).toBe(7200);
  });
});

describe('what the loop says of the controls', () => {
  const base = settings();
  const paused = (names: string[], runtimeS = base.budget.maxRuntimeS) => ({ ...base, paused: names, budget: { ...base.budget, maxRuntimeS: runtimeS } });

  test('each change is said once: a pause, a new runtime cap, every peer paused, a resume; the same controls again say nothing', () => {
    const first = controlChanges(NOTHING_SEEN, base, paused(['b']), ['a', 'b']);
    expect(first.lines).toEqual(['peers: b is paused by the operator: no turns until `peers resume b`']);
    expect(controlChanges(first.seen, base, paused(['b']), ['a', 'b']).lines).toEqual([]);
    const all = controlChanges(first.seen, base, paused(['b', 'a'], 7200), ['a', 'b']);
    expect(all.lines).toEqual(['peers: a is paused by the operator: no turns until `peers resume a`', 'peers: max runtime is now 2h (set by the operator)', 'peers: every peer is paused: waiting for `peers resume NAME`']);
    expect(controlChanges(all.seen, base, paused(['a'], 7200), ['a', 'b']).lines).toEqual(['peers: b resumed by the operator']);
  });

  test('an unusable control file is said once per distinct problem; once fixed, the controls are counted from the run\'s own settings', () => {
    const bad = controlProblem(NOTHING_SEEN, '/s/control/operator.json', 'bad JSON');
    expect(bad.lines).toEqual(['peers: the operator control file /s/control/operator.json cannot be used (bad JSON); holding the run until it is fixed (peers pause/resume rewrites it)']);
    expect(controlProblem(bad.seen, '/s/control/operator.json', 'bad JSON').lines).toEqual([]);
    expect(controlProblem(bad.seen, '/s/control/operator.json', 'unknown key x').lines).toHaveLength(1);
    expect(controlChanges(bad.seen, base, base, ['a', 'b']).lines).toEqual([]);
    expect(controlChanges(bad.seen, base, paused(['a']), ['a', 'b']).lines).toEqual(['peers: a is paused by the operator: no turns until `peers resume a`']);
  });
});
