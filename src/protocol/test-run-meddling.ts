/**
 * Code outside the tests that meddles with its own test run. The code under test runs in the test
 * runner's process, so it can ask whether a test runs it, or end the run itself, or rewrite what the
 * runner reads next; each lets the gates go green with the bug still in the code. Found on lines a
 * commit adds to files that are not test files (test-markers.ts) and flagged like a skip marker:
 * the no-new-skip-markers gate fails until a peer other than the author approves the commit that
 * added the line (escape-valves.ts). Plain forms only: a name built from pieces at run time is the
 * reviewer's to see (SECURITY.md, "Done means done: the cheat catalogue").
 */

/**
 * A rule `A.*B` is written as the pair [A, B]: A's first match, then B anywhere after it (the same
 * lines match). As one expression it backtracked from every A to the line's end: a 1 MB added line
 * of `NODE_ENV NODE_ENV …` took minutes, a few MB hours, and the loop waited. Every other rule
 * bounds what it scans from each start (a string up to its closing quote, `{0,200}`), so a line
 * costs in proportion to its length.
 */
type MeddlingRule = RegExp | [RegExp, RegExp];

function matches(rule: MeddlingRule, text: string): boolean {
  if (rule instanceof RegExp) return rule.test(text);
  const [first, then] = rule;
  const m = first.exec(text);
  if (!m) return false;
  then.lastIndex = m.index + m[0].length;
  return then.test(text);
}

/**
 * Code outside the tests that asks whether a test runner (or a peers gate) is running it: it can
 * give the right answer under test and keep the bug in use (`if (process.env.NODE_TEST_CONTEXT)
 * return a + b;`). Flagged like a skip marker: the no-new-skip-markers gate fails until another
 * peer approves the commit that added it. Plain forms only; a disguised one is the reviewer's to see.
 */
export const SNIFFING_RULES: MeddlingRule[] = [
  /\bPYTEST_(CURRENT_TEST|VERSION|XDIST_WORKER)\b/,
  /['"](_?pytest|unittest|nose2?|py\.test)['"]\s+(not\s+)?in\s+sys\.modules/,
  /sys\.modules\s*(\.\s*get\s*\(|\[)\s*['"](_?pytest|unittest)['"]/,
  [/sys\.argv\b/, /\b(pytest|unittest|py\.test)\b/g],
  /\b(NODE_TEST_CONTEXT|JEST_WORKER_ID|__vitest_worker__)\b/,
  /\bVITEST\b|\bimport\.meta\.vitest\b/,
  [/\bNODE_ENV\b/, /['"]test['"]/g],
  [/\bprocess\s*\.\s*(argv|execArgv)\b/, /['"]--test/g],
  // What npm, yarn and pnpm put in the environment of `npm test`: `npm_lifecycle_event` is "test".
  /\bnpm_(lifecycle_(event|script)|command|config_argv)\b/,
  /typeof\s+(jest|vi|describe|it|expect|mocha)\s*[!=]==?\s*['"]undefined['"]/,
  /\bglobalThis\s*\.\s*(jest|vi|describe|it|expect)\b/,
  /\btesting\s*\.\s*Testing\s*\(\s*\)/,
  /\bflag\s*\.\s*Lookup\s*\(\s*"test\./,
  /\bcfg!\s*\(\s*test\s*\)/,
  /defined\?\s*\(?\s*(RSpec|Minitest)\b/,
  [/\b(RAILS|RACK)_ENV\b/, /['"]test['"]/g],
  // peers' own gate: its environment and checkout paths.
  /\bPEERS_[A-Z][A-Z0-9_]*\b|gate-checkout/,
];

/**
 * Code that fakes or rewrites the test run: it writes what a green run prints (`2 passed in 0.01s`,
 * `# fail 0`, `Ran 3 tests`, `test result: ok`, `5 passing`), leaves the process at once without the
 * runner's own ending (`os._exit`, `process.reallyExit`, a signal to itself), names test files (to
 * rewrite them on disk for the next process that reads them: a retried gate, a later gate), or
 * reaches into the runner's and the interpreter's machinery (assertions replaced, the caller's
 * frame, the module cache, trace hooks, builtins).
 */
export const TAMPERING_RULES: MeddlingRule[] = [
  // A runner's summary in a string of the code's (a comment saying "2 passed" prints nothing).
  /['"`][^'"`\n]*(\d+|%[sd]|\{\w*\}|\$\{[^}\n]{0,100}\})\s+(passed|passing)\b/,
  /['"`][^'"`\n]*#\s*(pass|fail|skipped|todo|tests|cancelled)\s+(\d|%[sd]|\{|\$\{)/,
  /['"`][^'"`\n]*\bRan\s+(\d+|%[sd]|\{\w*\}|\$\{[^}\n]{0,100}\})\s+tests?\b/,
  /['"`][^'"`\n]*\b(test result:\s*ok\b|Tests:\s+(\d|\$\{))/,
  /['"`]\s*(---\s+PASS:|ok\s+\d+\s)/,
  // Leaving the process before the runner ends it (under any alias of the module).
  /(\.|\bfrom\s+\w+\s+import\s+|^|[^\w.])_exit\s*\(/,
  /\bkill\s*\([^)\n]{0,200}\b(getpid\s*\(|process\s*\.\s*pid\b)/,
  /\.\s*reallyExit\b/,
  // Test files named from the code: to read or rewrite them.
  /['"`][^'"`\n]*(\btests?\/|\b__tests__\/|\btest_[\w*?[\]]*\.py\b|[\w*]\.(test|spec)\.[cm]?[jt]sx?\b|_test\.go\b|\bconftest\.py\b)/,
  // The runner's and the interpreter's machinery.
  /\b(unittest|TestCase|pytest|_pytest|assert|expect|chai|should)\s*\.\s*[\w.]{0,200}\s*=(?!=)/,
  /\.\s*assert([A-Z_]\w*)?\s*=(?!=)/,
  /\bsys\s*\.\s*(_getframe|settrace|setprofile|monitoring)\b|\binspect\s*\.\s*(stack|currentframe|getouterframes)\s*\(|\bf_(globals|locals|back)\b/,
  /\bgc\s*\.\s*get_referrers\s*\(|\bbuiltins\s*\.\s*\w+\s*=(?!=)|\b__builtins__\s*(\[|\.\s*\w+\s*=(?!=))/,
  /\brequire\s*\.\s*cache\b|\bModule\s*\.\s*(_load|_resolveFilename|prototype\s*\.\s*require)\b/,
];

/** The kind of meddling an added line of code (not a test file) shows, if any. */
export function codeMeddlingKind(line: string): 'test-sniffing' | 'test-tampering' | undefined {
  if (SNIFFING_RULES.some((r) => matches(r, line))) return 'test-sniffing';
  if (TAMPERING_RULES.some((r) => matches(r, line))) return 'test-tampering';
  return undefined;
}
