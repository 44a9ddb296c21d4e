/**
 * The test-marker scan over `git diff -U0 -M` text, without git: each way a peer can silence a
 * test (skip, xfail, focus, comment out, delete, move out of the runner's reach) is caught, and
 * what is not a test is left alone. The diffs are written as git prints them.
 */
import { describe, expect, test } from 'bun:test';
import { formatMarkerFinding, scanDiffForTestMarkers, type MarkerFinding } from '../../../src/protocol/test-markers.ts';

/** One modified file in `git diff -U0` form: each hunk is [oldStart, newStart, lines]. */
function modified(path: string, ...hunks: Array<[number, number, string[]]>): string {
  const out = [`diff --git a/${path} b/${path}`, 'index 1111111..2222222 100644', `--- a/${path}`, `+++ b/${path}`];
  for (const [o, n, lines] of hunks) {
    const removed = lines.filter((l) => l.startsWith('-')).length;
    const added = lines.filter((l) => l.startsWith('+')).length;
    out.push(`@@ -${o}${removed === 1 ? '' : `,${removed}`} +${n}${added === 1 ? '' : `,${added}`} @@`, ...lines);
  }
  return out.join('\n');
}

function deleted(path: string, lines: string[]): string {
  return [`diff --git a/${path} b/${path}`, 'deleted file mode 100644', 'index 1111111..0000000', `--- a/${path}`, '+++ /dev/null', `@@ -1,${lines.length} +0,0 @@`, ...lines.map((l) => `-${l}`)].join('\n');
}

function renamed(from: string, to: string, hunk?: [number, number, string[]]): string {
  const out = [`diff --git a/${from} b/${to}`, `similarity index ${hunk ? 90 : 100}%`, `rename from ${from}`, `rename to ${to}`];
  if (hunk) out.push('index 1111111..2222222 100644', `--- a/${from}`, `+++ b/${to}`, `@@ -${hunk[0]},0 +${hunk[1]} @@`, ...hunk[2]);
  return out.join('\n');
}

const scan = (...files: string[]) => scanDiffForTestMarkers(`${files.join('\n')}\n`);
const keys = (found: MarkerFinding[]) => found.map((f) => `${f.file}:${f.line}:${f.kind}`);

describe('a skipped, expected-to-fail or focused test is caught, with its kind', () => {
  test('python: pytest.skip() and pytest.xfail() calls, unittest.expectedFailure', () => {
    const found = scan(modified('tests/test_a.py', [3, 4, ['+    pytest.skip("later")', '+    pytest.xfail("known")', '+@unittest.expectedFailure']]));
    expect(keys(found)).toEqual(['tests/test_a.py:4:skip', 'tests/test_a.py:5:xfail', 'tests/test_a.py:6:xfail']);
    expect(found[0]!.text).toBe('pytest.skip("later")');
  });

  test('js: a todo is a skip; fit and fdescribe focus like .only', () => {
    const found = scan(modified('src/a.test.ts', [1, 1, ["+test.todo('later')", "+fit('one', () => {});", "+fdescribe('all', () => {});"]]));
    expect(keys(found)).toEqual(['src/a.test.ts:1:skip', 'src/a.test.ts:2:only', 'src/a.test.ts:3:only']);
  });

  test('markers in a file no runner loads (docs, data) are not findings', () => {
    expect(scan(modified('README.md', [1, 1, ["+Use `it.only('x')` to focus a test; never commit it."]]), modified('tests/notes.txt', [1, 1, ['+@pytest.mark.skip']]))).toEqual([]);
  });

  test('the line numbers follow each hunk of the new file', () => {
    const found = scan(modified('src/a.test.ts', [2, 2, ["+it.skip('a', () => {});"]], [10, 11, ['-const x = 1;', "+xit('b', () => {});", "+it.only('c', () => {});"]]));
    expect(keys(found)).toEqual(['src/a.test.ts:2:skip', 'src/a.test.ts:11:skip', 'src/a.test.ts:12:only']);
  });
});

