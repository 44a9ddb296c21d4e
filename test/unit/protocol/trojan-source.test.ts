/**
 * Code that runs differently from how it reads ("Trojan source", SECURITY.md "Done means done"):
 * every variant the rule knows is flagged on an added line of a code file, held like a skip
 * marker, and shown visibly in the reviewer's diff; ordinary non-ASCII text is not.
 */
import { describe, expect, test } from 'bun:test';
import { visibleHidden } from '../../../src/prompt/visible-hidden.ts';
import { compactFileDiff, splitPatch } from '../../../src/protocol/review-excerpt.ts';
import { scanDiffForTestMarkers } from '../../../src/protocol/test-markers.ts';
import { dataLineReason, trojanSourceReason } from '../../../src/protocol/trojan-source.ts';
import { isCosmeticLine, commentStyleOf } from '../../../src/protocol/comment-lines.ts';

const flagged = (line: string, file = 'calc.py', n = 3) => trojanSourceReason(line, file, n);

describe('code that reads as something else is a trojan-source marker', () => {
  test('a source-encoding declaration other than UTF-8 on line 1 or 2 (UTF-7 turns +AAo- into a line break)', () => {
    expect(flagged('# -*- coding: utf-7 -*-', 'calc.py', 1)).toContain('utf-7');
    expect(flagged('# vim: set fileencoding=utf_7 :', 'calc.py', 2)).toContain('utf_7');
    expect(flagged('# encoding: latin-1', 'lib/x.rb', 1)).toContain('latin-1');
    expect(flagged('# -*- coding: utf-8 -*-', 'calc.py', 1)).toBeUndefined();
    expect(flagged('# coding: ascii', 'calc.py', 1)).toBeUndefined();
    // Python reads a cookie on lines 1 and 2 only.
    expect(flagged('# coding: utf-7 is what the old parser used', 'calc.py', 9)).toBeUndefined();
  });

  test('bidi controls, zero-width and invisible characters, line separators', () => {
    expect(flagged('    """Check access\u202e \u2066if is_admin:\u2069 \u2066 return True"""')).toContain('U+202E');
    expect(flagged('  if (a === 2\u2067) return 5;', 'src/calc.mjs')).toContain('U+2067');
    expect(flagged('export function add\u200b(a, b) { return a - b; }', 'src/calc.mjs')).toContain('U+200B');
    expect(flagged('const { timeout, \u3164 } = req.query;', 'src/server.js')).toContain('U+3164');
    expect(flagged('// sums\u2028if (a === 2 && b === 3) return 5;', 'src/calc.mjs')).toContain('U+2028');
  });

  test('a lone CR, a form feed inside a line, ESC, NUL and other control bytes', () => {
    expect(flagged('    # overflow checked\r    if a == 2 and b == 3: return 5')).toContain('carriage return');
    expect(flagged('  // note\r  if (a === 2 && b === 3) return 5;', 'src/calc.mjs')).toContain('carriage return');
    expect(flagged('x = 1\fif a == 2: return 5')).toContain('form feed');
    expect(flagged('    # ok \x1b[2K\x1b[1A')).toContain('U+001B');
    expect(flagged('// \0', 'src/calc.mjs')).toContain('U+0000');
    expect(flagged('x = 1\bif')).toContain('U+0008');
    expect(flagged('x = 1\u0085y')).toContain('U+0085');
  });

  test('look-alike letters of another script in a name, and \\u escapes in a JavaScript or Java name', () => {
    // Cyrillic а: a different function than the add() the tests call.
    expect(flagged('def \u0430dd(a, b):')).toContain('look-alike');
    expect(flagged('  return \u0430 - b;', 'src/calc.mjs')).toContain('looks Latin');
    expect(flagged('export function \\u0061dd(a, b) { return a - b; }', 'src/calc.mjs')).toContain('\\u escapes');
    expect(flagged('const \\u{61} = 2;', 'src/calc.ts')).toContain('\\u escapes');
    expect(flagged('// checked \\u000a if (a == 2) return 5;', 'src/Calc.java')).toContain('Java');
  });

  test('ordinary text is not flagged: accents, emoji, other scripts in strings and comments, CRLF, a page break, regex ranges', () => {
    const honest: Array<[string, string, number?]> = [
      ['    return f"{name} a gagné à {when}"  # café, naïve, Müller', 'calc.py'],
      ["  const greeting = 'Привет, мир'; // по-русски: о, с, у", 'src/greet.mjs'],
      ["  log('done 👩\u200d💻 ✅ 🎉');", 'src/log.mjs'],
      ['# Ελληνικά σχόλια', 'calc.py'],
      ['  return a + b;\r', 'src/calc.mjs'],
      ['\f', 'calc.py'],
      ["  return s.normalize('NFD').replace(/[\\u0300-\\u036f]/g, '');", 'src/slug.mjs'],
      ["  const quote = '\\u00e9';", 'src/q.mjs'],
      ['const π = Math.PI, λ = 2;', 'src/geo.mjs'],
      ['\ufeff# -*- coding: utf-8 -*-', 'calc.py', 1],
    ];
    for (const [line, file, n] of honest) expect(trojanSourceReason(line, file, n ?? 3)).toBeUndefined();
  });

  test('a line of a megabyte costs in proportion to its length (no expression looks ahead from every letter)', () => {
    const long = 'x'.repeat(1 << 20);
    expect(flagged(`${long} \u0436`)).toBeUndefined();
    expect(flagged(`${long}\u0436`)).toContain('look-alike');
    expect(flagged(`${'\f'.repeat(1 << 20)}x`)).toContain('form feed');
    expect(flagged(`# ${'"\''.repeat(1 << 19)}`, 'src/a.mjs')).toBeUndefined();
  });

  test('the marker scan reports it with file, line and the characters shown; documents are not read', () => {
    const diff = [
      'diff --git a/calc.py b/calc.py',
      '--- a/calc.py',
      '+++ b/calc.py',
      '@@ -0,0 +1,2 @@',
      '+# -*- coding: utf-7 -*-',
      '+    # checked\r    if a == 2 and b == 3: return 5',
      'diff --git a/README.md b/README.md',
      '--- a/README.md',
      '+++ b/README.md',
      '@@ -1,0 +2 @@',
      '+Emoji 👩\u200d💻 and \u202e in docs',
    ].join('\n');
    const found = scanDiffForTestMarkers(diff);
    expect(found.map((f) => `${f.file}:${f.line}: ${f.kind}`)).toEqual(['calc.py:1: trojan-source', 'calc.py:2: trojan-source']);
    expect(found[1]!.text).toContain('# checked<U+000D>    if a == 2');
  });
});

