/**
 * A user following a run (`peers up --attach`, `peers logs -f`) learns why gates are red from the
 * loop's console: before, the ticks said "handoff" while tests-pass stayed red with `go: not found`
 * for the whole night, and only `peers status` told. One line when what is red changes, not every tick.
 */
import { expect, test } from 'bun:test';
import { gatesLine } from '../../../src/loop/gates-line.ts';

const rec = (state: 'pass' | 'fail', diagnostic = '') => ({ state, diagnostic, duration_ms: 10, cached: false });
const HEAD = 'c6e054a1'.padEnd(40, '0');

test('red gates are named with why; the same again says nothing; green again says so', () => {
  const red = { head: HEAD, results: { 'self-review-on-handoff': rec('pass'), 'tests-pass': rec('fail', "go: command not found (exit 127): it is not installed where the gate runs; pass_when returned False; exit_code=127; stderr-tail='/bin/sh: 1: eval: go: not found\\n'") } };
  const first = gatesLine(red, undefined)!;
  expect(first.line).toStartWith('peers: gates at c6e054a1: 1/2 green; red: tests-pass — go: command not found (exit 127)');
  expect(first.line).toEndWith("go: not found\\n'");
  expect(gatesLine({ ...red, head: 'd'.repeat(40) }, first.key)).toBeUndefined();
  const green = gatesLine({ head: HEAD, results: { a: rec('pass'), b: rec('pass') } }, first.key)!;
  expect(green.line).toBe('peers: gates at c6e054a1: all 2 green');
  expect(gatesLine({ head: null, results: {} }, undefined)).toBeUndefined();
});

test('every gate failing the same way (a failed setup) is said once, and a long diagnostic keeps its end', () => {
  const setup = `not run: setup \`pnpm install --frozen-lockfile\` failed: pnpm: command not found (exit 127); exit=127; stderr: ${'x'.repeat(400)} the end`;
  const { line } = gatesLine({ head: HEAD, results: { a: rec('fail', setup), b: rec('fail', setup) } }, undefined)!;
  expect(line).toStartWith('peers: gates at c6e054a1: 0/2 green; red: a, b — not run: setup `pnpm install --frozen-lockfile` failed: pnpm: command not found');
  expect(line).toEndWith('the end');
  expect(line.length).toBeLessThan(300);
});

test("a failed setup with a long command keeps the start of its reason, not only the command", () => {
  const cmd = 'python3 -m venv --system-site-packages .venv && .venv/bin/pip install -q -r requirements.txt';
  const setup = `not run: setup \`${cmd}\` failed: a connection through the egress proxy failed with 502: the host is allowed, but the egress container could not reach it; exit=1; stderr: ${'WARNING: Retrying '.repeat(20)}ERROR: No matching distribution found for tomli-w==1.0.0`;
  const { line } = gatesLine({ head: HEAD, results: { a: rec('fail', setup), b: rec('fail', setup) } }, undefined)!;
  expect(line).toContain('failed: a connection through the egress proxy failed with 502');
  expect(line).toEndWith('No matching distribution found for tomli-w==1.0.0');
  expect(line.length).toBeLessThan(300);
});

test("a failed gate's note (why: no network, a missing program) is said whole; only the command's output is cut", () => {
  const note = 'no network (a host name not resolved, Node\'s "fetch failed"): a run\'s gates reach only egress.allow\'s hosts (setup too), through the egress proxy; mock what it fetches or keep it out of the gates';
  const diagnostic = `${note}; pass_when returned False; exit_code=1; stdout-tail="${'# Subtest: x\\n'.repeat(40)}# fail 1\\n"`;
  const { line } = gatesLine({ head: HEAD, results: { 'tests-pass': rec('fail', diagnostic) } }, undefined)!;
  expect(line).toContain(`red: tests-pass — ${note}; pass_when returned False`);
  expect(line).toEndWith('# fail 1\\n"');
  expect(line.length).toBeLessThan(note.length + 260);
});