describe('a removed test is caught unless it came back', () => {
  test('a removed JS test is a deletion even when another test is added in its place', () => {
    const found = scan(modified('src/b.spec.ts', [2, 2, ["-it('rejects a bad token', () => {", "+it('accepts anything', () => {"]]));
    expect(keys(found)).toEqual(['src/b.spec.ts:2:deleted-test']);
    expect(found[0]!.text).toBe("removed it('rejects a bad token', () => {");
  });

  test('turning an it() into a describe() of the same name is still a deletion of the test', () => {
    expect(keys(scan(modified('src/b.spec.ts', [2, 2, ["-it('parses', () => {", "+describe('parses', () => {"]])))).toEqual(['src/b.spec.ts:2:deleted-test']);
  });

  test('a re-focused or re-skipped test is a marker, not a deletion', () => {
    expect(keys(scan(modified('src/b.spec.ts', [2, 2, ["-it('parses', () => {", "+it.skip('parses', () => {"]])))).toEqual(['src/b.spec.ts:2:skip']);
  });

  test('a removed Go test and a removed Rust test function are deletions', () => {
    const found = scan(modified('pkg/a_test.go', [2, 1, ['-func TestParse(t *testing.T) {']]), modified('src/lib.rs', [7, 6, ['-    fn test_roundtrip() {']]));
    expect(keys(found)).toEqual(['pkg/a_test.go:2:deleted-test', 'src/lib.rs:7:deleted-test']);
  });

  test('a removed Rust test in a tests/ folder is a deletion whatever the function is called', () => {
    expect(keys(scan(modified('tests/parse.rs', [3, 2, ['-fn roundtrip() {']])))).toEqual(['tests/parse.rs:3:deleted-test']);
  });

  test('a test_ function removed from a source file (not a test path) is still a deletion', () => {
    expect(keys(scan(modified('src/helpers.py', [5, 4, ['-def test_helper_parses():']])))).toEqual(['src/helpers.py:5:deleted-test']);
  });

  test('a Rust-looking line in a Python code generator is not a test', () => {
    expect(scan(modified('src/gen.py', [5, 4, ['-fn test_roundtrip() {']]))).toEqual([]);
  });

  test('a deleted test file is one finding; a deleted source file is none', () => {
    const found = scan(deleted('tests/test_old.py', ['def test_old():', '    assert 1']), deleted('src/old.py', ['def test_like():', '    return 1']));
    expect(found).toEqual([{ file: 'tests/test_old.py', line: 0, kind: 'deleted-test-file', text: 'test file tests/test_old.py deleted' }]);
  });
});

describe('a test moved out of the runner\'s reach is as good as deleted', () => {
  test('renaming a test to a name no runner loads is a deletion of the test file', () => {
    expect(scan(renamed('test/calc.test.mjs', 'test/calc.test.mjs.off'))).toEqual([
      { file: 'test/calc.test.mjs', line: 0, kind: 'deleted-test-file', text: "test file test/calc.test.mjs moved out of the runner's reach (to test/calc.test.mjs.off)" },
    ]);
  });

  test('a test moved into a folder whose name contains " b/" is reported under its own path', () => {
    expect(keys(scan(renamed('test/calc.test.mjs', 'old b/calc.mjs')))).toEqual(['test/calc.test.mjs:0:deleted-test-file']);
  });

  test('renaming a test to another test path is not a finding; a skip added while renaming is reported in the new file', () => {
    expect(scan(renamed('test/a.test.ts', 'test/b.test.ts'))).toEqual([]);
    expect(keys(scan(renamed('test/a.test.ts', 'test/b.test.ts', [3, 4, ["+it.skip('x', () => {});"]])))).toEqual(['test/b.test.ts:4:skip']);
  });
});

describe('a finding as the prompt and the report print it', () => {
  test('file, line, kind and the text cut at 160 characters; a whole-file finding has no line', () => {
    const long = `it.skip('${'x'.repeat(200)}')`;
    expect(formatMarkerFinding({ file: 'src/a.test.ts', line: 7, kind: 'skip', text: long })).toBe(`src/a.test.ts:7: skip: ${long.slice(0, 160)}`);
    expect(formatMarkerFinding({ file: 'test/old.test.ts', line: 0, kind: 'deleted-test-file', text: 'test file test/old.test.ts deleted' })).toBe('test/old.test.ts: deleted-test-file: test file test/old.test.ts deleted');
  });
});

