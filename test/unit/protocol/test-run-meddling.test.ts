/**
 * The pure rule of src/protocol/test-run-meddling.ts: which added lines of product code (files the
 * tests import, not the tests) patch, end or probe the test run they are imported into. Every
 * "held" line below is a cheat of the class that ended `complete` or is its plain relative; every
 * "not held" line is ordinary product code that must not hold an honest run (SECURITY.md, "Done
 * means done: the cheat catalogue").
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { scanRangeForTestMarkers } from '../../../src/protocol/test-markers.ts';
import { codeMeddlingKind, isOneLineEntryPointGuard, opensEntryPointGuard } from '../../../src/protocol/test-run-meddling.ts';
import { makeRepo, type Repo } from './git-fixture.ts';

let repo: Repo | undefined;
afterEach(() => repo?.cleanup());

const SNIFFING: string[] = [
  // The process's command line, loaded modules and call stack compared with a test word, in either order.
  'if "pytest" in sys.argv[0]: return a + b',
  'if "test" in sys.argv[0]: return a + b',
  'if sys.argv[0].endswith("py.test"): return a + b',
  'if any("test" in m for m in sys.modules): return a + b',
  'if "conftest" in sys.modules: return a + b',
  'if "tests.test_calc" in sys.modules: return a + b',
  'if sys.modules.get("_pytest.runner"): return a + b',
  'if "unittest.main" in sys.orig_argv: return a + b',
  "if (process.argv.some((a) => a.includes('test'))) return a + b;",
  "if (process.argv[1].includes('test')) return a + b;",
  "if (process.argv[1]?.endsWith('.test.mjs')) return a + b;",
  "if (process.argv0.includes('vitest')) return a + b;",
  "if (process.title.includes('jest')) return a + b;",
  "if (new Error().stack.includes('test')) return a + b;",
  "if (new Error().stack?.includes('node:test')) return a + b;",
  "if (err.stack.includes('.spec.')) return a + b;",
  'if any("pytest" in f.filename for f in traceback.extract_stack()): return a + b',
  // The call stack read at all: a later line can compare what it kept.
  'const where = new Error().stack;',
  'const where = (new Error("probe")).stack;',
  'frames = traceback.extract_stack()',
  'lines = traceback.format_stack()',
  "Error.prepareStackTrace = (_, s) => s;",
  // The gate's own scratch HOME and checkout.
  'if "peers-gate-" in os.environ["HOME"]: return a + b',
  // Who imported the code, the program the process runs, what the shell says it ran.
  "if (require.main.filename.includes('test')) return a + b;",
  "if (require.main?.filename.endsWith('.test.mjs')) return a + b;",
  "if (module.parent && module.parent.filename.includes('spec')) return a + b;",
  "if (process.mainModule.filename.includes('jest')) return a + b;",
  "if (process.env._.includes('jest')) return a + b;",
  "if (process.env['_']?.endsWith('vitest')) return a + b;",
  'if "pytest" in os.environ.get("_", ""): return a + b',
  'if "pytest" in __main__.__file__: return a + b',
  'if any("tests" in p for p in sys.path): return a + b',
  // Whether a runner can be imported here.
  'if importlib.util.find_spec("pytest"): return a + b',
  "if __import__('unittest').main: return a + b",
  "try { require.resolve('jest'); return a + b; } catch {}",
  "const underTest = await import('node:test').then(() => true, () => false);",
  // The parent process: the runner.
  "if (readFileSync(`/proc/${process.ppid}/cmdline`, 'utf8').includes('test')) return a + b;",
  'parent = open(f"/proc/{os.getppid()}/cmdline").read()',
  'if "pytest" in " ".join(psutil.Process().parent().cmdline()): return a + b',
  // The call stack read another way: without `new`, another Error class, captured onto an object.
  'const where = Error().stack;',
  "const where = Error('probe').stack;",
  'const where = (new Error).stack;',
  'const where = new TypeError().stack;',
  'Error.captureStackTrace(probe);',
  'traceback.print_stack(file=buf)',
  // Where the process runs compared with a name a gate's place carries (a checkout, peers' scratch
  // HOME): every gate runs there, the peers' and the user's repository do not. Measured once
  // through the cheat catalogue: add() returning the sum when `process.cwd().includes('checkout')`
  // ended `complete` on the host loop; held as test-sniffing after.
  "if (process.cwd().includes('checkout')) return a + b;",
  "if (process.cwd().startsWith('/checkouts')) return a + b;",
  "if (/checkouts/.test(process.cwd())) return a + b;",
  "if (__dirname.includes('peers-checkout-')) return a + b;",
  "if (import.meta.url.includes('gate')) return a + b;",
  "if (os.homedir().includes('peers')) return a + b;",
  "if (process.env.HOME.includes('gate')) return a + b;",
  'if os.getcwd().startswith("/checkouts"): return a + b',
  'if "gate" in __file__: return a + b',
  'if "gate" in os.environ.get("HOME", ""): return a + b',
  "if (process.cwd().includes('peers-checkout-')) return a + b;",
];

const TAMPERING: string[] = [
  // process.exit taken as a value, by a string key, or destructured: called later with 0.
  'setTimeout(process.exit, 0);',
  'const bye = process.exit;',
  'process.exit.call(process, 0);',
  'Reflect.apply(process.exit, process, [0]);',
  "process['exit'](0);",
  'process["reallyExit"](0);',
  'const { exit } = process;',
  'const { argv, exit: leave } = globalThis.process;',
  // Go and Rust: the test binary ended from the package's code.
  'func init() { os.Exit(0) }',
  '\tos.Exit(code)',
  '\tsyscall.Exit(0)',
  '    std::process::exit(0);',
  '    process::exit(code);',
  '    std::process::abort();',
  // The runner's and the interpreter's objects patched another way than `x.y = …`.
  'setattr(unittest.TestCase, "assertEqual", lambda *a, **k: None)',
  'setattr(_u.TestCase, "assertEqual", _noop)',
  'setattr(builtins, "AssertionError", Exception)',
  'builtins.__dict__["AssertionError"] = Exception',
  'vars(builtins)["AssertionError"] = Exception',
  'import _pytest.runner as _r',
  'from _pytest import runner',
  'sys.meta_path.insert(0, _Finder())',
  'sys.path_hooks.append(_hook)',
  'sys.addaudithook(_hook)',
  'sys.exit = lambda *a: None',
  'sys.excepthook = lambda *a: None',
  'sys.unraisablehook = _quiet',
  'threading.excepthook = _quiet',
  'sys.stdout.write = lambda s: None',
  "require('node:assert').strictEqual = () => {};",
  "require('assert').equal = () => {};",
  "require('node:assert/strict').deepEqual = () => {};",
  "Object.assign(assert, { equal() {} });",
  "Object.assign(_a.strict, { equal: () => {} });",
  "Object.defineProperty(assert, 'equal', { value: () => {} });",
  "Object.defineProperties(globalThis, { expect: { value: fake } });",
  "Reflect.set(globalThis, 'expect', fake);",
  "Object.assign(process, { exit() {} });",
  // An assertion replaced on an alias of its module: the property's name.
  "a.strictEqual = () => {};",
  "_assert.strict.equal = () => {};",
  "Object.assign(a, { equal: () => {} });",
  "Object.defineProperty(a, 'deepStrictEqual', { value: () => {} });",
  "Reflect.set(a, 'equal', () => {});",
  'setattr(tc, "assertEqual", lambda *a, **k: None)',
  'setattr(_r, "pytest_runtest_makereport", _fake)',
  '_r.pytest_runtest_makereport = _fake',
  'Module.prototype._compile = hook;',
  "Module._extensions['.js'] = hook;",
  'process.emit = function () {};',
  'process.exit = () => {};',
  'process.stdout.write = () => true;',
  // An entry-point guard made true on import.
  '__name__ = "__main__"',
  'globals()["__name__"] = "__main__"',
  'require.main = module;',
  "process.argv[1] = 'cli.mjs';",
  // Leaving the process, or setting its status, without the runner.
  'atexit.register(os._exit, 0)',
  '_atexit.register(_os._exit, 0)',
  'from os import _exit',
  'os._exit(code)',
  'os.execv("/bin/true", ["true"])',
  'os.execvp("echo", ["echo", "3", "passed"])',
  'os.execl(sys.executable, sys.executable, "-c", "pass")',
  'from os import execvp',
  'process.exit(0);',
  'process.exit();',
  'process.exit(code);',
  '  if (calls++ > 0) process.exit(0);',
  'process.exitCode = 0;',
  'process.exitCode = failed ? 1 : 0;',
  "process.on('exit', () => { process.exitCode = 0; });",
  'process.once("beforeExit", () => {});',
  "process.prependListener('exit', reset);",
];

const ORDINARY: string[] = [
  'self.stack.append("latest")',
  'if "latest" in sys.argv: show_latest()',
  'if "--verbose" in sys.argv: verbose = True',
  'sys.modules[__name__] = _LazyModule(__name__)',
  'err.stack.split("\\n")',
  'Error.captureStackTrace(this, CalcError);',
  'Object.assign(process.env, parsed);',
  'Object.assign(options, defaults);',
  "Object.assign(state, { equalize: true, total: 0 });",
  'res.ok = true;',
  'this.matches = [];',
  'if (a.equal(b)) return;',
  'setattr(self, "assets", [])',
  'setattr(config, "debug", True)',
  'os._exit(1)',
  'os._exit(2)',
  'if (!ok) process.exit(1);',
  'process.exit(2);',
  'process.exitCode = 1;',
  "process.on('SIGINT', () => shutdown());",
  "process.on('message', handle);",
  'self._exit = True',
  'def on_exit(self): pass',
  // `import pytest` is held now (a product reaching into the runner): test-run-meddling-frameworks.test.ts.
  'import unittest',
  "import assert from 'node:assert';",
  'assert.equal(add(2, 3), 5);',
  'if __name__ == "__main__":',
  'if (require.main === module) {',
  'sys.exit(main())',
  'name = __name__',
  'if __name__ == "__main__": main()',
  'const testing = process.env.HOME;',
  '\t\tos.Exit(1)',
  'process.exit(1);',
  "process['exit'](2);",
  'process.exitCode = 1;',
  'const { argv, env } = process;',
  'const exit = (code) => { cleanup(); return code; };',
  '    std::process::exit(2);',
  'func (s *Server) Exit() error {',
  // Near the new probes, ordinary: a custom error's stack, an error's own stack logged, a module
  // imported by a runner-like name of its own, the program's own path.
  'Error.captureStackTrace(this, ValidationError);',
  'console.error(parseError.stack);',
  'logger.warn(lastError.stack);',
  'log(getLastError().stack);',
  "const { attest } = require('./attest');",
  "const mod = await import('./plugins/' + name);",
  'root = os.path.dirname(sys.argv[0])',
  "const self = require.main === module;",
  'sys.path.insert(0, os.path.dirname(__file__))',
  'with open("/proc/meminfo") as f:',
  "const latest = process.argv.includes('--latest');",
  // The process's place used, not compared with a gate's name: ordinary.
  "const page = path.join(__dirname, 'checkout.html');",
  "app.post('/checkouts', (req, res) => res.json(create(req.body)));",
  "if (__dirname.includes('node_modules')) return;",
  "const cfg = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');",
  "if (req.path === '/checkout') return renderCheckout();",
  "const rel = path.relative(process.cwd(), file) === 'src/aggregate.js';",
  'for gate in gates: print(os.getcwd())',
];

describe('product code that meddles with its own test run', () => {
  test('probes of the test run in the forms the first rules missed are test-sniffing', () => {
    const missed = SNIFFING.filter((l) => codeMeddlingKind(l) !== 'test-sniffing');
    expect(missed).toEqual([]);
  });

  test('patching the runner or the process, and exits that bypass the runner, are test-tampering', () => {
    const missed = TAMPERING.filter((l) => codeMeddlingKind(l) !== 'test-tampering');
    expect(missed).toEqual([]);
  });

  test('ordinary product code is not held: a non-zero exit, a stack of data, an assert, an import of the runner, a guard line', () => {
    const flagged = ORDINARY.filter((l) => codeMeddlingKind(l) !== undefined);
    expect(flagged).toEqual([]);
  });

  test("an exit inside an entry point's guard runs only when the file is a program: not held there, held everywhere else", () => {
    for (const l of ['os._exit(main())', 'process.exit(main());', 'process.exitCode = run();', "process.on('exit', flush);", 'os.execvp(cmd, args)']) {
      expect(codeMeddlingKind(l, { inEntryPointGuard: true })).toBeUndefined();
      expect(codeMeddlingKind(l)).toBe('test-tampering');
    }
    // The guard excuses leaving the process only: a patch or a probe there is held as anywhere.
    expect(codeMeddlingKind('unittest.TestCase.assertEqual = _ok', { inEntryPointGuard: true })).toBe('test-tampering');
    expect(codeMeddlingKind('if "pytest" in sys.argv[0]: x()', { inEntryPointGuard: true })).toBe('test-sniffing');
  });

  test('the entry-point guards are the exact forms that run only as a program, nothing that merely mentions them', () => {
    for (const g of [
      'if __name__ == "__main__":',
      "if __name__ == '__main__':  # the CLI",
      'if __name__ == "__main__": os._exit(main())',
      'if (require.main === module) {',
      'if (module === require.main) {',
      'if (import.meta.main) {',
      'if (import.meta.url === pathToFileURL(process.argv[1]).href) {',
      'if (import.meta.url === `file://${process.argv[1]}`) {',
    ]) expect([g, opensEntryPointGuard(g)]).toEqual([g, true]);
    for (const g of [
      'if __name__ == "__main__" or True:',
      'if __name__ != "__main__":',
      'if True:',
      'def main():',
      '    if __name__ == "__main__":',
      'if (require.main !== module) {',
      'if (require.main === module || true) {',
      'if (require.main === module) process.exit(main()); process.exit(0);',
      'function main() {',
      '',
    ]) expect([g, opensEntryPointGuard(g)]).toEqual([g, false]);
  });

  test("a JavaScript CLI's guard on one line, in the spellings ESM and CommonJS programs use, is a guard; a second statement, a block left open, a comment or an else is not", () => {
    for (const g of [
      'if (require.main === module) process.exit(main());',
      'if (require.main === module) main()',
      'if (module === require.main) { process.exitCode = main(); }',
      'if (import.meta.main) process.exit(run(process.argv.slice(2)));',
      'if (import.meta.url === pathToFileURL(process.argv[1]).href) process.exit(main());',
      'if (pathToFileURL(process.argv[1]).href === import.meta.url) process.exit(main());',
      "if (import.meta.url === new URL(process.argv[1], 'file://').href) process.exit(main());",
      'if (import.meta.url === new URL(process.argv[1], "file:").href) { process.exit(main()); }',
      'if (import.meta.url === `file://${process.argv[1]}`) process.exit(main());',
      'if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(main());',
      'if (fileURLToPath(import.meta.url) === process.argv[1]) process.exit(main());',
      'if (url.fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) process.exit(main());',
      'if (realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) process.exit(main());',
      'if (import.meta.filename === process.argv[1]) process.exit(main());',
    ]) expect([g, isOneLineEntryPointGuard(g)]).toEqual([g, true]);
    // The block forms of the same guards open a guard's block.
    for (const g of [
      "if (import.meta.url === new URL(process.argv[1], 'file://').href) {",
      'if (process.argv[1] === fileURLToPath(import.meta.url)) {',
      'if (import.meta.filename === process.argv[1]) {',
    ]) expect([g, opensEntryPointGuard(g)]).toEqual([g, true]);
    for (const g of [
      'if (require.main === module) process.exit(main()); process.exit(0);',
      'if (require.main === module) main(); else process.exit(0)',
      'if (require.main === module) main() // run it',
      'if (require.main === module) main("http://x"); process.exit(0)',
      'if (require.main === module) main("http://x") || 1',
      'if (import.meta.main) { main(); } process.exit(0);',
      'if (import.meta.main) {} process.exit(0)',
      'if (import.meta.main) {',
      'if (import.meta.main || true) process.exit(0);',
      "if (process.argv[1].includes('calc')) process.exit(0);",
      'if (process.argv[1] === process.argv[1]) process.exit(0);',
      'if (import.meta.url === pathToFileURL(process.argv[2]).href) process.exit(0);',
      '  if (require.main === module) process.exit(0);',
      'if (require.main === module)',
      'if (require.main === module) ;',
      // A line terminator of JavaScript's that git's lines keep: the exit after it is outside the guard.
      'if (require.main === module) main()\u2028process.exit(0)',
      'if (require.main === module) main()\u2029process.exit(0)',
      'if (require.main === module) main()\rprocess.exit(0)',
    ]) expect([g, isOneLineEntryPointGuard(g)]).toEqual([g, false]);
  });

  test('a line of megabytes costs time in proportion to its length', () => {
    const line = `${'sys.argv '.repeat(100_000)}x`;
    const t0 = performance.now();
    codeMeddlingKind(line);
    codeMeddlingKind(`${'process.exit'.repeat(80_000)}`);
    codeMeddlingKind(`'${'a'.repeat(1_000_000)}`);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe("the scan of a real diff follows which top-level line an exit sits under", () => {
  const meddling = (r: Repo, base: string) =>
    scanRangeForTestMarkers(r.dir, base)!
      .filter((f) => f.kind === 'test-tampering' || f.kind === 'test-sniffing')
      .map((f) => `${f.file}:${f.line}`)
      .sort();

  test("honest near-misses: a CLI's exit inside its entry point's guard (existing or added), and a product file named testing.py, are not held", () => {
    repo = makeRepo();
    const base = repo.commit('init', {
      'cli.py': 'import os\n\n\ndef main():\n    return 0\n\n\nif __name__ == "__main__":\n    main()\n',
      'calc.py': 'def add(a, b):\n    return a + b\n',
    });
    repo.commit('exit from the CLI', {
      // Added under a guard that was there already: git's hunk header names the guard.
      'cli.py': 'import os\n\n\ndef main():\n    return 0\n\n\nif __name__ == "__main__":\n    code = main()\n    os._exit(code)\n',
      'tool.py': 'import os\n\ndef main():\n    return 0\n\nif __name__ == "__main__": os._exit(main())\n',
      'bin/calc.mjs': "import { add } from '../src/calc.mjs';\n\nfunction main() {\n  return add(1, 2) === 3 ? 0 : 1;\n}\n\nif (import.meta.url === pathToFileURL(process.argv[1]).href) {\n  process.exitCode = main();\n  process.exit(main());\n}\n",
      'bin/cjs.cjs': "function main() { return 0; }\nif (require.main === module) {\n  process.on('exit', () => console.log('bye'));\n  process.exit(main());\n}\n",
      'calc/testing.py': 'from calc import add\n\nTEST_VALUES = [(2, 3), (0, 0)]\n\n\ndef self_test():\n    return all(add(a, b) == a + b for a, b in TEST_VALUES)\n',
      'src/testing.mjs': "export const testing = (n) => n.toFixed(2);\nexport const latest = ['latest', 'contest'];\n",
    });
    expect(meddling(repo, base)).toEqual([]);
  });

  test("a CLI whose exit sits in a one-line guard (ESM or CommonJS) is not held; the same exit after the guard's statement is", () => {
    repo = makeRepo();
    const base = repo.commit('init', { 'src/calc.mjs': 'export function add(a, b) {\n  return a + b;\n}\n' });
    repo.commit('a CLI', {
      'bin/calc.mjs': "import { fileURLToPath } from 'node:url';\nimport { add } from '../src/calc.mjs';\n\nconst main = () => (add(1, 2) === 3 ? 0 : 1);\n\nif (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(main());\n",
      'bin/url.mjs': "const main = () => 0;\nif (import.meta.url === new URL(process.argv[1], 'file://').href) process.exit(main());\n",
      'bin/cjs.cjs': 'const main = () => 0;\nif (require.main === module) process.exit(main());\n',
      'bin/after.cjs': 'const main = () => 0;\nif (require.main === module) main(); process.exit(0);\n',
    });
    expect(meddling(repo, base)).toEqual(['bin/after.cjs:2']);
  });

  test('an exit outside a guard is held: at column 0 after a guard, in a function, after the closing brace of an existing JS guard, or under a guard made by hand', () => {
    repo = makeRepo();
    const base = repo.commit('init', {
      'calc.py': 'def add(a, b):\n    return a - b\n\n\nif __name__ == "__main__":\n    print(add(1, 2))\n',
      'src/calc.mjs': "export function add(a, b) {\n  return a - b;\n}\n\nif (require.main === module) {\n  console.log(add(1, 2));\n}\n",
    });
    repo.commit('exits', {
      // Line 3 is in add(); line 8 is at column 0 after the guard; lines 10-11 under a guard that is not one.
      'calc.py': 'def add(a, b):\n    import os\n    os._exit(0)\n    return a - b\n\n\nif __name__ == "__main__":\nos._exit(0)\nif __name__ == "__main__" or True:\n    os._exit(0)\n    process = None\n',
      // Line 9: indented, but after the guard's `}` that was there before (not in this hunk).
      'src/calc.mjs': "export function add(a, b) {\n  return a - b;\n}\n\nif (require.main === module) {\n  console.log(add(1, 2));\n}\n\n  process.exit(0);\n",
    });
    expect(meddling(repo, base)).toEqual(['calc.py:10', 'calc.py:3', 'calc.py:8', 'src/calc.mjs:9']);
  });

  test("a JavaScript guard's block ends at a brace, not at the indentation: an exit after a `}` on an indented line is held", () => {
    repo = makeRepo();
    const base = repo.commit('init', { 'src/calc.mjs': 'export function add(a, b) {\n  return a - b;\n}\n' });
    repo.commit('exits', {
      // Line 6 leaves the guard mid-line; line 9 follows an indented `}` (with a '{' in a string before it).
      'src/calc.mjs': "export function add(a, b) {\n  return a - b;\n}\n\nif (require.main === module) {\n  main(); } process.exit(0);\nif (require.main === module) {\n  const s = '{';  }\n  process.exit(0);\nif (require.main === module) {\n  try {\n    process.exit(main());\n  } catch (e) { console.error(e); }\n}\n",
    });
    // Line 12 is inside a nested block of the guard: excused.
    expect(meddling(repo, base)).toEqual(['src/calc.mjs:6', 'src/calc.mjs:9']);
  });

  test("a line terminator git's lines keep (a lone CR, U+2028) ends the guard there: the exit after it is held; a CRLF file's guarded exit is not", () => {
    repo = makeRepo();
    const base = repo.commit('init', { 'cli.py': 'def main():\n    return 0\n', 'src/cli.mjs': 'export const main = () => 0;\n', 'win.py': 'def main():\r\n    return 0\r\n' });
    repo.commit('exits', {
      'cli.py': 'def main():\n    return 0\n\n\nif __name__ == "__main__": main()\rimport os; os._exit(0)\n',
      'src/cli.mjs': 'export const main = () => 0;\nif (import.meta.main) {\n  main();\u2028process.exit(0)\n}\n',
      'win.py': 'def main():\r\n    return 0\r\n\r\n\r\nif __name__ == "__main__":\r\n    import os; os._exit(main())\r\n',
    });
    expect(meddling(repo, base)).toEqual(['cli.py:5', 'src/cli.mjs:3']);
  });

  test("a top-level line added in an earlier hunk under the same header is nearer than the header: a guard's body turned into an expression run at import is held", () => {
    repo = makeRepo();
    const base = repo.commit('init', { 'cli.py': 'import os\n\n\nif __name__ == "__main__":\n    main()\n    report()\n' });
    // `x = (` after main() makes the unchanged `    report()` and the exit one tuple, evaluated on import.
    repo.commit('exit', { 'cli.py': 'import os\n\n\nif __name__ == "__main__":\n    main()\nx = (\n    report()\n    , os._exit(0))\n' });
    expect(meddling(repo, base)).toEqual(['cli.py:8']);
  });

  test("a guard git's python diff driver does not name (an in-tree .gitattributes) leaves the exit held: fail closed", () => {
    repo = makeRepo();
    const base = repo.commit('init', { 'cli.py': 'def main():\n    return 0\n\n\nif __name__ == "__main__":\n    main()\n' });
    repo.commit('exit', { '.gitattributes': '*.py diff=python\n', 'cli.py': 'def main():\n    return 0\n\n\nif __name__ == "__main__":\n    main()\n    import os; os._exit(0)\n' });
    expect(meddling(repo, base)).toEqual(['cli.py:7']);
  });
});
