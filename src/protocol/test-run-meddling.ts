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
type MeddlingRule = RegExp | [RegExp, RegExp] | { all: RegExp[] };

/** A string literal naming a test runner or test code: what a probe compares the process's own traces with. */
const TEST_WORD_STRING = /['"`]([^'"`\n]{0,200}?[^a-z'"`\n])?(py|conf?|unit)?(test|spec\b|jest|mocha|vitest)/i;

/** The process's own place: its working directory, its file, its HOME or temporary directory. */
const LOCATION_SOURCE =
  /\bprocess\s*\.\s*cwd\s*\(|\bos\s*\.\s*(getcwdb?|homedir|tmpdir)\s*\(|\bPath\s*\.\s*(cwd|home)\s*\(|\b__(dirname|filename|file__)\b|\bimport\.meta\.(url|dirname|filename)\b|\btempfile\s*\.\s*(gettempdir|mkdtemp|mkstemp)\s*\(|\bexpanduser\s*\(|\b(process\s*\.\s*env|environ)\s*(\.\s*(get\s*\(\s*['"])?|\[\s*['"])(PWD|HOME|TMPDIR|TEMP|TMP|XDG_\w+)\b/;
/** A comparison: a string method that tests for a part, an equality, a regex test, Python's `in`. */
const LOCATION_COMPARED = /\.\s*(startsWith|endsWith|includes|indexOf|lastIndexOf|match|search|test|startswith|endswith|find|rfind|count)\s*\(|[!=]==?|\bin\b/;

function matches(rule: MeddlingRule, text: string): boolean {
  if (rule instanceof RegExp) return rule.test(text);
  if (!Array.isArray(rule)) return rule.all.every((r) => r.test(text));
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
  // The process's command line, its loaded modules and its call stack against a test word, in any
  // order (`"pytest" in sys.argv[0]`, `sys.modules.get("_pytest.runner")`, `"conftest" in
  // sys.modules`, `process.argv[1].includes('test')`, `new Error().stack.includes('.test.')`).
  // The same for the program the process runs and who imported the code (`require.main.filename`,
  // `module.parent`, `__main__.__file__`, the `_` variable the shell sets, the directories pytest
  // puts on `sys.path`).
  {
    all: [
      /\bsys\s*\.\s*(argv|orig_argv|modules|path)\b|\bprocess\s*\.\s*(argv0?|execArgv|title|mainModule)\b|\brequire\s*\.\s*main\s*\??\.|\bmodule\s*\.\s*parent\b|\b__main__\s*\.\s*__file__\b|\bprocess\s*\.\s*env\s*(\.\s*_\b|\[\s*['"]_['"]\s*\])|\benviron\s*(\.\s*get\s*\(|\[)\s*['"]_['"]/,
      TEST_WORD_STRING,
    ],
  },
  { all: [/\.\s*stack\b|\bstack\s*\(|\btraceback\b/, TEST_WORD_STRING] },
  // Whether a test runner can be imported here (`importlib.util.find_spec("pytest")`,
  // `require.resolve('jest')`): it can under test. `import pytest` itself is not held (a product's
  // pytest plugin imports it).
  { all: [/\bfind_spec\s*\(|\bfind_loader\s*\(|\bimport_module\s*\(|\b__import__\s*\(|\brequire\s*(\.\s*resolve\s*)?\(|\bimport\s*\(/, /['"`](node:test|_?pytest|unittest|nose2?|jest|@jest\/[\w-]+|mocha|vitest|jasmine|ava)['"`]/] },
  // The parent process's command line or environment: the runner's (`/proc/${process.ppid}/cmdline`, psutil).
  /\/proc\/[^'"`\n]{0,60}\/(cmdline|environ|comm)\b|\bpsutil\b[^\n]{0,200}\.\s*(parents?|cmdline|environ)\s*\(/,
  // The call stack read at all (a probe can keep it for a later line to compare): an error made
  // for it, with or without `new`, of any Error class; `Error.captureStackTrace` on anything but
  // the error being built (`this`, the usual line of a custom error class).
  /\bnew\s+\w*Error\b\s*(\([^()\n]{0,200}\))?\s*\)?\s*\.\s*stack\b|(?<![\w.$])(Aggregate|Eval|Range|Reference|Syntax|Type|URI)?Error\s*\([^()\n]{0,200}\)\s*\.\s*stack\b|\btraceback\s*\.\s*(extract_stack|format_stack|walk_stack|print_stack)\b|\bError\s*\.\s*prepareStackTrace\b|\bError\s*\.\s*captureStackTrace\s*\(\s*(?!this\b)/,
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
  /\bPEERS_[A-Z][A-Z0-9_]*\b|gate-checkout|peers-gate-|peers-checkout-/,
  // Where the process runs, compared with a name a gate's place carries: every gate runs in a
  // checkout (`peers-gate-checkout-…`, `peers-checkout-…` on the host, `/checkouts/…` in the pod:
  // sandbox/pod-layout.ts) with a scratch HOME and TMPDIR (`peers-gate-env-…`, gate-env.ts), and the
  // peers' repository and the user's carry none of them (`process.cwd().includes('checkout')`,
  // `os.getcwd().startswith("/checkouts")`, `"gate" in __file__`). A path built from the location
  // (`path.join(__dirname, 'checkout.html')`) compares nothing and is not held.
  { all: [LOCATION_SOURCE, LOCATION_COMPARED, /['"`/][^'"`\n]{0,200}?(?<![a-z])(checkout|gate|peers)/i] },
];

/** JavaScript modules of a test runner, a mocking or an assertion library (not node:assert: products use it for their own checks; nor `vitest/config`, which a runner's config file imports). */
const JS_TEST_MODULE = String.raw`(?:node:)?test|bun:test|vitest|@vitest\/(?:spy|expect|runner)|@jest\/(?:globals|expect|core)|jest|jest-mock|expect|mocha|chai|sinon|@sinonjs\/[\w-]+|testdouble|ava|tap|uvu|jasmine`;
/** Python modules of a test runner or a mocking library (not `unittest`, a product may reach TestCase for its own helpers: patching it is held by name above). */
const PY_TEST_MODULE = String.raw`_?pytest|pytest_mock|mock|unittest\.mock`;

/**
 * Product code that reaches into the test runner or the assertion library its tests use. The code
 * under test runs in the runner's process, and the runner's own tools patch from there what the
 * rules above look for by assignment: `mock.method(_a, 'equal', () => {})` with node:test's `mock`
 * made every `assert.equal` of the test a no-op, and nothing named it (a static `from 'node:test'`
 * was not read, nor `mock.method`); a test the product registers (`test('self-check', …)`) makes a
 * count of tests whole again. So a product file that imports a test runner or a mocking or
 * assertion library (any form: `from`, a bare `import '…'`, `require(`, `import(`; Python's
 * `import`, `from … import`, `import_module(`), or calls a spy, stub or patch API on an assertion
 * (module or name), or a runner's global mock API (`jest.spyOn`, `vi.mock`), is tampering. A type
 * import is not held (it is erased before the code runs), nor is an import of node:assert for the
 * product's own checks. Plain forms only, as above.
 */
const TEST_FRAMEWORK_RULES: MeddlingRule[] = [
  { all: [new RegExp(String.raw`(?:\bfrom\s*|\bimport\s*(?:\(\s*)?|\brequire\s*\(\s*)['"\x60](?:${JS_TEST_MODULE})['"\x60]`), /^(?!\s*(import|export)\s+type\b)/] },
  new RegExp(String.raw`^\s*import\s+[^#\n]{0,200}?(?<![\w.])(?:${PY_TEST_MODULE})(?![\w.])|^\s*from\s+(?:${PY_TEST_MODULE})(?:\.[\w.]+)?\s+import\b|^\s*from\s+unittest\s+import\s+[^#\n]{0,200}?\bmock\b|\bunittest\s*\.\s*mock\b`),
  new RegExp(String.raw`\b(?:import_module|__import__)\s*\(\s*['"](?:${PY_TEST_MODULE})(?:\.[\w.]+)?['"]`),
  /\b(jest|vi)\s*\.\s*(spyOn|mock|doMock|unmock|fn|replaceProperty|stubGlobal|hoisted|importActual|requireActual|mocked)\s*\(/,
  [
    /\b(mock\s*\.\s*(method|property|getter|setter)|spyOn|sinon\s*\.\s*(stub|spy|replace\w*|fake\w*|mock)|stub|patch\s*\.\s*(object|dict|multiple)|mock\s*\.\s*patch(\s*\.\s*\w+)?|monkeypatch\s*\.\s*(setattr|setitem|delattr)|td\s*\.\s*replace\w*)\s*\(/,
    /\b(assert\w*|strict|expect|chai|should|TestCase|unittest|_?pytest)\b|['"`](equal|strictEqual|deepEqual|deepStrictEqual|notEqual|notStrictEqual|ok|fail|throws|doesNotThrow|rejects|match|toBe|toEqual|toStrictEqual|toThrow|toMatch|assert\w*)['"`]/g,
  ],
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
  // Test files named from the code: to read or rewrite them.
  /['"`][^'"`\n]*(\btests?\/|\b__tests__\/|\btest_[\w*?[\]]*\.py\b|[\w*]\.(test|spec)\.[cm]?[jt]sx?\b|_test\.go\b|\bconftest\.py\b)/,
  // The runner's and the interpreter's machinery.
  /\b(unittest|TestCase|pytest|_pytest|assert|expect|chai|should)\s*\.\s*[\w.]{0,200}\s*=(?!=)/,
  /\.\s*assert([A-Z_]\w*)?\s*=(?!=)/,
  /\bsys\s*\.\s*(_getframe|settrace|setprofile|monitoring)\b|\binspect\s*\.\s*(stack|currentframe|getouterframes)\s*\(|\bf_(globals|locals|back)\b/,
  /\bgc\s*\.\s*get_referrers\s*\(|\bbuiltins\s*\.\s*(\w+\s*=(?!=)|__dict__\b)|\bvars\s*\(\s*builtins\s*\)|\b__builtins__\s*(\[|\.\s*\w+\s*=(?!=))/,
  /\brequire\s*\.\s*cache\b|\bModule\s*\.\s*(_load|_resolveFilename|_compile|_extensions|prototype\s*\.\s*(require|_compile))\b/,
  // The same, reached another way: setattr / Object.assign / defineProperty on the runner's, the
  // interpreter's or the process's objects; a module required and patched in one expression
  // (`require('node:assert').strictEqual = …`); pytest's internals; import hooks that rewrite
  // what is imported next (a test module); the process's own last words (`sys.exit`,
  // `sys.excepthook`, `process.emit` replaced).
  /\bsetattr\s*\(\s*[\w.]{0,200}\b(unittest|TestCase|pytest|_pytest|builtins|__builtins__|sys|os|atexit|assert\w*)\b/,
  /\b(Object\s*\.\s*(assign|defineProperty|defineProperties|setPrototypeOf)|Reflect\s*\.\s*(set|defineProperty))\s*\(\s*[\w.]{0,200}\b(assert\w*|strict|expect|chai|should|globalThis|global|process(?!\s*\.\s*env\b)|console|Module|test|it|describe)\b/,
  /\brequire\s*\(\s*['"`](node:)?(assert|test)(\/strict)?['"`]\s*\)\s*\.\s*[\w.]{0,200}\s*=(?!=)/,
  // An assertion replaced on whatever name its module was bound to (`const a = require('node:assert');
  // a.strictEqual = …`, `setattr(tc, "assertEqual", …)`): the property's name gives it away.
  /\.\s*(equal|strictEqual|deepEqual|deepStrictEqual|notEqual|notStrictEqual|throws|doesNotThrow|rejects|toBe|toEqual|toStrictEqual|toThrow|toMatch|pytest_\w+)\s*=(?!=)/,
  /\b(Object\s*\.\s*(assign|defineProperty|defineProperties)|Reflect\s*\.\s*(set|defineProperty))\s*\([^\n]{0,200}?[{,'"`]\s*(equal|strictEqual|deepEqual|deepStrictEqual|toBe|toEqual|toStrictEqual|assert\w*)\b/,
  /\bsetattr\s*\([^\n]{0,200}?['"](assert\w*|fail\w*|run|_callTestMethod|pytest_\w+)['"]/,
  /\b_pytest\b/,
  /\bsys\s*\.\s*(meta_path|path_hooks|addaudithook)\b/,
  /\b(sys\s*\.\s*(exit|excepthook|unraisablehook|stdout\s*\.\s*write)|threading\s*\.\s*excepthook|process\s*\.\s*(exit|emit|reallyExit|abort|stdout\s*\.\s*write))\s*=(?!=)/,
  // An entry-point guard made true on import (below): `__name__` or `require.main` assigned.
  /(^|[^\w.'"])__name__\s*=(?!=)|['"]__name__['"]\s*\]\s*=(?!=)|\brequire\s*\.\s*main\s*=(?!=)|\bprocess\s*\.\s*argv\s*(\[[^\]\n]{0,50}\])?\s*=(?!=)/,
  // An assertion replaced by its name in brackets (`a['equal'] = …`): the names the dotted rule
  // above reads, not `ok`, `fail` or `match`, which ordinary objects have (`status['ok'] = true`).
  /\[\s*['"`](equal|strictEqual|deepEqual|deepStrictEqual|notEqual|notStrictEqual|throws|doesNotThrow|rejects|toBe|toEqual|toStrictEqual|toThrow|toMatch|assert\w*)['"`]\s*\]\s*=(?!=)/,
  ...TEST_FRAMEWORK_RULES,
];

/**
 * Leaving the process, or setting its exit status, without the runner: `os._exit(0)` (under any
 * alias, or handed to `atexit.register`), `os.exec*` (another program takes the process over),
 * a kill of its own pid, `process.exit(0)` (node --test reports a test file whose process exits 0
 * before or during its tests as a passing test), `process.exitCode = 0` and an `exit`/`beforeExit`
 * listener (which rewrite the status a failing run set). A status that is a non-zero literal fails
 * the run and is not flagged, nor is any exit inside an entry-point guard (`if __name__ ==
 * "__main__":`, `if (require.main === module) {`, `if (import.meta.main) {`), which runs when the
 * file is a program and never when a test imports it: a CLI's own exit is not a cheat there. An
 * exit anywhere else is held, in a function too: add() ending the process during a test is the
 * same line as a CLI's main() ending it (SECURITY.md, "Done means done: the cheat catalogue").
 */
export const EXIT_RULES: MeddlingRule[] = [
  /(\.|\bfrom\s+\w+\s+import\s+|^|[^\w.])_exit\b(?!\s*\(\s*[1-9]\d*\s*\))(?!\s*=[^=])/,
  /\bkill\s*\([^)\n]{0,200}\b(getpid\s*\(|process\s*\.\s*pid\b)/,
  /\.\s*reallyExit\b/,
  /\bos\s*\.\s*(exec[lv]p?e?|posix_spawn)\s*\(|\bfrom\s+os\s+import\s+[^#\n]{0,200}\bexec[lv]/,
  // Called with anything but a non-zero literal, or taken as a value to call later (`setTimeout(process.exit)`,
  // `const bye = process.exit`, `process.exit.call(…)`, `process['exit'](0)`, `const { exit } = process`).
  /\bprocess\s*(\.\s*|\[\s*['"`])(exit|reallyExit)\b(?!\s*['"`]?\s*\]?\s*\(\s*[1-9]\d*\s*\))/,
  /\{[^{}\n]{0,200}\b(exit|reallyExit)\b[^{}\n]{0,200}\}\s*=\s*(globalThis\s*\.\s*|global\s*\.\s*)?process\b/,
  /\bprocess\s*\.\s*exitCode\s*=(?!=)(?!\s*[1-9]\d*\s*[;,)}\n]?\s*$)/,
  /\bprocess\s*\.\s*(on|once|addListener|prependListener|prependOnceListener)\s*\(\s*['"`](exit|beforeExit)['"`]/,
  // Go and Rust: the test binary ended from the package's code (`os.Exit(0)` in an init: `go test`
  // prints `ok`). No guard excuses it: a `func main` or `fn main` outside the program's own package
  // or crate root is an ordinary function the tests can reach.
  /\b(os|syscall|unix)\s*\.\s*Exit\s*\((?!\s*[1-9]\d*\s*\))/,
  /\bprocess\s*::\s*(exit\s*\((?!\s*[1-9]\d*\s*\))|abort\s*\()/,
];

/**
 * Whether a top-level line opens an entry point's guard: its block runs when the file is run as a
 * program, never when a test imports it. Python's guard covers what follows its colon on the same
 * line; JavaScript's only the block its `{` opens (the scanner follows which top-level line an
 * indented line sits under: test-markers.ts).
 */
export function opensEntryPointGuard(topLevelLine: string): boolean {
  return /^if\s+__name__\s*==\s*(['"])__main__\1\s*:/.test(topLevelLine) || JS_ENTRY_GUARD.test(topLevelLine);
}

/**
 * Whether a whole JavaScript line is an entry point's guard with its one statement (`if
 * (require.main === module) process.exit(main());`, `if (import.meta.main) { main(); }`): what it
 * runs, it runs only as a program. One statement only: a `;` before the line's end, a brace in the
 * statement, an `else`, a comment, or anything after a block's `}` is not in the guard (fail closed: held).
 */
export function isOneLineEntryPointGuard(line: string): boolean {
  const m = JS_ONE_LINE_GUARD.exec(line);
  if (!m) return false;
  const statement = (m.groups?.block ?? m.groups?.statement ?? '').trim();
  return statement !== '' && !/\belse\b|\/[/*]/.test(statement);
}

const ARGV1 = String.raw`process\.argv\s*\[\s*1\s*\]`;
/** The file this module is, as a URL and as a path, against the program node was asked to run (`argv[1]`), the same way. */
const SELF_URL = String.raw`import\.meta\.url`;
const ARGV_URL = String.raw`(?:(?:url\.)?pathToFileURL\s*\(\s*${ARGV1}\s*\)\s*\.\s*href|\x60file:\/\/\$\{\s*${ARGV1}\s*\}\x60|new\s+URL\s*\(\s*${ARGV1}\s*,\s*(?:'file:(?:\/\/)?'|"file:(?:\/\/)?"|\x60file:(?:\/\/)?\x60)\s*\)\s*\.\s*href)`;
const SELF_PATH = String.raw`(?:(?:url\.)?fileURLToPath\s*\(\s*import\.meta\.url\s*\)|import\.meta\.filename)`;
const ARGV_PATH = String.raw`(?:${ARGV1}|(?:path\.)?resolve\s*\(\s*${ARGV1}\s*\)|(?:fs\.)?realpathSync\s*\(\s*${ARGV1}\s*\))`;
const EQ = String.raw`\s*===?\s*`;
const JS_GUARD_CONDITION = [
  String.raw`require\.main${EQ}module`,
  String.raw`module${EQ}require\.main`,
  String.raw`import\.meta\.main`,
  `${SELF_URL}${EQ}${ARGV_URL}`,
  `${ARGV_URL}${EQ}${SELF_URL}`,
  `${SELF_PATH}${EQ}${ARGV_PATH}`,
  `${ARGV_PATH}${EQ}${SELF_PATH}`,
].join('|');
const JS_ENTRY_GUARD = new RegExp(String.raw`^if\s*\(\s*(?:${JS_GUARD_CONDITION})\s*\)\s*\{\s*$`);
/**
 * `if (GUARD) { …; }` (no brace inside) or `if (GUARD) statement;` (no `;` inside), and nothing
 * after. No comment either: `main("http://x"); process.exit(0)` would read as a statement and a
 * comment. No line terminator JavaScript has and git's lines do not (CR, U+2028, U+2029) in the
 * statement: after one, a new statement begins outside the guard.
 */
const JS_ONE_LINE_GUARD = new RegExp(String.raw`^if\s*\(\s*(?:${JS_GUARD_CONDITION})\s*\)\s*(?:\{(?<block>[^{}]*)\}|(?<statement>[^;{}\r\u2028\u2029]+);?)\s*$`);

/**
 * The kind of meddling an added line of code (not a test file) shows, if any. `inEntryPointGuard`:
 * the line runs only when its file is run as a program (opensEntryPointGuard), so leaving the
 * process there is the program's own business.
 */
export function codeMeddlingKind(line: string, o: { inEntryPointGuard?: boolean } = {}): 'test-sniffing' | 'test-tampering' | undefined {
  if (SNIFFING_RULES.some((r) => matches(r, line))) return 'test-sniffing';
  if (TAMPERING_RULES.some((r) => matches(r, line))) return 'test-tampering';
  if (!o.inEntryPointGuard && EXIT_RULES.some((r) => matches(r, line))) return 'test-tampering';
  return undefined;
}
