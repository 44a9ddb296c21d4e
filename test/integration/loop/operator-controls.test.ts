/**
 * The operator's controls on a running loop (the control file the loop reads before every tick):
 * a paused peer sits out while the other works and is back after `resume`; with every peer paused
 * the run waits instead of halting; a damaged control file holds the run (fail closed) until it is
 * fixed; a runtime cap set there replaces the run's own.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { statePaths } from '../../../src/state/paths.ts';
import { ensureStateDirs } from '../../../src/state/paths.ts';
import { readControl, withMaxRuntime, withPaused, writeControl } from '../../../src/state/operator-control.ts';
import { loop, makeProject, stopReason, ticks, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());
/** Keeps the run from converging, so it goes on for as many ticks as the test needs. */
const NEVER_GREEN = { id: 'never-green', type: 'hard', cmd: 'false', pass_when: 'exit_code == 0' };

/** Writes the control file as `peers pause|resume` does (atomic, in the state dir). */
function control(pr: Project, change: (c: ReturnType<typeof readControl>) => Parameters<typeof writeControl>[1]): void {
  const paths = statePaths(pr.stateDir);
  ensureStateDirs(paths);
  writeControl(paths.control, change(readControl(paths.control)));
}
const current = (c: ReturnType<typeof readControl>) => (c.ok ? c.control : null);

describe('pause and resume while the run goes on', () => {
  test('a paused peer gets no turn while the other works; resumed mid-run, it takes the next turn', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [NEVER_GREEN] });
    control(p, (c) => withPaused(current(c), 'bob', true));
    const pr = p;
    const lines: string[] = [];
    const out = await loop(pr, {
      maxTicks: 4,
      log: (l) => {
        lines.push(l);
        // The operator resumes bob once alice has done two turns.
        if (l.startsWith('peers: tick 2 handoff')) control(pr, (c) => withPaused(current(c), 'bob', false));
      },
    });
    expect(out.reason).toBe('max_ticks');
    expect(ticks(p).map((t) => t.peer)).toEqual(['alice', 'alice', 'bob', 'alice']);
    expect(lines).toContain('peers: bob is paused by the operator: no turns until `peers resume bob`');
    expect(lines).toContain('peers: bob resumed by the operator');
    // Sitting out is not failing: bob's health is untouched.
    expect(ticks(p).every((t) => t.success)).toBe(true);
  });

  test('every peer paused: the run waits (no halt), and goes on when one is resumed', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    control(p, (c) => withPaused(withPaused(current(c), 'alice', true), 'bob', true));
    const pr = p;
    const lines: string[] = [];
    const out = await loop(pr, {
      maxTicks: 1,
      log: (l) => {
        lines.push(l);
        if (l.startsWith('peers: every peer is paused')) control(pr, (c) => withPaused(current(c), 'alice', false));
      },
    });
    expect(out.reason).toBe('max_ticks');
    expect(lines).toContain('peers: every peer is paused: waiting for `peers resume NAME`');
    expect(ticks(p).map((t) => t.peer)).toEqual(['alice']);
  });

  test('a damaged control file holds the run and says why; fixed, the run goes on', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    const paths = statePaths(p.stateDir);
    ensureStateDirs(paths);
    writeFileSync(paths.control, '{"version":1,"paused":');
    const pr = p;
    const lines: string[] = [];
    const out = await loop(pr, {
      maxTicks: 1,
      log: (l) => {
        lines.push(l);
        if (l.includes('cannot be used')) control(pr, () => withPaused(null, 'bob', true));
      },
    });
    expect(out.reason).toBe('max_ticks');
    expect(lines.find((l) => l.includes('cannot be used'))).toContain('holding the run until it is fixed');
    // Nothing ran while it was held: the one tick came after the fix, and by alice (bob paused).
    expect(ticks(p).map((t) => t.peer)).toEqual(['alice']);
  });

  test('held by a damaged control file, a stop request still ends the run as interrupted', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    const paths = statePaths(p.stateDir);
    ensureStateDirs(paths);
    writeFileSync(paths.control, 'not json');
    const stop = new AbortController();
    const out = await loop(p, { maxTicks: 3, signal: stop.signal, log: (l) => l.includes('cannot be used') && stop.abort() });
    expect(out.reason).toBe('interrupted');
    expect(ticks(p)).toEqual([]);
  });
});

describe('the runtime cap from the control file', () => {
  test('it replaces the run\'s own cap (and the --max-runtime it started with): `peers up --max-runtime` reaches a running loop', async () => {
    p = makeProject({ peers: { alice: 'chatty-slow', bob: 'chatty-slow' } });
    control(p, (c) => withMaxRuntime(current(c), 1));
    const lines: string[] = [];
    const out = await loop(p, { maxTicks: 5, maxRuntimeS: 3600, log: (l) => lines.push(l) });
    expect(out.reason).toBe('budget:max_runtime');
    expect(stopReason(p)).toBe('budget:max_runtime');
    expect(ticks(p).length).toBe(1);
    expect(lines).toContain('peers: max runtime is now 1s (set by the operator)');
    // Extended (as `peers up --max-runtime +1h` writes it), the same run goes on.
    control(p, (c) => withMaxRuntime(current(c), 3601));
    expect((await loop(p, { maxTicks: 1 })).reason).toBe('max_ticks');
    expect(ticks(p).length).toBe(2);
  });
});