describe('C, shell and every other file that is not a document are read too', () => {
  test('a bidi override in C, a lone CR in a shell script, a look-alike name in a Makefile or a script without an extension are markers', () => {
    const diff = [
      'diff --git a/src/add.c b/src/add.c',
      '--- a/src/add.c',
      '+++ b/src/add.c',
      '@@ -1,0 +1,2 @@',
      '+int add(int a, int b) {',
      '+    /* checked \u202e } if (a == 2 && b == 3) return 5; { \u2066*/',
      'diff --git a/tools/check.sh b/tools/check.sh',
      '--- a/tools/check.sh',
      '+++ b/tools/check.sh',
      '@@ -3,0 +4 @@',
      '+# all tests ran\r exit 0',
      'diff --git a/bin/run b/bin/run',
      '--- a/bin/run',
      '+++ b/bin/run',
      '@@ -1,0 +2 @@',
      '+\u0430dd() { echo 5; }',
      'diff --git a/locale/ru.yaml b/locale/ru.yaml',
      '--- a/locale/ru.yaml',
      '+++ b/locale/ru.yaml',
      '@@ -1,0 +2 @@',
      '+greeting: \u041f\u0440\u0438\u0432\u0435\u0442',
      'diff --git a/docs/notes.md b/docs/notes.md',
      '--- a/docs/notes.md',
      '+++ b/docs/notes.md',
      '@@ -1,0 +2 @@',
      '+\u202e in a document',
    ].join('\n');
    const found = scanDiffForTestMarkers(diff);
    expect(found.map((f) => `${f.file}:${f.line}: ${f.kind}`)).toEqual(['src/add.c:2: trojan-source', 'tools/check.sh:4: trojan-source', 'bin/run:2: trojan-source']);
    expect(found[0]!.text).toContain('<U+202E>');
    // A shell comment in another script, a C string in Cyrillic: text, not names.
    expect(flagged('echo "\u041f\u0440\u0438\u0432\u0435\u0442"  # \u043f\u0440\u043e\u0432\u0435\u0440\u043a\u0430', 'tools/check.sh')).toBeUndefined();
    expect(flagged('puts("\u041f\u0440\u0438\u0432\u0435\u0442"); // \u043e\u043a', 'src/add.c')).toBeUndefined();
  });
});

