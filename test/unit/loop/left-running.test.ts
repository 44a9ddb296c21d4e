/**
 * A turn that left processes running outside its process group (SECURITY.md, "A turn's commits are
 * its own peer's"): recorded and shown to every peer when they were stopped; the turn fails when
 * some could not be (fail closed: one could still commit in the next peer's turn).
 */
import { expect, test } from 'bun:test';
import { leftRunning } from '../../../src/loop/left-running.ts';

test('nothing left running: nothing to record', () => {
  expect(leftRunning('alice', {})).toBeNull();
  expect(leftRunning('alice', { leftoversStopped: 0 })).toBeNull();
});

test('stopped: a left-running finding and the note every peer sees; the turn stands', () => {
  expect(leftRunning('alice', { leftoversStopped: 2 })).toEqual({
    finding: { kind: 'left-running', detail: "alice's turn left 2 processes running outside its process group", action: 'stopped when the turn ended' },
    note: "alice's turn left 2 processes running outside its process group: stopped when the turn ended. Nothing a turn starts outlives it.",
    failsTurn: null,
  });
});

test('some could not be stopped: the turn fails, saying why (fail closed)', () => {
  const r = leftRunning('alice', { leftoversStopped: 0, leftoversError: '1 process(es) still run after 5000 ms (pids 42)' });
  expect(r?.finding.action).toBe('not all could be stopped: 1 process(es) still run after 5000 ms (pids 42)');
  expect(r?.failsTurn).toBe('processes the turn left running could not be stopped (1 process(es) still run after 5000 ms (pids 42))');
});
