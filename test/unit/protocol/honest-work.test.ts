/**
 * Honest work must not be held: the defences against dishonest peers (SECURITY.md, "Done means
 * done" and "Collaboration protocol") played against what honest peers commit on real-shaped
 * projects. Each trial is a pure rule fed what an honest turn produces: translations in scripts
 * written with invisible marks, ordinary commit messages, a refactor that moves tests with their
 * pre-existing skips, documentation outside `docs/`. Each rule's attack tests live beside it
 * (trojan-source.test.ts, test-markers.test.ts, soft-reviews.test.ts, capped-records.test.ts).
 */
import { describe, expect, test } from 'bun:test';
import { commitControl, firstControl } from '../../../src/git/history-controls.ts';
import { filterLines } from '../../../src/git/checkout-risks.ts';
import { scanDiffForTestMarkers } from '../../../src/protocol/test-markers.ts';
import { trojanSourceReason } from '../../../src/protocol/trojan-source.ts';
import { changesWhatVotesRead } from '../../../src/protocol/soft-reviews.ts';
import { isSupportPath } from '../../../src/protocol/surface-imports.ts';
import { branchesOnLiteral, partialFileDiff, splitPatch } from '../../../src/protocol/review-excerpt.ts';

const trojan = (line: string, file: string, n = 3) => trojanSourceReason(line, file, n);

describe('translations and text in other scripts are not Trojan source', () => {
  test('Hebrew and Arabic strings with the bidi marks their typography needs (LRM, RLM, ALM) in translation files', () => {
    expect(trojan('  "price": "\u05d4\u05de\u05d7\u05d9\u05e8: 100%\u200f",', 'locales/he.json')).toBeUndefined();
    expect(trojan('msgstr "\u0627\u0644\u0633\u0639\u0631: 50 \u200f\u0631.\u0633"', 'locale/ar/LC_MESSAGES/django.po')).toBeUndefined();
    expect(trojan('greeting=\u0645\u0631\u062d\u0628\u0627 \u061c(%s)', 'src/main/resources/messages_ar.properties')).toBeUndefined();
    expect(trojan('  <string name="ok">\u200e\u05d0\u05d9\u05e9\u05d5\u05e8</string>', 'app/src/main/res/values-iw/strings.xml')).toBeUndefined();
    expect(trojan('save: "\u05e9\u05de\u05d5\u05e8 \u200eCtrl+S\u200e"', 'config/locales/he.yml')).toBeUndefined();
  });

  test('Persian and Hindi with the joiners their spelling needs (ZWNJ, ZWJ), Thai with word-break spaces, German with soft hyphens', () => {
    expect(trojan('  "want": "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",', 'locales/fa.json')).toBeUndefined();
    expect(trojan('  "ksha": "\u0915\u094d\u200d\u0937",', 'src/i18n/hi.json')).toBeUndefined();
    expect(trojan('  "welcome": "\u0e22\u0e34\u0e19\u0e14\u0e35\u200b\u0e15\u0e49\u0e2d\u0e19\u0e23\u0e31\u0e1a",', 'public/locales/th/common.json')).toBeUndefined();
    expect(trojan('msgstr "Donau\u00addampf\u00adschiff\u00adfahrt"', 'po/de.po')).toBeUndefined();
  });

  test('an emoji ZWJ sequence, a byte-order mark, CRLF line ends and a page break pass anywhere', () => {
    expect(trojan("  label: '\u{1f469}\u200d\u{1f4bb} developer',", 'src/labels.ts')).toBeUndefined();
    expect(trojan('\ufeffimport os', 'tool.py', 1)).toBeUndefined();
    expect(trojan('def add(a, b):\r', 'calc.py')).toBeUndefined();
    expect(trojan('\f', 'calc.py')).toBeUndefined();
    expect(trojan('greeting = "\u4f60\u597d\uff0c\u4e16\u754c"', 'hello.py')).toBeUndefined();
    expect(trojan('msg = "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440"', 'hello.py')).toBeUndefined();
  });

  test('what stays refused: the same marks in code, in an all-Latin line of data, and bidi controls in a translation', () => {
    expect(trojan('export function add\u200c(a, b) { return a - b; }', 'src/calc.mjs')).toContain('U+200C');
    expect(trojan('  "admin\u200b": true,', 'config/roles.json')).toContain('U+200B');
    expect(trojan('  "2,3\u200f": 5,', 'src/answers.json')).toContain('U+200F');
    expect(trojan('  "price": "\u05de\u05d7\u05d9\u05e8 \u202e5 = 3\u202c",', 'locales/he.json')).toContain('U+202E');
    expect(trojan('  "x": "\u05d0 \u2067b\u2069",', 'locales/he.json')).toContain('U+2067');
    expect(trojan('msgstr "\u05e9\u05dc\u05d5\u05dd\x1b[2K"', 'po/he.po')).toContain('U+001B');
  });
});