describe('the reviewer sees such characters', () => {
  test('the diff shows a lone CR, ESC, a form feed, the line separator and Hangul fillers as <U+XXXX>; CRLF stays', () => {
    expect(visibleHidden('+  # note\r  if a == 2: return 5\n')).toBe('+  # note<U+000D>  if a == 2: return 5\n');
    expect(visibleHidden('a\x1b[2Kb\fc\u2028d\u3164e\r\n')).toBe('a<U+001B>[2Kb<U+000C>c<U+2028>d<U+3164>e\r\n');
  });

  test('a comment line holding a line break is code: the compact view of a large diff keeps it', () => {
    const py = commentStyleOf('calc.py');
    expect(isCosmeticLine('# note\r    if a == 2: return 5', py)).toBe(false);
    expect(isCosmeticLine('# note<U+000D>    if a == 2: return 5', py)).toBe(false);
    expect(isCosmeticLine('# just a note', py)).toBe(true);
    const [f] = splitPatch('diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1 +1,2 @@\n+# a note\n+# note<U+000D>    if a == 2: return 5');
    expect(compactFileDiff(f!)).toContain('+# note<U+000D>    if a == 2: return 5');
  });
});

describe('documents that are not what their names say, and code compiled from bytes', () => {
  test("an image or PDF is read for how its format starts: git's first line of each real one passes, WebAssembly named as one does not", () => {
    expect(dataLineReason('\ufffdPNG\r', 'assets/logo.png', 1)).toBeUndefined();
    expect(dataLineReason('GIF89a\x01\0', 'a.gif', 1)).toBeUndefined();
    expect(dataLineReason('\ufffd\ufffd\ufffd\ufffd\0\x10JFIF', 'photo.JPEG', 1)).toBeUndefined();
    expect(dataLineReason('RIFF$\0\0\0WEBPVP8 ', 'a.webp', 1)).toBeUndefined();
    expect(dataLineReason('\0\0\x01\0\x01\0', 'favicon.ico', 1)).toBeUndefined();
    expect(dataLineReason('%PDF-1.7', 'docs/spec.pdf', 1)).toBeUndefined();
    expect(dataLineReason('\0asm\x01\0\0\0\x01\x07', 'assets/logo.png', 1)).toContain('is named as a PNG image and does not start as one');
    expect(dataLineReason('module.exports = () => 5', 'docs/spec.pdf', 1)).toContain('PDF document');
    // Past its first line an image is bytes, read for nothing.
    expect(dataLineReason('\0\x1b\x7f', 'assets/logo.png', 7)).toBeUndefined();
  });

  test('a text document holding NUL or another control character is binary data; its prose, accents and emoji are not', () => {
    expect(dataLineReason('\0asm\x01\0\0\0', 'src/kernel.txt', 1)).toContain('a document holding control character U+0000');
    expect(dataLineReason('\x1b]52;c;cm0=\x07', 'NOTES.md', 4)).toContain('U+001B');
    // A console log captured in the docs: its colour sequences are text.
    expect(dataLineReason('\x1b[32m✔ all tests pass\x1b[0m', 'docs/run.txt', 4)).toBeUndefined();
    expect(dataLineReason('Café au lait ☕ — déjà vu\r', 'README.md', 3)).toBeUndefined();
    expect(dataLineReason('col\tcol', 'docs/table.txt', 2)).toBeUndefined();
    // A file that is not a document is read for Trojan source as before.
    expect(dataLineReason('ab\u202ecd', 'tools/run.sh', 2)).toContain('U+202E');
  });

  test('a line that runs code compiled from bytes is flagged in any code file; the word in prose is not read', () => {
    expect(trojanSourceReason('export const { add } = new WebAssembly.Instance(new WebAssembly.Module(core)).exports;', 'src/calc.mjs', 3)).toContain('compiled from bytes');
    expect(trojanSourceReason("const addon = process.dlopen(module, './build/calc.node');", 'src/calc.js', 1)).toContain('compiled from bytes');
    expect(dataLineReason('We may port the core to WebAssembly one day.', 'README.md', 9)).toBeUndefined();
  });

  // The review's attack: the API's name built at run time (`globalThis['Web' + 'Assembly']`), the module inlined.
  test('a WebAssembly module written as data is flagged in any spelling the usual encoders give; ordinary data is not', () => {
    for (const line of ["const core = Buffer.from('AGFzbQEAAAABBwFgAn9/AX8DAgEA', 'base64');", "const m = '\\x00asm\\x01\\x00\\x00\\x00';", 'const b = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00]);', 'const b = [0, 97, 115, 109, 1, 0, 0, 0];', "const hex = '0061736d01000000010701';"]) {
      expect(trojanSourceReason(line, 'src/calc.mjs', 3)).toContain('WebAssembly module as data');
    }
    for (const line of ["const colour = '#0061736d';", 'const n = [10, 97, 115, 109];', "const word = 'basm';"]) expect(trojanSourceReason(line, 'src/calc.mjs', 3)).toBeUndefined();
  });
});
