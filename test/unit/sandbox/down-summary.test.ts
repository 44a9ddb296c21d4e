/**
 * What `peers down` says first (sandbox/down.ts downSummary): a run that stopped by itself still
 * has its pod until down removes it, so "nothing left behind" would be wrong there.
 */
import { describe, expect, test } from 'bun:test';
import { downSummary, interruptedTurnLine } from '../../../sandbox/down.ts';

describe('peers down, its first line', () => {
  const base = { path: '/home/dev/app', seconds: 2.04, stopReason: 'max_ticks' };
  test('a running loop: stopped, how long, why', () => {
    expect(downSummary({ ...base, wasRunning: true, leftovers: false })).toBe('stopped /home/dev/app in 2.0 s (stop reason: max_ticks)');
  });
  test('a run that had stopped by itself: its pod removed, and why it stopped', () => {
    expect(downSummary({ ...base, wasRunning: false, leftovers: true })).toBe('/home/dev/app had already stopped (stop reason: max_ticks); removed its pod');
  });
  test('nothing there: nothing left behind', () => {
    expect(downSummary({ ...base, wasRunning: false, leftovers: false, stopReason: null })).toBe('/home/dev/app was not running; nothing left behind');
  });
});

describe('peers down, on a turn the stop cut short', () => {
  const clone = '/state/run/clone';
  const patchOf = (tick: number, peer: string) => `/state/leftovers/tick-0000${tick}-${peer}.patch`;
  test('closed by the loop: where its commits and its uncommitted work are', () => {
    const lastTick = { tick: 3, peer: 'claude', interrupted: true, head_before: 'a', head_after: 'b', dirty_paths: ['src/discount.js', 'PLAN-NOTES.md'] };
    expect(interruptedTurnLine({ unclosed: null, lastTick, clone, patchOf })).toBe(
      "interrupted turn: the loop was stopped during claude's turn (tick 3) and closed it: its commits are on the results branch, credited to claude; what it left uncommitted is saved as /state/leftovers/tick-00003-claude.patch (no peer reviewed it, and it may change what your git or tools run, such as hooks or build files: read it before `git apply --index` takes it back)",
    );
  });
  test('never closed (the loop was killed): the work is still in the run clone, and up closes the turn first', () => {
    const line = interruptedTurnLine({ unclosed: { tick: 3, peer: 'claude' }, lastTick: { tick: 2, peer: 'codex' }, clone, patchOf })!;
    expect(line).toContain("the loop was stopped during claude's turn (tick 3) before it could close it");
    expect(line).toContain(`still in the run clone (${clone})`);
    expect(line).toContain('leftovers/tick-00003-claude.patch');
  });
  test('stopped between turns: nothing to say', () => {
    expect(interruptedTurnLine({ unclosed: null, lastTick: { tick: 2, peer: 'codex' }, clone, patchOf })).toBeNull();
    expect(interruptedTurnLine({ unclosed: null, lastTick: undefined, clone, patchOf })).toBeNull();
  });
});