describe('a huge added line (SECURITY.md, "Peer text outside the sandbox is inert": sizes)', () => {
  // Each sniffing rule of the form A.*B backtracked from every A to the line's end, in time that
  // grows with the square of the line: 720 KB of `NODE_ENV ` took 70 s, this 410 KB line 6 s (over
  // the time limit), a 10 MB one hours while the loop waited. The old scan also kept the whole line as the finding.
  test('a 400 KB line of sniffing words is scanned at once; a pair far apart is still found; the finding is a line, not 400 KB', () => {
    const filler = 'NODE_ENV sys.argv process.argv RAILS_ENV '.repeat(10_000);
    const [f] = scanDiffForTestMarkers(modified('src/app.ts', [1, 1, [`+${filler} if (x === "test") {}`]]));
    expect(f).toMatchObject({ file: 'src/app.ts', line: 1, kind: 'test-sniffing' });
    expect(f!.text.length).toBeLessThan(500);
    expect(f!.text).toMatch(/ … \(\d+ more characters elided, sha256 [0-9a-f]{16}\)$/);
    expect(scanDiffForTestMarkers(modified('src/app.ts', [1, 1, [`+${filler}`]]))).toEqual([]);
  }, 5_000);

  test('400 KB lines built against each test-tampering rule are scanned at once, and a real one at the end is still found', () => {
    const fillers = ['assert.a', 'kill(', '"${', '"1 ', '"{x} ', 'from a import ', '.assertx', "'Ran ${"].map((unit) => unit.repeat(Math.ceil(400_000 / unit.length)));
    for (const filler of fillers) {
      expect(scanDiffForTestMarkers(modified('src/app.py', [1, 1, [`+${filler}`]])).map((f) => f.kind), filler.slice(0, 12)).not.toContain('test-sniffing');
      const [f] = scanDiffForTestMarkers(modified('src/app.py', [1, 1, [`+${filler} ; os._exit(0)`]]));
      expect(f?.kind, filler.slice(0, 12)).toBe('test-tampering');
    }
  }, 5_000);

  test('two huge lines that differ only past the cut stay two findings', () => {
    const a = `it.skip('x', () => {}); ${'a'.repeat(1000)}`;
    const found = scanDiffForTestMarkers(modified('src/a.test.ts', [1, 1, [`+${a}1`, `+${a}2`]]));
    expect(found.length).toBe(2);
    expect(found[0]!.text).not.toBe(found[1]!.text);
  });
});

describe('skip markers of every runner the projects use', () => {
  const kindOf = (path: string, line: string) => scan(modified(path, [1, 1, [`+${line}`]])).map((f) => f.kind);
  test('node:test options and context, mocha, Go, Rust, JUnit, NUnit and xUnit', () => {
    const skipped: Array<[string, string]> = [
      ['test/a.test.mjs', "test('adds', { skip: true }, () => {});"],
      ['test/a.test.mjs', "test('adds', { skip: process.env.CI }, () => {});"],
      ['test/a.test.mjs', "  { skip: 'later' },"],
      ['test/a.test.mjs', "test('adds', { todo: true }, () => {});"],
      ['test/a.test.mjs', "test('adds', (t) => { t.skip(); });"],
      ['test/a.test.mjs', "test('adds', (t) => { t.todo('later'); });"],
      ['test/a.spec.js', "it('adds', function () { this.skip(); });"],
      ['pkg/a_test.go', '\tt.Skip("flaky")'],
      ['pkg/a_test.go', '\tb.Skipf("x %d", 1)'],
      ['src/lib.rs', '#[ignore = "slow"]'],
      ['src/test/java/CalcTest.java', '    @Disabled("later")'],
      ['src/test/java/CalcTest.java', '    @Ignore'],
      ['src/test/java/CalcTest.java', '    @DisabledOnOs(OS.LINUX)'],
      ['Calc.Tests/CalcTests.cs', '    [Ignore("x")]'],
      ['Calc.Tests/CalcTests.cs', '    [Fact(Skip = "x")]'],
    ];
    for (const [path, line] of skipped) expect([path, line, kindOf(path, line)]).toEqual([path, line, ['skip']]);
    expect(kindOf('test/a.test.mjs', "test('adds', { only: true }, () => {});")).toEqual(['only']);
  });

  test('pagination and options in the product, and options that leave the test on, are not markers', () => {
    for (const [path, line] of [
      ['src/db.js', 'const rows = query.skip(10).limit(5);'],
      ['src/db.js', 'const opts = { skip: true, limit: 10 };'],
      ['src/Repo.cs', 'var page = items.Skip(10).Take(5);'],
      ['test/a.test.mjs', "test('adds', { skip: false, timeout: 5 }, () => {});"],
    ]) expect(kindOf(path!, line!)).toEqual([]);
  });
});
