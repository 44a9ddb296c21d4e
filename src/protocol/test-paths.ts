/**
 * Which repository paths are tests. Anti-cheat (a turn that touches only tests), the TDD gate (a
 * reproduce commit must touch a test) and the test-marker scan all ask this one question, so they
 * must answer it the same way (with the JS/TS conventions).
 */
/**
 * pytest's default `--doctest-glob` (`test*.txt`, matched case-sensitively against the base name):
 * such a file anywhere it collects runs as a test module, with no configuration. testnotes.txt at
 * the top, a document by name and place, replaced the add() tests/test_calc.py had imported, and
 * the run ended `complete` with calc.py's bug in place (SECURITY.md, "Done means done").
 * Requirements files (`test-requirements.txt`, `requirements/test.txt`) stay what a dependency
 * install reads (gate-surface.ts): no doctest survives pip reading it, and as a test file its
 * change would ask only for the approval of test growth.
 */
const isDoctestFile = (p: string) => /(^|\/)test[^/]*\.txt$/.test(p) && !/requirements|constraints/i.test(p);

const TEST_PATH_RULES: RegExp[] = [
  /^tests?\//i, // leading test/ or tests/
  /\/tests?\//i, // any test/ or tests/ segment
  /(^|\/)__tests__\//, // jest convention
  // unittest discover's default pattern, `test*.py` (pytest's `test_*.py` among them): testing.py at
  // the top, imported by discover before tests/, replaced calc.add for the suite and the run ended
  // `complete` with calc.py's bug (SECURITY.md, "Done means done").
  /(^|\/)test[^/]*\.py$/,
  /(^|\/)[^/]+_test\.py$/,
  /(^|\/)conftest\.py$/,
  /(^|\/)[^/]+_spec\.rb$/,
  /(^|\/)spec\/.*\.rb$/,
  /(^|\/)[^/]+_test\.go$/,
  /(^|\/)[^/]+\.(test|spec)\.[A-Za-z0-9]+$/, // *.test.ts, *.spec.js, *.test.tsx …
  /(^|\/)tests\.py$/, // Django's per-app tests.py
  /(^|\/)[^/]+_(test|spec)\.[cm]?[jt]sx?$/, // Deno's *_test.ts, *_spec.js
  /(^|\/)spec\/.*\.[cm]?[jt]sx?$/, // Jasmine's spec/ tree (its helpers included)
  /(^|\/)[^/]+\.(Unit|Integration|Functional)?Tests?\//, // .NET test projects: App.Tests/, App.UnitTests/
];

export function isTestPath(path: string): boolean {
  const p = path.replace(/^\.\//, '');
  return TEST_PATH_RULES.some((re) => re.test(p)) || isDoctestFile(p);
}

/** Source-code extensions a test runner loads; a test file without one is data to every runner. */
const RUNNABLE_EXT = /\.(py|[cm]?[jt]sx?|go|rs|rb|java|kt|swift|php|cs|exs?)$/i;

/**
 * A test file a runner would still find: a test path with a code extension. Renaming
 * `test/calc.test.mjs` to `test/calc.test.mjs.off`, or moving it to `old/calc.mjs`, takes it out
 * of the runner's reach: as good as deleting it.
 */
export function isRunnableTestPath(path: string): boolean {
  return isTestPath(path) && (RUNNABLE_EXT.test(path) || isDoctestFile(path.replace(/^\.\//, '')));
}

/** A rename that takes a test out of the runner's reach. */
export function movesTestOutOfReach(from: string, to: string): boolean {
  return isRunnableTestPath(from) && !isRunnableTestPath(to);
}