describe('honest commit messages pass the control-character rule', () => {
  const message = (m: string) => commitControl({ message: m, authorName: 'Zo\u00eb \u0645\u0631\u064a\u0645', authorEmail: 'z@example.test', committerName: 'Zo\u00eb', committerEmail: 'z@example.test' });
  test('a TAB, an emoji ZWJ sequence, non-ASCII co-authors, revert, cherry-pick -x and fixup messages', () => {
    expect(message('Align columns\n\n\tname\tvalue\n\tadd\t1\n')).toBeUndefined();
    expect(message('\u{1f469}\u200d\u{1f4bb} Docs: who maintains what\n')).toBeUndefined();
    expect(message('Fix add()\n\nCo-authored-by: Jos\u00e9 N\u00fa\u00f1ez <jose@example.test>\nCo-authored-by: \u5f20\u4f1f <zw@example.test>\nCo-authored-by: \u05d3\u05e0\u05d4 \u200f<dana@example.test>\n')).toBeUndefined();
    expect(message('Revert "Fix add()"\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.\n')).toBeUndefined();
    expect(message('Fix add()\n\n(cherry picked from commit 0123456789abcdef0123456789abcdef01234567)\n')).toBeUndefined();
    expect(message('fixup! Fix add()\n')).toBeUndefined();
    expect(message('Fix add()\r\n\r\nWritten on Windows.\r\n')).toBeUndefined();
  });

  test('a form feed alone on its line (a page break, as GNU-style messages use) passes; inside a line it stays refused', () => {
    expect(message('Fix add()\n\f\nChangeLog entry follows.\n')).toBeUndefined();
    expect(firstControl('visible\fhidden')).toBe('U+000C');
    expect(firstControl('ok\x1b]52;c;aGk=\x07')).toBe('U+001B');
  });
});

describe('a refactor that moves tests with their pre-existing skips adds no marker', () => {
  const moved = [
    'diff --git a/calc_test.go b/calc_test.go',
    '--- a/calc_test.go',
    '+++ b/calc_test.go',
    '@@ -10,6 +9,0 @@',
    '-func TestSlowSum(t *testing.T) {',
    '-\tif testing.Short() {',
    '-\t\tt.Skip("slow")',
    '-\t}',
    '-\tcheck(t)',
    '-}',
    'diff --git a/pkg/calc/sum_test.go b/pkg/calc/sum_test.go',
    'new file mode 100644',
    '--- /dev/null',
    '+++ b/pkg/calc/sum_test.go',
    '@@ -0,0 +1,9 @@',
    '+package calc',
    '+',
    '+func TestSlowSum(t *testing.T) {',
    '+\tif testing.Short() {',
    '+\t\tt.Skip("slow")',
    '+\t}',
    '+\tcheck(t)',
    '+}',
    '',
  ].join('\n');
  test('a Go test moved to another file with its `t.Skip` under testing.Short()', () => {
    expect(scanDiffForTestMarkers(moved)).toEqual([]);
  });

  test('a pytest test split into another module with its skipif decorator', () => {
    const diff = [
      'diff --git a/tests/test_calc.py b/tests/test_calc.py',
      '--- a/tests/test_calc.py',
      '+++ b/tests/test_calc.py',
      '@@ -20,3 +19,0 @@',
      '-@pytest.mark.skipif(sys.platform == "win32", reason="no fork")',
      '-def test_parallel_sum():',
      '-    assert psum([1, 2]) == 3',
      'diff --git a/tests/test_parallel.py b/tests/test_parallel.py',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/tests/test_parallel.py',
      '@@ -0,0 +1,3 @@',
      '+@pytest.mark.skipif(sys.platform == "win32", reason="no fork")',
      '+def test_parallel_sum():',
      '+    assert psum([1, 2]) == 3',
      '',
    ].join('\n');
    expect(scanDiffForTestMarkers(diff)).toEqual([]);
  });

  test('what stays refused: the same skip line moved onto another test, or a skip added beside a moved one', () => {
    const onto = moved.replace('+func TestSlowSum(t *testing.T) {', '+func TestAdd(t *testing.T) {');
    expect(scanDiffForTestMarkers(onto).map((f) => f.kind)).toContain('skip');
    const twice = moved.replace('+\tcheck(t)', '+\tt.Skip("slow")\n+\tcheck(t)').replace('@@ -0,0 +1,9 @@', '@@ -0,0 +1,10 @@');
    expect(scanDiffForTestMarkers(twice).filter((f) => f.kind === 'skip')).toHaveLength(1);
  });

  test('a JS `it.skip` moved to another file after another test', () => {
    const diff = [
      'diff --git a/test/calc.test.js b/test/calc.test.js',
      '--- a/test/calc.test.js',
      '+++ b/test/calc.test.js',
      '@@ -9,3 +8,0 @@',
      "-it.skip('sums a million numbers', () => {",
      '-  expect(sumAll(big)).toBe(total);',
      '-});',
      'diff --git a/test/sum.test.js b/test/sum.test.js',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/test/sum.test.js',
      '@@ -0,0 +1,6 @@',
      "+it('sums two numbers', () => {",
      '+  expect(sumAll([1, 2])).toBe(3);',
      '+});',
      "+it.skip('sums a million numbers', () => {",
      '+  expect(sumAll(big)).toBe(total);',
      '+});',
      '',
    ].join('\n');
    expect(scanDiffForTestMarkers(diff)).toEqual([]);
    expect(scanDiffForTestMarkers(diff.replace("+it.skip('sums a million numbers'", "+it.skip('sums two numbers'")).map((f) => f.kind)).toContain('skip');
  });

  test('a formatter that respaces a pre-existing skipif decorator in place (the test it marks untouched)', () => {
    const diff = [
      'diff --git a/tests/test_calc.py b/tests/test_calc.py',
      '--- a/tests/test_calc.py',
      '+++ b/tests/test_calc.py',
      '@@ -20 +20 @@',
      "-@pytest.mark.skipif(sys.platform=='win32', reason='no fork')",
      "+@pytest.mark.skipif(sys.platform == 'win32', reason='no fork')",
      '@@ -31,0 +31 @@',
      "+@pytest.mark.skipif(sys.platform == 'win32', reason='no fork')",
      '',
    ].join('\n');
    // The respaced line is no marker; the same decorator added in another hunk (another test) is one.
    expect(scanDiffForTestMarkers(diff).map((f) => [f.kind, f.line])).toEqual([['skip', 31]]);
  });

  test('a JS test written with it.each is no marker', () => {
    const diff = ['diff --git a/test/status.test.js b/test/status.test.js', '--- a/test/status.test.js', '+++ b/test/status.test.js', '@@ -1,0 +2,3 @@', "+it.each([[200, 'OK'], [404, 'Not Found']])('names %i', (code, name) => {", '+  expect(reason(code)).toBe(name);', '+});', ''].join('\n');
    expect(scanDiffForTestMarkers(diff)).toEqual([]);
  });
});

