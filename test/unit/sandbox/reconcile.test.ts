/**
 * Run status is derived, not stored: these are the rules `peers ls` applies to what podman and the
 * state dir say. The e2e suite checks the same states against a real pod.
 */
import { describe, expect, test } from 'bun:test';
import { classify } from '../../../sandbox/reconcile.ts';

const base = { loopRunning: false, loopStartedAt: null, stopReason: undefined, hasState: false, hasContainers: false };

describe('run status', () => {
  test('never started → fresh', () => expect(classify(base)).toBe('fresh'));
  test('loop container running → running, whatever an old stop reason says', () =>
    expect(classify({ ...base, loopRunning: true, stopReason: { reason: 'complete', at: '2026-01-01T00:00:00Z' } })).toBe('running'));
  test('loop gone with a stop reason written after it started → stopped', () =>
    expect(classify({ ...base, hasState: true, hasContainers: true, loopStartedAt: '2026-01-01T10:00:00.000Z', stopReason: { reason: 'interrupted', at: '2026-01-01T10:05:00.000Z' } })).toBe('stopped'));
  test('stuck, budget and max_ticks are deliberate stops, not crashes', () => {
    for (const reason of ['stuck:tests-pass', 'budget:max_usd', 'max_ticks', 'peer-unavailable:codex'])
      expect(classify({ ...base, hasState: true, stopReason: { reason, at: '2026-01-01T10:05:00.000Z' } })).toBe('stopped');
  });
  test('loop gone without a stop reason (killed) → crashed', () => expect(classify({ ...base, hasState: true, hasContainers: true })).toBe('crashed'));
  test('a stop reason older than the current loop start belongs to an earlier run → crashed', () =>
    expect(classify({ ...base, hasState: true, hasContainers: true, loopStartedAt: '2026-01-02T00:00:00.000Z', stopReason: { reason: 'interrupted', at: '2026-01-01T00:00:00.000Z' } })).toBe('crashed'));
  test('error:* stop reasons are crashes', () => expect(classify({ ...base, hasState: true, stopReason: { reason: 'error:TypeError', at: '' } })).toBe('crashed'));
});
