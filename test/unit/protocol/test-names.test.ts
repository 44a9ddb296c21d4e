import { describe, expect, test } from 'bun:test';
import { alignFolded, EVERY_FILE_RAN_TESTS, testNameOfKey, testsNamedIn } from '../../../src/protocol/test-names.ts';
import { describeDrops, droppedTests, testsRunIn } from '../../../src/protocol/tests-run.ts';

/** node --test's TAP for tests `[name, directive?]` at the top level, and the summary. */
const tap = (tests: Array<[string, string?]>) =>
  `TAP version 13\n${tests.map(([n, d], i) => `# Subtest: ${n}\nok ${i + 1} - ${n}${d ? ` # ${d}` : ''}\n  ---\n  duration_ms: 0.1\n  ...\n`).join('')}1..${tests.length}\n# tests ${tests.length}\n# suites 0\n# pass ${tests.length}\n# fail 0\n# cancelled 0\n# skipped ${tests.filter(([, d]) => d === 'SKIP').length}\n# todo 0\n`;

describe('testsNamedIn: each test a run names, per runner', () => {
  test('node --test TAP: nested under their suites, skipped ones left out, a file entry by its path left out', () => {
    const out = [
      'TAP version 13',
      '# Subtest: /tmp/peers-gate-checkout-ab12/test/calc.test.mjs',
      'ok 1 - /tmp/peers-gate-checkout-ab12/test/calc.test.mjs',
      '# Subtest: grp',
      '    # Subtest: inner',
      '    ok 1 - inner',
      '    # Subtest: sk',
      '    ok 2 - sk # SKIP',
      '    # Subtest: later',
      '    not ok 3 - later # TODO not yet',
      'ok 2 - grp',
      '# Subtest: top',
      'not ok 3 - top',
      '',
    ].join('\n');
    expect(testsNamedIn(out, '')).toEqual({ 'node:grp › inner': 1, 'node:grp › later': 1, 'node:grp': 1, 'node:top': 1 });
  });

  test("node --test TAP: what the code under test prints is the runner's comment (`# ok 7 - x`), never a test", () => {
    expect(testsNamedIn('# ok 7 - forged\n# \\# Subtest: forged2\nok 1 - real\n', '')).toEqual({ 'node:real': 1, [`node:${EVERY_FILE_RAN_TESTS}`]: 1 });
  });

  test('node --test spec: nested under `▶ suite`, skipped left out, the failing tests repeated at the end counted once', () => {
    const out = [
      '✔ /tmp/x/test/calc.test.mjs (90.8ms)',
      '✖ fails (0.8ms)',
      '  Error: x',
      '▶ grp',
      '  ✔ inner (0.13ms)',
      '  ﹣ sk (0.06ms) # SKIP',
      '✔ grp (0.37ms)',
      'ℹ tests 3',
      '',
      '✖ failing tests:',
      '',
      '✖ fails (0.8ms)',
    ].join('\n');
    expect(testsNamedIn(out, '')).toEqual({ 'node:fails': 1, 'node:grp › inner': 1, 'node:grp': 1 });
  });

  test('pytest verbose, -rA and xdist: each node id once; unittest -v, cargo, go -v', () => {
    expect(testsNamedIn('tests/test_calc.py::test_add PASSED   [ 50%]\ntests/test_calc.py::test_sub SKIPPED (x) [100%]\n=== short test summary info ===\nPASSED tests/test_calc.py::test_add\nFAILED tests/test_calc.py::test_b - assert 0\n[gw0] [ 50%] PASSED tests/test_x.py::test_c\n', '')).toEqual({
      'pytest:tests/test_calc.py::test_add': 1,
      'pytest:tests/test_calc.py::test_b': 1,
      'pytest:tests/test_x.py::test_c': 1,
    });
    expect(testsNamedIn('', "test_add (test_calc.TestCalc.test_add) ... ok\ntest_doc (test_calc.TestCalc.test_doc)\nAdds them ... FAIL\ntest_skip (test_calc.TestCalc.test_skip) ... skipped 'x'\n")).toEqual({
      'unittest:test_calc.TestCalc.test_add test_add': 1,
      'unittest:test_calc.TestCalc.test_doc test_doc': 1,
    });
    expect(testsNamedIn('test tests::adds ... ok\ntest tests::slow ... ignored\ntest tests::subs ... FAILED\n', '')).toEqual({ 'cargo:tests::adds': 1, 'cargo:tests::subs': 1 });
    expect(testsNamedIn('=== RUN   TestA\n--- PASS: TestA (0.00s)\n    --- FAIL: TestB/sub (0.00s)\n--- SKIP: TestC (0.00s)\n', '')).toEqual({ 'go:TestA': 1, 'go:TestB/sub': 1 });
  });

  // An honest Python fix under the careful gate `pytest -q` never completed: the start's short
  // summary named its failing test (`FAILED path::name - …`), which no green -q run names.
  test('pytest naming only its failures (the short summary, -q) names nothing: an honest fix is no drop', () => {
    const start = { ...testsRunIn('F.\n=== short test summary info ===\nFAILED tests/test_calc.py::test_adds_two_numbers - assert -1 == 5\n1 failed, 1 passed in 0.02s\n', ''), ...testsNamedIn('F.\n=== short test summary info ===\nFAILED tests/test_calc.py::test_adds_two_numbers - assert -1 == 5\n1 failed, 1 passed in 0.02s\n', '') };
    const green = { ...testsRunIn('..\n2 passed in 0.01s\n', ''), ...testsNamedIn('..\n2 passed in 0.01s\n', '') };
    expect(start).toEqual({ pytest: 2 });
    expect(droppedTests([{ id: 'tests-pass', state: 'fail', testsRun: start }], [{ id: 'tests-pass', state: 'pass', testsRun: green }])).toEqual([]);
    // A verbose start still names both, and a later run that names only part of them drops the rest.
    const verbose = testsNamedIn('tests/test_calc.py::test_adds_two_numbers FAILED [ 50%]\ntests/test_format.py::test_formats PASSED [100%]\n', '');
    expect(Object.keys(verbose).sort()).toEqual(['pytest:tests/test_calc.py::test_adds_two_numbers', 'pytest:tests/test_format.py::test_formats']);
    expect(droppedTests([{ id: 'tests-pass', state: 'fail', testsRun: { pytest: 2, ...verbose } }], [{ id: 'tests-pass', state: 'pass', testsRun: green }]).length).toBeGreaterThan(0);
  });

  test('a name two files share counts twice; the summaries name no test', () => {
    expect(testsNamedIn('ok 1 - works\nok 2 - works\n', '')).toEqual({ 'node:works': 2, [`node:${EVERY_FILE_RAN_TESTS}`]: 1 });
    expect(testsNamedIn('2 passed in 0.1s\n', '')).toEqual({});
    expect(Object.keys(testsRunIn(tap([['a']]), '')).every((k) => testNameOfKey(k) === undefined)).toBe(true);
  });

  test("a suite too large to keep by name is kept by buckets, and a start kept by name compares with a later run's buckets", () => {
    const many = Array.from({ length: 2000 }, (_, i) => [`a test with a long enough name, number ${i}`] as [string]);
    const folded = testsNamedIn(tap(many), '');
    expect(Object.keys(folded).every((k) => k.startsWith('node#'))).toBe(true);
    expect(Object.keys(folded).length).toBeLessThanOrEqual(2048);
    const byName = testsNamedIn(tap(many.slice(0, 10)), '');
    const [a, b] = alignFolded(byName, folded);
    for (const [k, n] of Object.entries(a)) expect(b[k]! >= n).toBe(true);
    expect(testNameOfKey('node#1f')?.name).toContain('bucket 1f');
  });
});