describe('prose outside the top directory and docs/ does not void votes', () => {
  test('a documentation site under website/ or documentation/', () => {
    expect(changesWhatVotesRead(['website/docs/intro.md'])).toBe(false);
    expect(changesWhatVotesRead(['website/blog/2026-12-06-release.md'])).toBe(false);
    expect(changesWhatVotesRead(['documentation/guide.rst'])).toBe(false);
  });
  test('what stays refused: a document by name elsewhere, which code may read as data (a sub-package README included: recorded, not narrowed)', () => {
    expect(changesWhatVotesRead(['packages/parser/README.md'])).toBe(true);
    expect(changesWhatVotesRead(['src/answers.txt'])).toBe(true);
    expect(changesWhatVotesRead(['src/known-sums.md'])).toBe(true);
    expect(changesWhatVotesRead(['requirements.txt'])).toBe(true);
  });
});

describe('checkout risks at publishing leave harmless attributes alone', () => {
  test('text=auto, eol, linguist-* and diff drivers set no filter', () => {
    expect([...filterLines('* text=auto eol=lf\n*.png binary\ndist/** linguist-generated=true\ndocs/** linguist-documentation\n*.ipynb diff=jupyternotebook\n')]).toEqual([]);
  });
});

describe('imports of test-support code', () => {
  test('a product package is not support because it imports nothing from a test framework (recorded: scripts/ and tools/ stay support by path)', () => {
    expect(isSupportPath('src/calc/core.py')).toBe(false);
    expect(isSupportPath('scripts/release.py')).toBe(true);
  });
});

describe('an honest lookup table in a diff too large to show whole', () => {
  test('its rows come first, and the reviewer is told they are table rows or branches, not that each one branches', () => {
    const rows = Object.entries({ 200: 'OK', 201: 'Created', 301: 'Moved Permanently', 404: 'Not Found', 500: 'Internal Server Error' });
    const lines = ['export const STATUS_TEXT = {', ...rows.map(([k, v]) => `  ${k}: '${v}',`), '};', ...Array.from({ length: 300 }, (_, i) => `export const unit${i} = (x) => x * ${i};`)];
    const patch = [`diff --git a/src/status.mjs b/src/status.mjs`, '--- a/src/status.mjs', '+++ b/src/status.mjs', `@@ -1,0 +1,${lines.length} @@`, ...lines.map((l) => `+${l}`), ''].join('\n');
    expect(branchesOnLiteral("  404: 'Not Found',")).toBe(true);
    const part = partialFileDiff(splitPatch(patch)[0]!, 2_000)!;
    expect(part.text).toContain("+  404: 'Not Found',");
    expect(part.text).toContain('a row of a lookup table');
  });
});

describe('helpers a product names so (recorded, not narrowed)', () => {
  test('a product module named helpers.py, or a product package under scripts/, is test-support by its name: its changes need another peer to approve them', () => {
    expect(isSupportPath('myapp/helpers.py')).toBe(true);
    expect(isSupportPath('scripts/mytool/core.py')).toBe(true);
  });
});
