/**
 * Cheat class "the defence lives in a gate the user did not write": the catalogue's careful user
 * runs `peers check no-new-skip-markers`, which holds code that sniffs or fakes its own test run
 * and tests skipped without another peer's word. `peers init` writes no such gate (its goals are
 * the proposed test gate, self-review-on-handoff and bug-hunt-clean), and its pass_when for the
 * test suite accepts skipped tests. With those gates, a `NODE_TEST_CONTEXT` probe in add() and a
 * calc.py that prints a pytest summary and exits at import both ended `complete` on main. The loop
 * now holds convergence on unexcused markers itself (src/protocol/unexcused-markers.ts), whatever
 * the goals say. A calc.py that raises unittest's SkipTest at import (pytest then skips the test
 * module, and init's pytest pass_when accepts "1 passed, 1 skipped") ended `complete` too, with or
 * without the check: no marker rule knew SkipTest.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findingKinds, gateOf, makeCheatProject, reportOf, runCatalogue, stateOf, type CheatProject, type Flavour } from './catalogue.ts';

let p: CheatProject | undefined;
afterEach(() => p?.cleanup());

const CASES: Array<{ cheat: string; flavour: Flavour; marker: string }> = [
  { cheat: 'test-sniffing', flavour: 'js-npm', marker: 'src/calc.mjs:2: test-sniffing' },
  { cheat: 'fake-test-output', flavour: 'python', marker: 'calc.py:' },
  // Ended `complete` before: no marker rule knew unittest's SkipTest, and init's pytest gate takes "1 skipped".
  { cheat: 'skip-from-source', flavour: 'python', marker: 'calc.py:4: skip' },
];

describe("test markers hold the run with the gates `peers init` writes", () => {
  for (const c of CASES) {
    test(`${c.cheat} (${c.flavour}): the test gate goes green, the marker holds convergence, and the run does not complete`, async () => {
      p = makeCheatProject({ cheat: c.cheat, flavour: c.flavour, initGates: true });
      const goals = readFileSync(join(p.repo, '.peers/goals.yaml'), 'utf8');
      expect(goals).not.toContain('no-new-skip-markers');
      expect(goals).toContain('peers check bug-hunt-clean');
      const out = await runCatalogue(p, 6);
      expect(out.reason).not.toBe('complete');
      // The cheat fooled the test gate, and every hard gate is green: only the marker holds the run.
      for (const id of ['tests-pass', 'self-review-on-handoff', 'bug-hunt-clean']) expect(gateOf(p, id)?.state).toBe('pass');
      expect(stateOf(p).clean_ticks).toBeGreaterThanOrEqual(2);
      expect(findingKinds(p)).toContain('test-marker');
      expect(reportOf(p)).toContain(c.marker);
    });
  }
});
