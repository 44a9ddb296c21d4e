/**
 * "Fewer of the starting tests never run green" (SECURITY.md, "Done means done: the cheat
 * catalogue"). A suite reports `# fail 0` whether it ran every test or only some: code that ends
 * the test process early (node --test counts the file as one passing test), a runner config that
 * collects less, a test renamed out of the runner's reach. So the loop reads how many tests each
 * gate's run ran from its runner's summary, and compares the counterfactual tree (HEAD's code with
 * the test files the run started with, src/protocol/baseline-tests.ts) with the run's start: the
 * same tests, run by this HEAD's code and configuration, must not run fewer.
 *
 * Counted per runner summary format, each by the SMALLEST summary of its kind in the output: code
 * under test can print a summary line of its own (before the runner's, or after it from an exit
 * hook), and a forged line can only lower the count it is read as, which holds the run (fail
 * closed); it can never make up for tests that did not run. Skipped tests did not run. cargo
 * prints one summary per test binary: those are summed. Pure.
 */

import { alignFolded, testNameOfKey } from './test-names.ts';

/**
 * Tests run per runner format (`node`, `pytest`, …); a format absent from the output is absent. A
 * gate's record also counts each test its run named, as `format:name` (test-names.ts): compared
 * key by key like the summaries, so a test of the start that no longer runs is a drop whatever
 * the totals.
 */
export type TestsRun = Record<string, number>;

const num = (s: string | undefined) => (s === undefined ? 0 : Number.parseInt(s, 10));

/** Every match of a global regex, as its groups. */
function all(text: string, re: RegExp): RegExpExecArray[] {
  return [...text.matchAll(re)];
}

/** The smallest of the counts, or undefined for none. */
function smallest(counts: number[]): number | undefined {
  return counts.length ? Math.min(...counts) : undefined;
}

/** pytest's final line: `1 failed, 2 passed, 1 skipped, 3 deselected in 0.05s` (with or without `=` rules). */
function pytestRuns(text: string): number | undefined {
  const counts = all(text, /^[= ]*((?:\d+ (?:passed|failed|skipped|deselected|xfailed|xpassed|errors?|warnings?|rerun)(?:, )?)+) in [\d.]+s\b/gm).map((m) => {
    let ran = 0;
    for (const part of m[1]!.matchAll(/(\d+) (passed|failed|xfailed|xpassed|errors?)\b/g)) ran += num(part[1]);
    return ran;
  });
  return smallest(counts);
}

