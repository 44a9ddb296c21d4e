/**
 * Which tests a gate's run ran, by name: the fewer-tests rule's second half (tests-run.ts counts
 * them). A count can be made whole again by tests that were never there: code that ends its test
 * file's process early (its tests never run) and registers one test of its own elsewhere
 * (`selfCheck('format self-check', () => {})` in src/format.mjs) ran as many tests as at the
 * start, and the run ended `complete` with the bug in the code. So each test a run names is kept
 * too, as a key `format:name` counted like a summary (`node:grp › inner` → 1), beside the runner
 * counts in the same record: droppedTests compares every key, so a test of the start missing from a
 * later green run is a drop, whatever the total (SECURITY.md, "Done means done: the cheat catalogue").
 *
 * Read from the runners' own per-test lines: node --test TAP (`ok N - name`, nested under
 * `# Subtest:`) and spec (`✔ name`), pytest verbose and `-rA` (`path::name PASSED`), unittest -v
 * (`test_x (mod.Class) ... ok`), cargo test (`test m::t ... ok`), `go test -v` (`--- PASS: TestX`).
 * Formats that print no names (pytest -q, Jest, Vitest and mocha without a verbose reporter) keep
 * their counts only. Skipped tests did not run and are not named. Names are compared as printed:
 * the counterfactual runs the test files the run started with, so an honest rename of a test never
 * shows here. A node --test entry named by its file's absolute path (the runner's own entry for a
 * file that failed to load or ended early, under a checkout path that differs between runs) names
 * no test and is left out. Pure.
 */

/** Longer names are cut (the cut ones share a key and are counted together: never fewer). */
const NAME_CAP = 120;
/**
 * Past this many bytes of distinct names a format's names are folded into buckets by a hash of the
 * name: every gate's start is kept in state.json (read up to 5 MiB, twice over: `start_tests` and
 * the baseline record) and in the gate cache, so a suite of thousands of tests keeps a bounded
 * record (about 30 KiB of buckets), and a missing test still lowers its bucket unless a test that
 * was not there lands in the same one.
 */
const NAMES_BYTES_CAP = 32 * 1024;
const BUCKETS = 2048;

/** A runner's entry for a whole test file by its absolute path: not a test, and its path is the checkout's. */
const FILE_ENTRY = /^(\/|[A-Za-z]:\\)[^\n]*\.[cm]?[jt]sx?$/;

type Named = { format: string; names: string[] };

