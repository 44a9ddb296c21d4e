import { afterEach, describe, expect, test } from 'bun:test';
import { scanRangeForTestMarkers } from '../../../src/protocol/test-markers.ts';
import { makeRepo, sh, type Repo } from './git-fixture.ts';

let repo: Repo;
afterEach(() => repo?.cleanup());

describe('test marker scan on a real diff', () => {
  test('reports new skip/xfail/only markers with file and line, across languages', () => {
    repo = makeRepo();
    const base = repo.commit('init', { 'tests/test_a.py': 'import pytest\n\ndef test_a():\n    assert 1\n', 'src/a.test.ts': "it('works', () => {});\n" });
    repo.commit('skip things', {
      'tests/test_a.py': 'import pytest\n\n@pytest.mark.skip(reason="later")\ndef test_a():\n    assert 1\n\n@pytest.mark.xfail\ndef test_b():\n    assert 0\n',
      'src/a.test.ts': "it.only('works', () => {});\nxit('other', () => {});\ndescribe.skip('group', () => {});\n",
      'pkg/a_test.go': 'package pkg\nfunc TestA(t *testing.T) {\n\tt.Skip("flaky")\n}\n',
      'src/lib.rs': '#[test]\n#[ignore]\nfn slow() {}\n',
      'tests/test_c.py': 'import unittest\nclass T(unittest.TestCase):\n    @unittest.skipIf(True, "x")\n    def test_c(self): pass\n',
    });
    const found = scanRangeForTestMarkers(repo.dir, base)!.map((f) => `${f.file}:${f.line}:${f.kind}`);
    expect(found).toEqual(
      expect.arrayContaining([
        'tests/test_a.py:3:skip',
        'tests/test_a.py:7:xfail',
        'src/a.test.ts:1:only',
        'src/a.test.ts:2:skip',
        'src/a.test.ts:3:skip',
        'pkg/a_test.go:3:skip',
        'src/lib.rs:2:skip',
        'tests/test_c.py:3:skip',
      ]),
    );
    expect(found).toHaveLength(8);
  });

  // Attack (cheats/init-gates.test.ts, skip-from-source): calc.py raised unittest's SkipTest at
  // import, pytest skipped the test module that imports it, and the gate took "1 passed, 1 skipped".
  test("unittest's SkipTest raised or imported anywhere, in the code or a test, and self.skipTest() are skip markers", () => {
    repo = makeRepo();
    const base = repo.commit('init', { 'calc.py': 'def add(a, b):\n    return a - b\n', 'tests/test_d.py': 'import unittest\nclass T(unittest.TestCase):\n    def test_d(self): pass\n' });
    repo.commit('skip from the code', {
      'calc.py': 'import unittest as _u\nraise _u.SkipTest("rework")\ndef add(a, b):\n    return a - b\n',
      'tests/test_d.py': 'import unittest\nfrom unittest import SkipTest\nclass T(unittest.TestCase):\n    def test_d(self):\n        self.skipTest("later")\n',
      'src/other.py': 'def skip_test_data(rows):\n    return rows[1:]\n',
    });
    const found = scanRangeForTestMarkers(repo.dir, base)!.map((f) => `${f.file}:${f.line}:${f.kind}`);
    expect(found.sort()).toEqual(['calc.py:2:skip', 'tests/test_d.py:2:skip', 'tests/test_d.py:5:skip']);
  });

  // Attack (played once through cheats/init-gates.test.ts): calc.py raised pytest's own skip exception
  // under an alias at import; no rule knew `skip.Exception`, and the run ended `complete`.
  test("pytest's skip and xfail outcomes under any alias, importorskip and _pytest.outcomes are markers", () => {
    repo = makeRepo();
    const base = repo.commit('init', { 'calc.py': 'def add(a, b):\n    return a - b\n' });
    repo.commit('skip from the code', {
      'calc.py': 'import pytest as _p\nraise _p.skip.Exception("rework", allow_module_level=True)\ndef add(a, b):\n    return a - b\n',
      'src/a.py': 'import pytest\nnp = pytest.importorskip("numpy_fast")\nfrom _pytest.outcomes import Skipped\nraise Skipped("x")\nlater = pytest.skip\nraise pytest.xfail.Exception("y")\n',
      'src/ok.py': 'def skip_rows(rows, n):\n    return rows[n:]\nexception_skipped = 0\n',
    });
    const found = scanRangeForTestMarkers(repo.dir, base)!.map((f) => `${f.file}:${f.line}:${f.kind}`);
    // pytest's internals, and pytest itself, imported from the code are test-tampering too
    // (test-run-meddling.ts: a product reaching into the runner).
    expect(found.sort()).toEqual(['calc.py:1:test-tampering', 'calc.py:2:skip', 'src/a.py:1:test-tampering', 'src/a.py:2:skip', 'src/a.py:3:skip', 'src/a.py:3:test-tampering', 'src/a.py:4:skip', 'src/a.py:5:skip', 'src/a.py:6:xfail']);
  });

  test('reports commented-out and deleted tests, and deleted test files', () => {
    repo = makeRepo();
    const base = repo.commit('init', {
      'tests/test_a.py': 'def test_keep():\n    assert 1\n\ndef test_gone():\n    assert 1\n\ndef test_off():\n    assert 1\n',
      'tests/test_old.py': 'def test_old():\n    assert 1\n',
      'src/b.spec.ts': "test('stays', () => {});\ntest('removed', () => {});\n",
    });
    repo.commit('drop tests', {
      'tests/test_a.py': 'def test_keep():\n    assert 1\n\n# def test_off():\n#     assert 1\n',
      'tests/test_old.py': null,
      'src/b.spec.ts': "test('stays', () => {});\n",
    });
    const found = scanRangeForTestMarkers(repo.dir, base)!;
    const keys = found.map((f) => `${f.file}:${f.line}:${f.kind}`).sort();
    expect(keys).toEqual(['src/b.spec.ts:2:deleted-test', 'tests/test_a.py:4:deleted-test', 'tests/test_a.py:4:disabled-test', 'tests/test_old.py:0:deleted-test-file'].sort());
    expect(found.find((f) => f.kind === 'deleted-test' && f.file === 'tests/test_a.py')!.text).toContain('test_gone');
  });

  test('moving a test within the diff is not a deletion; ordinary code is not a marker', () => {
    repo = makeRepo();
    const base = repo.commit('init', { 'tests/test_a.py': 'def test_a():\n    assert 1\n' });
    repo.commit('move', { 'tests/test_a.py': '\n\nclass TestGroup:\n    pass\n\ndef test_a():\n    assert 2\n', 'src/skip.py': 'def skip(items):\n    return items[1:]\n' });
    expect(scanRangeForTestMarkers(repo.dir, base)).toEqual([]);
  });

  test('a marker in a test file whose name git quotes (non-ASCII, a double quote) or ends with a tab (a space) is found under its real name', () => {
    repo = makeRepo();
    const names = ['tests/test_café.py', 'tests/test_"quoted".py', 'tests/test with space.py', 'tests/tab\there_test.py'];
    const base = repo.commit('init', Object.fromEntries(names.map((n) => [n, 'def test_a():\n    assert 1\n'])));
    repo.commit('skip them', Object.fromEntries(names.map((n) => [n, 'import pytest\n\n@pytest.mark.skip(reason="later")\ndef test_a():\n    assert 1\n'])));
    const found = scanRangeForTestMarkers(repo.dir, base)!.map((f) => `${f.file}:${f.line}:${f.kind}`);
    expect(found.sort()).toEqual(names.map((n) => `${n}:3:skip`).sort());
  });

  test('an added line reading `++ b/notes.txt` (valid JavaScript and Python) does not hide the markers after it', () => {
    repo = makeRepo();
    const base = repo.commit('init', { 'src/a.test.js': "let b = 1;\ntest('a', () => {});\n", 'tests/test_b.py': 'b = 1\ndef test_b():\n    assert 1\n' });
    repo.commit('hide a skip', {
      'src/a.test.js': "let b = 1;\nconst notes = { txt: 1 };\n++ b/notes.txt\ntest.skip('a', () => {});\n",
      'tests/test_b.py': 'import pytest\nb = 1\n++ b/notes.txt\n@pytest.mark.skip(reason="x")\ndef test_b():\n    assert 1\n',
    });
    const found = scanRangeForTestMarkers(repo.dir, base)!.map((f) => `${f.file}:${f.line}:${f.kind}`);
    expect(found.sort()).toEqual(['src/a.test.js:4:skip', 'tests/test_b.py:4:skip']);
  });

  test('a removed line reading `-- x` (a Lua or SQL comment, a JavaScript decrement) is a removed line, not a header', () => {
    repo = makeRepo();
    const base = repo.commit('init', { 'src/b.spec.ts': "let x = 1;\n-- x;\ntest('removed', () => {});\n" });
    repo.commit('drop', { 'src/b.spec.ts': 'let x = 1;\n' });
    expect(scanRangeForTestMarkers(repo.dir, base)!.map((f) => `${f.file}:${f.line}:${f.kind}`)).toEqual(['src/b.spec.ts:3:deleted-test']);
  });

  test('a textconv driver in the repository\'s config and attributes cannot rewrite the diff the scan reads', () => {
    repo = makeRepo();
    sh(repo.dir, ['config', 'diff.hide.textconv', 'grep -v skip']);
    const base = repo.commit('init', { '.gitattributes': '*.py diff=hide\n', 'tests/test_a.py': 'def test_a():\n    assert 1\n' });
    repo.commit('skip', { 'tests/test_a.py': 'import pytest\n@pytest.mark.skip(reason="x")\ndef test_a():\n    assert 1\n' });
    expect(scanRangeForTestMarkers(repo.dir, base)!.map((f) => `${f.file}:${f.line}:${f.kind}`)).toEqual(['tests/test_a.py:2:skip']);
  });

  test('a NUL byte in a test file (git would call it binary) does not hide a new skip marker', () => {
    repo = makeRepo();
    const base = repo.commit('init', { 'test/a.test.mjs': "test('a', () => {});\n" });
    repo.commit('skip', { 'test/a.test.mjs': "// \0\ntest.skip('a', () => {});\n" });
    expect(scanRangeForTestMarkers(repo.dir, base)!.map((f) => `${f.file}:${f.line}:${f.kind}`)).toEqual(['test/a.test.mjs:1:trojan-source', 'test/a.test.mjs:2:skip']);
  });

  test('diff.noprefix or mnemonicPrefix in the repository\'s config does not hide a deleted test file', () => {
    for (const setting of [['diff.noprefix', 'true'], ['diff.mnemonicPrefix', 'true']]) {
      repo = makeRepo();
      sh(repo.dir, ['config', setting[0]!, setting[1]!]);
      const base = repo.commit('init', { 'tests/test_old.py': 'def test_old():\n    assert 1\n', 'src/a.py': 'x = 1\n' });
      repo.commit('drop', { 'tests/test_old.py': null });
      expect(scanRangeForTestMarkers(repo.dir, base)!.map((f) => `${f.file}:${f.kind}`)).toEqual(['tests/test_old.py:deleted-test-file']);
      repo.cleanup();
    }
  });

  test('code outside the tests that asks whether a test runner or a peers gate runs it is test-sniffing; the same words in a test file, or ordinary code, are not', () => {
    repo = makeRepo();
    const base = repo.commit('init', { 'src/calc.mjs': 'export const add = (a, b) => a - b;\n', 'calc.py': 'def add(a, b):\n    return a - b\n' });
    repo.commit('sniff', {
      'src/calc.mjs': 'export const add = (a, b) => {\n  if (process.env.NODE_TEST_CONTEXT) return a + b;\n  if (typeof jest !== "undefined") return a + b;\n  if (process.env.NODE_ENV === "test") return a + b;\n  return a - b;\n};\n',
      'calc.py': 'import os, sys\n\ndef add(a, b):\n    if "pytest" in sys.modules:\n        return a + b\n    if os.environ.get("PYTEST_CURRENT_TEST"):\n        return a + b\n    if os.environ.get("PEERS_RUN_BASELINE"):\n        return a + b\n    return a - b\n',
      'pkg/calc.go': 'package pkg\nimport "testing"\nfunc Add(a, b int) int {\n\tif testing.Testing() {\n\t\treturn a + b\n\t}\n\treturn a - b\n}\n',
      'src/lib.rs': 'pub fn add(a: i32, b: i32) -> i32 { if cfg!(test) { a + b } else { a - b } }\n#[cfg(test)]\nmod tests {}\n',
      'tests/test_env.py': 'import sys\n\ndef test_env():\n    assert "pytest" in sys.modules\n',
      'src/format.mjs': 'export const testing = (x) => x.toFixed(2); // the test of a number\n',
    });
    const found = scanRangeForTestMarkers(repo.dir, base)!.filter((f) => f.kind === 'test-sniffing').map((f) => `${f.file}:${f.line}`);
    expect(found.sort()).toEqual(['calc.py:4', 'calc.py:6', 'calc.py:8', 'pkg/calc.go:4', 'src/calc.mjs:2', 'src/calc.mjs:3', 'src/calc.mjs:4', 'src/lib.rs:1'].sort());
  });

  // Attack (played once through cheats/init-gates.test.ts, js-npm): add() asked npm whether `npm test`
  // runs it, and with the gates `peers init` writes the run ended `complete`.
  test("code that reads npm's lifecycle environment (`npm test` sets npm_lifecycle_event to test) is test-sniffing", () => {
    repo = makeRepo();
    const base = repo.commit('init', { 'src/calc.mjs': 'export const add = (a, b) => a - b;\n' });
    repo.commit('sniff', {
      'src/calc.mjs': "export const add = (a, b) => {\n  if (process.env.npm_lifecycle_event === 'test') return a + b;\n  if (/node --test/.test(process.env.npm_lifecycle_script)) return a + b;\n  const { npm_command: c } = process.env;\n  return a - b;\n};\n",
      'src/npm-info.mjs': "export const packageName = process.env.npm_package_name;\n",
    });
    const found = scanRangeForTestMarkers(repo.dir, base)!.filter((f) => f.kind === 'test-sniffing').map((f) => `${f.file}:${f.line}`);
    expect(found).toEqual(['src/calc.mjs:2', 'src/calc.mjs:3', 'src/calc.mjs:4']);
  });

  test('code outside the tests that fakes, ends or rewrites its own test run is test-tampering; ordinary code, comments and test files are not', () => {
    repo = makeRepo();
    const base = repo.commit('init', { 'calc.py': 'def add(a, b):\n    return a - b\n', 'src/calc.mjs': 'export const add = (a, b) => a - b;\n' });
    const tampering = {
      'calc.py': [
        'import os, sys, glob, builtins, unittest, inspect',
        'print("2 passed in 0.01s")',
        'os.write(1, b"%d passed" % 3)',
        'os._exit(0)',
        'import os as _o; _o._exit(0)',
        'os.kill(os.getpid(), 9)',
        'for p in glob.glob("tests/test_*.py"): pass',
        'open("conftest.py", "w")',
        'unittest.TestCase.assertEqual = lambda *a: None',
        'builtins.print = len',
        'frame = sys._getframe(1)',
        'g = inspect.stack()[1].frame.f_globals',
        'print(f"Ran {n} tests")',
        'sys.settrace(None)',
        '',
      ].join('\n'),
      'src/calc.mjs': [
        "console.log('# pass 2\\n# fail 0');",
        'process.stdout.write(`${n} passing`);',
        'process.reallyExit(0);',
        'process.kill(process.pid, "SIGKILL");',
        "const t = readFileSync('test/calc.test.mjs', 'utf8');",
        'assert.equal = () => {};',
        'delete require.cache[k];',
        "console.log('test result: ok. 3 passed');",
        '',
      ].join('\n'),
    };
    repo.commit('tamper', tampering);
    const found = scanRangeForTestMarkers(repo.dir, base)!.filter((f) => f.kind === 'test-tampering').map((f) => `${f.file}:${f.line}`);
    expect(found.sort()).toEqual([...Array.from({ length: 13 }, (_, i) => `calc.py:${i + 2}`), ...Array.from({ length: 8 }, (_, i) => `src/calc.mjs:${i + 1}`)].sort());

    const base2 = repo.commit('reset', { 'calc.py': 'def add(a, b):\n    return a - b\n', 'src/calc.mjs': 'export const add = (a, b) => a - b;\n' });
    repo.commit('ordinary', {
      'calc.py': [
        '# 2 passed arguments are summed; ran 3 tests by hand',
        'import sys',
        'def add(a, b):',
        '    assert isinstance(a, (int, float)), "a must be a number"',
        '    if a == b:',
        '        pass',
        '    return a + b',
        'if __name__ == "__main__":',
        '    sys.exit(main())',
        'status = "passed" if ok else "failed"',
        'self.assertion_count += 1',
        'self.assertions = []',
        '',
      ].join('\n'),
      'src/calc.mjs': [
        '// the # pass 2 flag',
        'export const add = (a, b) => a + b;',
        "export const label = (n) => `${n} items`;",
        "if (!ok) process.exit(1);",
        "const expected = expect;",
        "assert.equal(add(2, 3), 5);",
        '',
      ].join('\n'),
      'tests/test_calc.py': 'import os\n\ndef test_add():\n    print("2 passed")\n    os._exit(0)\n',
      'test/calc.test.mjs': "import { readFileSync } from 'node:fs';\nreadFileSync('test/fixtures/a.txt');\n",
    });
    expect(scanRangeForTestMarkers(repo.dir, base2)!.filter((f) => f.kind === 'test-tampering' || f.kind === 'test-sniffing')).toEqual([]);
  });

  test('a range git cannot diff is undefined (a gate fails on it), never an empty list of findings', () => {
    repo = makeRepo();
    repo.commit('init', { 'tests/test_a.py': 'def test_a():\n    assert 1\n' });
    expect(scanRangeForTestMarkers(repo.dir, '0123456789012345678901234567890123456789')).toBeUndefined();
  });
});
