/**
 * What `peers down` says first (sandbox/down.ts downSummary): a run that stopped by itself still
 * has its pod until down removes it, so "nothing left behind" would be wrong there.
 */
import { describe, expect, test } from 'bun:test';
import { downSummary } from '../../../sandbox/down.ts';

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