/** node --test: TAP `# tests N` / `# skipped K`, or the spec reporter's `ℹ tests N` / `ℹ skipped K`, one summary block each. */
function nodeRuns(text: string): number | undefined {
  const counts = all(text, /^(#|ℹ) tests (\d+)$[\s\S]*?^\1 skipped (\d+)$/gm).map((m) => Math.max(0, num(m[2]) - num(m[3])));
  return smallest(counts);
}

/** Jest: `Tests:  1 failed, 1 skipped, 2 passed, 4 total`. */
function jestRuns(text: string): number | undefined {
  const counts = all(text, /^Tests:\s+(.*?)(\d+) total$/gm).map((m) => num(m[2]) - num(/(\d+) skipped/.exec(m[1]!)?.[1]) - num(/(\d+) todo/.exec(m[1]!)?.[1]));
  return smallest(counts);
}

/** Vitest: ` Tests  1 failed | 2 passed | 1 skipped (4)`. */
function vitestRuns(text: string): number | undefined {
  const counts = all(text, /^\s*Tests\s+(.*?)\((\d+)\)\s*$/gm).map((m) => num(m[2]) - num(/(\d+) skipped/.exec(m[1]!)?.[1]) - num(/(\d+) todo/.exec(m[1]!)?.[1]));
  return smallest(counts);
}

/** Mocha: `  2 passing (5ms)` then `  1 failing`: passing + failing. */
function mochaRuns(text: string): number | undefined {
  const counts = all(text, /^\s*(\d+) passing\b.*$(?:\n^\s*(?:\d+ pending)\s*$)?(?:\n^\s*(\d+) failing\s*$)?/gm).map((m) => num(m[1]) + num(m[2]));
  return smallest(counts);
}

/** bun test: ` 2 pass` / ` 1 fail` lines before `Ran N tests across`. */
function bunRuns(text: string): number | undefined {
  const counts = all(text, /^ *(\d+) pass$\n^ *(\d+) fail$/gm).map((m) => num(m[1]) + num(m[2]));
  return smallest(counts);
}

/** unittest: `Ran 3 tests in 0.001s` then `OK (skipped=1)` or `FAILED (failures=1, skipped=1)`. */
function unittestRuns(text: string): number | undefined {
  const counts = all(text, /^Ran (\d+) tests? in [\d.]+s$(?:\n\s*)*^(?:OK|FAILED)\b(.*)$/gm).map((m) => num(m[1]) - num(/skipped=(\d+)/.exec(m[2]!)?.[1]));
  return smallest(counts);
}

/** cargo test: one `test result: ok. 2 passed; 1 failed; 1 ignored; …` per test binary, summed. */
function cargoRuns(text: string): number | undefined {
  const lines = all(text, /^test result: \w+\. (\d+) passed; (\d+) failed;/gm);
  return lines.length ? lines.reduce((sum, m) => sum + num(m[1]) + num(m[2]), 0) : undefined;
}

/** go test -v: one `--- PASS:`/`--- FAIL:` line per test (subtests indented). Without -v go names no count. */
function goRuns(text: string): number | undefined {
  const lines = all(text, /^\s*--- (PASS|FAIL): /gm);
  return lines.length ? lines.length : undefined;
}

const FORMATS: Array<[string, (text: string) => number | undefined]> = [
  ['node', nodeRuns],
  ['pytest', pytestRuns],
  ['jest', jestRuns],
  ['vitest', vitestRuns],
  ['mocha', mochaRuns],
  ['bun', bunRuns],
  ['unittest', unittestRuns],
  ['cargo', cargoRuns],
  ['go', goRuns],
];

/** The tests a gate's run ran, per runner format found in its output (stdout and stderr). */
export function testsRunIn(stdout: string, stderr: string): TestsRun {
  const out: TestsRun = {};
  for (const text of [stdout, stderr]) {
    const plain = text.replace(/\r\n?/g, '\n');
    for (const [name, read] of FORMATS) {
      const n = read(plain);
      if (n === undefined) continue;
      out[name] = name in out ? Math.min(out[name]!, n) : n;
    }
  }
  return out;
}

/** One gate that ran fewer tests than at the run's start. */
export type TestsDrop = { id: string; format: string; start: number; now: number };

type Measured = { id: string; state: 'pass' | 'fail'; testsRun?: TestsRun };

/**
 * The gates green on `now` that ran fewer tests of some format than at `start`, or not a test the
 * start ran by name. A format or a test counted at the start and missing now counts as 0 (its
 * summary is gone: fewer tests, or none, ran under it; the test did not run). A gate with no count
 * at the start is not judged (not a test runner, or one whose summary names no count); nor is a
 * gate red on `now` (the baseline-tests rule judges red).
 */
export function droppedTests(start: Measured[], now: Measured[]): TestsDrop[] {
  const drops: TestsDrop[] = [];
  for (const n of now) {
    if (n.state !== 'pass') continue;
    const atStart = start.find((r) => r.id === n.id)?.testsRun;
    if (!atStart) continue;
    const [s, later] = alignFolded(atStart, n.testsRun ?? {});
    for (const [format, before] of Object.entries(s)) {
      const after = later[format] ?? 0;
      if (after < before) drops.push({ id: n.id, format, start: before, now: after });
    }
  }
  return drops;
}

/** Tests named in the line, per gate: the rest are counted. */
const NAMES_SHOWN = 5;

/** The line peers, the log and the report show for a run held by fewer tests. */
export function describeDrops(drops: TestsDrop[], counterfactualSha: string): string {
  const counted = drops.filter((d) => !testNameOfKey(d.format));
  const each = counted.map((d) => `${d.id} ran ${d.now} test${d.now === 1 ? '' : 's'} (${d.format} summary) where the run's start ran ${d.start}`);
  for (const id of new Set(drops.filter((d) => testNameOfKey(d.format)).map((d) => d.id))) {
    const missing = drops.filter((d) => d.id === id && testNameOfKey(d.format)).map((d) => testNameOfKey(d.format)!);
    const shown = missing.slice(0, NAMES_SHOWN).map((t) => JSON.stringify(t.name.slice(0, 120))).join(', ');
    const more = missing.length > NAMES_SHOWN ? ` and ${missing.length - NAMES_SHOWN} more` : '';
    each.push(`${id} did not run ${missing.length === 1 ? 'a test' : `${missing.length} tests`} the run's start ran (${missing[0]!.format}): ${shown}${more}`);
  }
  return (
    `fewer tests ran: with the test files the run started with (commit ${counterfactualSha.slice(0, 12)}: this HEAD's code and configuration), ${each.join('; ')}. ` +
    'A green gate that runs fewer of the tests does not count: find what stops them from running (code that ends the test process, runner configuration that collects less) and undo it.'
  );
}