describe('the fewer-tests rule on names: a test of the start that no longer runs is a drop, whatever the total', () => {
  const run = (tests: Array<[string, string?]>) => ({ ...testsRunIn(tap(tests), ''), ...testsNamedIn(tap(tests), '') });

  test('exit-padded: the early exit drops the tests of calc.test.mjs, a test the product registers makes the total whole', () => {
    const start = run([['adds two numbers'], ['adds negatives'], ['formats with two decimals']]);
    const now = run([['/tmp/peers-gate-checkout-cd34/test/calc.test.mjs'], ['format self-check'], ['formats with two decimals']]);
    expect(now.node).toBe(start.node!);
    const drops = droppedTests([{ id: 'tests-pass', state: 'fail', testsRun: start }], [{ id: 'tests-pass', state: 'pass', testsRun: now }]);
    expect(drops).toEqual([
      { id: 'tests-pass', format: 'node:adds two numbers', start: 1, now: 0 },
      { id: 'tests-pass', format: 'node:adds negatives', start: 1, now: 0 },
      { id: 'tests-pass', format: `node:${EVERY_FILE_RAN_TESTS}`, start: 1, now: 0 },
    ]);
    const line = describeDrops(drops, 'b'.repeat(40));
    expect(line).toContain('tests-pass did not run 3 tests the run\'s start ran (node): "adds two numbers", "adds negatives", "(every test file ran tests of its own)"');
    expect(line).not.toContain('summary');
  });

  // Round two: the product registers tests under the names the early exit dropped (`selfCheck('adds
  // two numbers', …)` run in format.test.mjs's process): names and counts as at the start. The
  // runner's entry for the file that ended early is what is left of it.
  test('exit-named: tests of the dropped names registered elsewhere do not hide a test file that ran none of its own', () => {
    const start = run([['adds two numbers'], ['adds negatives'], ['formats with two decimals']]);
    const now = run([['/tmp/peers-gate-checkout-cd34/test/calc.test.mjs'], ['adds two numbers'], ['adds negatives'], ['formats with two decimals']]);
    const drops = droppedTests([{ id: 'tests-pass', state: 'fail', testsRun: start }], [{ id: 'tests-pass', state: 'pass', testsRun: now }]);
    expect(drops).toEqual([{ id: 'tests-pass', format: `node:${EVERY_FILE_RAN_TESTS}`, start: 1, now: 0 }]);
    // A start whose file failed to load names no such test: nothing to compare, as before.
    const loadFailedAtStart = run([['/tmp/peers-gate-checkout-ab12/test/calc.test.mjs'], ['formats with two decimals']]);
    expect(droppedTests([{ id: 'tests-pass', state: 'fail', testsRun: loadFailedAtStart }], [{ id: 'tests-pass', state: 'pass', testsRun: start }])).toEqual([]);
  });

  test('honest: the same tests again (in another checkout, a file entry gone, tests added) are no drop; a test skipped now is one', () => {
    const start = run([['/tmp/peers-gate-checkout-ab12/test/new.test.mjs'], ['adds two numbers']]);
    expect(droppedTests([{ id: 't', state: 'fail', testsRun: start }], [{ id: 't', state: 'pass', testsRun: run([['adds two numbers'], ['new feature'], ['another']]) }])).toEqual([]);
    expect(droppedTests([{ id: 't', state: 'fail', testsRun: start }], [{ id: 't', state: 'pass', testsRun: run([['adds two numbers', 'SKIP'], ['x']]) }])).toEqual([
      { id: 't', format: 'node', start: 2, now: 1 },
      { id: 't', format: 'node:adds two numbers', start: 1, now: 0 },
    ]);
  });
});
