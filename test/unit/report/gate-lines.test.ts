/**
 * `peers status` says why a gate is red in words a user can act on: a failed `setup` once and
 * whole (it was cut after its own command, three times over: "failed: exit=1; "), and a long
 * diagnostic with its end, where the tool says why.
 */
import { expect, test } from 'bun:test';
import { gateLines } from '../../../src/report/gate-lines.ts';
import { headAndTail } from '../../../src/cli/fit-line.ts';

const setupFailed = "not run: setup `python3 -c \"import urllib.request; urllib.request.urlopen('https://pypi.org/simple/')\"` failed: a connection was refused with 403, which is what the egress proxy answers for a host not on the allow-list (or an allowed one whose name resolves to a private, loopback or reserved address, which it never connects to): `peers logs --egress` names the host and why; add a missing host to egress.allow in .peers/config.yaml (or `peers up --allow HOST`); exit=1; stderr: Traceback (most recent call last):\n  File \"<string>\", line 1\nurllib.error.URLError: <urlopen error Tunnel connection failed: 403 Forbidden>";

test('a failed setup is said once, with its reason; each gate points at it', () => {
  const lines = gateLines([['self-review', { state: 'fail', diagnostic: setupFailed }], ['tests-pass', { state: 'fail', diagnostic: setupFailed }]], { 'self-review': 1, 'tests-pass': 1 });
  expect(lines[0]).toStartWith('  setup failed, so no gate ran: `python3 -c');
  expect(lines[0]).toContain('`peers logs --egress` names the host and why; add a missing host to egress.allow in .peers/config.yaml (or `peers up --allow HOST`); exit=1; stderr:');
  expect(lines[0]).toContain('Tunnel connection failed: 403 Forbidden>');
  // Not FAIL: the code was never run; each still counts red (the run is not green while setup fails).
  expect(lines.slice(1)).toEqual(['  self-review: not run: setup failed (above) (red 1 evaluation in a row)', '  tests-pass: not run: setup failed (above) (red 1 evaluation in a row)']);
});

test('a long diagnostic keeps its head and its end; short ones and passes are as they were', () => {
  const long = `pass_when returned False; exit_code=1; stdout-tail='${'x'.repeat(500)}'; stderr-tail='AssertionError: expected 3 got 4\\n'`;
  const [line] = gateLines([['tests-pass', { state: 'fail', diagnostic: long }]], { 'tests-pass': 2 });
  expect(line).toStartWith('  tests-pass: fail (red 2 evaluations in a row) — pass_when returned False; exit_code=1');
  expect(line).toEndWith("AssertionError: expected 3 got 4\\n'");
  expect(line!.length).toBeLessThan(260);
  expect(gateLines([['a', { state: 'pass', diagnostic: '' }], ['b', { state: 'fail', diagnostic: 'exit 3' }]], {})).toEqual(['  a: pass', '  b: fail — exit 3']);
  expect(headAndTail('a  b\n c', 10)).toBe('a b c');
});

test("`peers status` says a failed gate's note whole (the fix is at its end) and cuts only the command's output", () => {
  const note = 'go: command not found (exit 127): it is not installed where the gate runs (in a run: the workspace image; `peers doctor` lists the gates\' programs it lacks)';
  const [line] = gateLines([['tests-pass', { state: 'fail', diagnostic: `${note}; pass_when returned False; exit_code=127; stderr-tail='${'x'.repeat(500)}eval: go: not found\\n'` }]], {});
  expect(line).toStartWith(`  tests-pass: fail — ${note}; pass_when returned False`);
  expect(line).toEndWith("go: not found\\n'");
});
