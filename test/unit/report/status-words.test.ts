/**
 * `peers status` said "Clean ticks in a row: 4" while all four gates were red, and "red 5 ticks"
 * where `peers report` said "4 of 4" ticks: a new user read both as contradictions. The counter
 * counts turns (src/loop/convergence.ts nextCleanTicks), the streak counts evaluations (the gate
 * probe before tick 1 is one): each is now said in its own unit, the same in status and report.
 */
import { expect, test } from 'bun:test';
import { cleanTurnsLine, formatStatus } from '../../../src/report/status-text.ts';
import { gateLines } from '../../../src/report/gate-lines.ts';
import { statePaths } from '../../../src/state/paths.ts';
import { state } from '../loop/fixtures.ts';

const red = { state: 'fail', diagnostic: 'exit=1' };

test('the clean counter is named for what it counts and never reads as green beside red gates', () => {
  const line = cleanTurnsLine(4, 2, { a: red, b: red, c: red, d: red });
  expect(line).toBe('Clean turns in a row: 4 (turns that succeeded and filed no new blocking bug, 2 needed to converge; not converging while 4 gates are red)');
  expect(cleanTurnsLine(1, null, { a: { state: 'pass' } })).toBe('Clean turns in a row: 1 (turns that succeeded and filed no new blocking bug)');
});

test('status says the red streak in evaluations, as the report does, never in ticks', () => {
  expect(gateLines([['tests-pass', red]], { 'tests-pass': 5 })[0]).toStartWith('  tests-pass: fail (red 5 evaluations in a row) — ');
  const st = state();
  const s = { ...st, tick: 4, clean_ticks: 4, gates: { ...st.gates, results: { 'tests-pass': red }, red_streak: { 'tests-pass': 5 } } };
  const summary = { paths: statePaths('/s'), state: s, log: { lines: [], skipped: 0, tornTail: false }, ticks: [], exits: [], lock: { held: false }, halted: false, ledger: null, control: { ok: true as const, control: null }, readAt: new Date(0).toISOString() };
  const text = formatStatus(summary as unknown as Parameters<typeof formatStatus>[0], 0);
  expect(text).not.toContain('Clean ticks');
  expect(text).not.toMatch(/red \d+ ticks/);
  expect(text).toContain('Clean turns in a row: 4 (turns that succeeded and filed no new blocking bug; not converging while 1 gate is red)');
  expect(text).toContain('tests-pass: fail (red 5 evaluations in a row)');
});
