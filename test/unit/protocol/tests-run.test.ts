import { describe, expect, test } from 'bun:test';
import { describeDrops, droppedTests, testsRunIn } from '../../../src/protocol/tests-run.ts';

const NODE_TAP = (tests: number, skipped = 0, fail = 0) => `TAP version 13\nok 1 - x\n1..${tests}\n# tests ${tests}\n# suites 0\n# pass ${tests - fail - skipped}\n# fail ${fail}\n# cancelled 0\n# skipped ${skipped}\n# todo 0\n# duration_ms 12.5\n`;

describe('testsRunIn: the tests a run ran, per runner summary', () => {
  test("each runner's own summary, skipped tests not counted", () => {
    expect(testsRunIn(NODE_TAP(3), '')).toEqual({ node: 3 });
    expect(testsRunIn(NODE_TAP(3, 1), '')).toEqual({ node: 2 });
    expect(testsRunIn('✔ f (1.6ms)\nℹ tests 2\nℹ suites 0\nℹ pass 2\nℹ fail 0\nℹ cancelled 0\nℹ skipped 0\nℹ todo 0\n', '')).toEqual({ node: 2 });
    expect(testsRunIn('FAILED test_x.py::test_b - assert 0\n1 failed, 1 passed, 1 skipped in 2.95s\n', '')).toEqual({ pytest: 2 });
    expect(testsRunIn('==================== 1 failed, 1 passed, 1 skipped, 2 deselected in 2.31s ====================\n', '')).toEqual({ pytest: 2 });
    expect(testsRunIn('..\n2 passed, 1 xfailed, 1 error in 0.10s\n', '')).toEqual({ pytest: 4 });
    expect(testsRunIn('', 'Test Suites: 1 passed, 1 total\nTests:       1 failed, 1 skipped, 2 passed, 4 total\nSnapshots:   0 total\n')).toEqual({ jest: 3 });
    expect(testsRunIn(' Test Files  1 passed (1)\n      Tests  1 failed | 2 passed | 1 skipped (4)\n', '')).toEqual({ vitest: 3 });
    expect(testsRunIn('\n  2 passing (5ms)\n  1 pending\n  1 failing\n', '')).toEqual({ mocha: 3 });
    expect(testsRunIn('', '\n 2 pass\n 1 fail\n 3 expect() calls\nRan 3 tests across 1 file.\n')).toEqual({ bun: 3 });
    expect(testsRunIn('', 'test_a (t.T) ... ok\n\n----------------------------------------------------------------------\nRan 2 tests in 0.000s\n\nOK (skipped=1)\n')).toEqual({ unittest: 1 });
    expect(testsRunIn('', 'Ran 3 tests in 0.001s\n\nFAILED (failures=1)\n')).toEqual({ unittest: 3 });
    expect(testsRunIn('test result: ok. 2 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out\n\ntest result: FAILED. 1 passed; 1 failed; 0 ignored\n', '')).toEqual({ cargo: 4 });
    expect(testsRunIn('=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\n    --- FAIL: TestB/sub (0.00s)\nFAIL\n', '')).toEqual({ go: 2 });
    expect(testsRunIn('ok  \tcalc\t0.01s\n', '')).toEqual({});
    expect(testsRunIn('all good\n', '')).toEqual({});
  });

  test('a forged summary can only lower the count: the smallest summary of a kind is read', () => {
    // Code under test prints a bigger summary before the runner's, and another after it (an exit hook).
    expect(testsRunIn(`${NODE_TAP(99)}${NODE_TAP(2)}${NODE_TAP(50)}`, '')).toEqual({ node: 2 });
    expect(testsRunIn('99 passed in 0.01s\n1 failed, 1 passed in 0.2s\n40 passed in 0.01s\n', '')).toEqual({ pytest: 2 });
    // The same kind on both streams: the smaller again.
    expect(testsRunIn('5 passed in 0.1s\n', '2 passed in 0.1s\n')).toEqual({ pytest: 2 });
  });

  test('CR LF line ends read like LF', () => {
    expect(testsRunIn(NODE_TAP(3).replace(/\n/g, '\r\n'), '')).toEqual({ node: 3 });
  });
});

describe('droppedTests: a green gate that ran fewer tests than at the start', () => {
  const at = (id: string, state: 'pass' | 'fail', testsRun?: Record<string, number>) => ({ id, state, ...(testsRun ? { testsRun } : {}) });

  test('a drop in any runner format of a green gate, and a format gone from its output', () => {
    expect(droppedTests([at('t', 'fail', { node: 3 })], [at('t', 'pass', { node: 2 })])).toEqual([{ id: 't', format: 'node', start: 3, now: 2 }]);
    expect(droppedTests([at('t', 'fail', { node: 3, pytest: 4 })], [at('t', 'pass', { node: 3, pytest: 9 }), at('u', 'pass', { node: 1 })])).toEqual([]);
    expect(droppedTests([at('t', 'fail', { node: 3, pytest: 4 })], [at('t', 'pass', { node: 5 })])).toEqual([{ id: 't', format: 'pytest', start: 4, now: 0 }]);
    // Counts in another format do not make up for one that dropped.
    expect(droppedTests([at('t', 'fail', { node: 3 })], [at('t', 'pass', { node: 2, pytest: 40 })])).toEqual([{ id: 't', format: 'node', start: 3, now: 2 }]);
    expect(droppedTests([at('t', 'pass', { node: 3 })], [at('t', 'pass')])).toEqual([{ id: 't', format: 'node', start: 3, now: 0 }]);
  });

  test('not judged: a red gate (the baseline-tests rule judges red), a gate with no count at the start, a gate new since the start', () => {
    expect(droppedTests([at('t', 'fail', { node: 3 })], [at('t', 'fail', { node: 1 })])).toEqual([]);
    expect(droppedTests([at('t', 'fail')], [at('t', 'pass', { node: 0 })])).toEqual([]);
    expect(droppedTests([], [at('t', 'pass', { node: 0 })])).toEqual([]);
  });

  test('the line names the gate, both counts, the runner and the commit measured', () => {
    const line = describeDrops([{ id: 'tests-pass', format: 'node', start: 3, now: 2 }, { id: 'py', format: 'pytest', start: 2, now: 1 }], 'a'.repeat(40));
    expect(line).toContain('tests-pass ran 2 tests (node summary) where the run\'s start ran 3');
    expect(line).toContain('py ran 1 test (pytest summary) where the run\'s start ran 2');
    expect(line).toContain(`commit ${'a'.repeat(12)}`);
  });
});