/** node --test TAP: `ok N - name` / `not ok N - name`, 4 spaces per nesting level; `# SKIP` did not run. */
function nodeTapNames(text: string): string[] {
  const names: string[] = [];
  const path: string[] = [];
  for (const line of text.split('\n')) {
    const sub = /^((?: {4})*)# Subtest: (.*)$/.exec(line);
    if (sub) {
      const level = sub[1]!.length / 4;
      path.length = level;
      path[level] = sub[2]!;
      continue;
    }
    const ok = /^((?: {4})*)(?:not )?ok \d+ - (.*?)(?: # (SKIP|TODO)\b.*)?$/i.exec(line);
    if (!ok || /^skip$/i.test(ok[3] ?? '')) continue;
    const level = ok[1]!.length / 4;
    names.push([...path.slice(0, level), ok[2]!].join(' › '));
  }
  return names;
}

/** node --test spec: `✔ name (1.2ms)` / `✖ name`, 2 spaces per level under `▶ suite`; the repeat after `✖ failing tests:` is left out. */
function nodeSpecNames(text: string): string[] {
  const names: string[] = [];
  const path: string[] = [];
  const end = text.search(/^✖ failing tests:$/m);
  for (const line of (end < 0 ? text : text.slice(0, end)).split('\n')) {
    const m = /^((?: {2})*)([▶✔✖]) (.*?)(?: \([\d.]+m?s\))?( # (SKIP|TODO)\b.*)?$/.exec(line);
    if (!m) continue;
    const level = m[1]!.length / 2;
    if (m[2] === '▶') {
      path.length = level;
      path[level] = m[3]!;
      continue;
    }
    if (m[5] === 'SKIP') continue;
    names.push([...path.slice(0, level), m[3]!].join(' › '));
  }
  return names;
}

/**
 * pytest -v (`path::name PASSED [ 50%]`) and -rA / xdist (`PASSED path::name`): node ids are unique,
 * each named once. A run that names no passing test names only its failures (the default short
 * summary, `FAILED path::name - …`, which `-q` prints too): not a listing, so it names nothing.
 * Read as one, the start's failing test was missing from every later green `pytest -q` run, and
 * an honest fix never completed.
 */
function pytestNames(text: string): string[] {
  const ids = new Set<string>();
  let passing = false;
  for (const m of text.matchAll(/^(\S+::\S.*?) (PASSED|FAILED|ERROR|XFAIL|XPASS)\b/gm)) {
    ids.add(m[1]!);
    passing ||= m[2] === 'PASSED' || m[2] === 'XPASS';
  }
  for (const m of text.matchAll(/^(?:\[gw\d+\] (?:\[\s*\d+%\] )?)?(PASSED|FAILED|ERROR|XFAIL|XPASS) (\S+::\S+)/gm)) {
    ids.add(m[2]!);
    passing ||= m[1] === 'PASSED' || m[1] === 'XPASS';
  }
  return passing ? [...ids] : [];
}

/** unittest -v: `test_x (mod.Class.test_x) ... ok`, or the docstring's line ending ` ... ok` after it. */
function unittestNames(text: string): string[] {
  const re = /^(\w+) \(([\w.]+)\)(?:\n[^\n]*?)? \.\.\. (ok|FAIL|ERROR|expected failure|unexpected success)$/gm;
  return [...text.matchAll(re)].map((m) => `${m[2]} ${m[1]}`);
}

/** cargo test: `test path::name ... ok` / `FAILED` (`ignored` did not run). */
function cargoNames(text: string): string[] {
  return [...text.matchAll(/^test (\S+) \.\.\. (ok|FAILED)$/gm)].map((m) => m[1]!);
}

/** go test -v: `--- PASS: TestX (0.00s)`, subtests as `TestX/sub`. */
function goNames(text: string): string[] {
  return [...text.matchAll(/^\s*--- (PASS|FAIL): (\S+)/gm)].map((m) => m[2]!);
}

const READERS: Array<[string, (text: string) => string[]]> = [
  ['node', (t) => [...nodeTapNames(t), ...nodeSpecNames(t)]],
  ['pytest', pytestNames],
  ['unittest', unittestNames],
  ['cargo', cargoNames],
  ['go', goNames],
];

/** A name's bucket (FNV-1a of the name): the same on every run. */
function bucketOf(name: string): string {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return ((h >>> 0) % BUCKETS).toString(16);
}

/**
 * Stands in a node run's names for "no test file ended without running tests of its own": the
 * runner's entry for a whole file is what a file whose process ended early leaves, and names
 * alone miss it when other files register tests of the same names (`selfCheck('adds two
 * numbers', …)` in src/format.mjs, run in format.test.mjs's process, with calc.test.mjs ended at
 * import: names and counts as at the start, the run `complete`). Present at the start and gone
 * later, it is a drop like any test's (tests-run.ts, droppedTests).
 */
export const EVERY_FILE_RAN_TESTS = '(every test file ran tests of its own)';

function named(text: string): Named[] {
  return READERS.map(([format, read]) => {
    const all = read(text).filter((n) => n !== '');
    const names = all.filter((n) => !FILE_ENTRY.test(n));
    const wholeFiles = all.length - names.length;
    return { format, names: format === 'node' && names.length && !wholeFiles ? [...names, EVERY_FILE_RAN_TESTS] : names };
  });
}

/**
 * The tests a gate's run ran, as `format:name` keys counted (a name two files share counts 2), per
 * stream; on both streams the smaller count of each key, as with the summaries.
 */
export function testsNamedIn(stdout: string, stderr: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const text of [stdout, stderr]) {
    const counts: Record<string, number> = {};
    for (const { format, names } of named(text.replace(/\r\n?/g, '\n'))) {
      const cut = names.map((n) => n.slice(0, NAME_CAP));
      const fold = [...new Set(cut)].reduce((sum, n) => sum + n.length + 8, 0) > NAMES_BYTES_CAP;
      for (const n of cut) {
        const key = fold ? `${format}#${bucketOf(n)}` : `${format}:${n}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
    }
    for (const [key, n] of Object.entries(counts)) out[key] = key in out ? Math.min(out[key]!, n) : n;
  }
  return out;
}

/** The test a key of a run's record names (testsNamedIn), or undefined for a runner's summary count. */
export function testNameOfKey(key: string): { format: string; name: string } | undefined {
  const m = /^(\w+)([:#])([\s\S]*)$/.exec(key);
  if (!m) return undefined;
  return { format: m[1]!, name: m[2] === ':' ? m[3]! : `(one of the tests in bucket ${m[3]})` };
}

/**
 * The two records with names comparable: a format folded into buckets on one side (more distinct
 * names than NAMES_BYTES_CAP holds) is folded on the other too, so a run just over the cap is not read as
 * missing every test the start named.
 */
export function alignFolded(a: Record<string, number>, b: Record<string, number>): [Record<string, number>, Record<string, number>] {
  const folded = new Set([...Object.keys(a), ...Object.keys(b)].flatMap((k) => /^(\w+)#/.exec(k)?.[1] ?? []));
  if (!folded.size) return [a, b];
  const fold = (r: Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const [k, n] of Object.entries(r)) {
      const m = /^(\w+):([\s\S]*)$/.exec(k);
      const key = m && folded.has(m[1]!) ? `${m[1]}#${bucketOf(m[2]!)}` : k;
      out[key] = (out[key] ?? 0) + n;
    }
    return out;
  };
  return [fold(a), fold(b)];
}
