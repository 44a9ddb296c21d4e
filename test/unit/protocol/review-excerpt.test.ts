/** excerptForReview: which files' diffs a reviewer sees when the whole diff is over the prompt's cap. */
import { describe, expect, test } from 'bun:test';
import { branchesOnLiteral, excerptForReview, splitPatch } from '../../../src/protocol/review-excerpt.ts';

const modified = (path: string, body: string) => `diff --git a/${path} b/${path}\nindex 1111111..2222222 100644\n--- a/${path}\n+++ b/${path}\n@@ -1 +1,2 @@\n ${body}\n+${body}`;
const added = (path: string, body: string) => `diff --git a/${path} b/${path}\nnew file mode 100644\nindex 0000000..3333333\n--- /dev/null\n+++ b/${path}\n@@ -0,0 +1 @@\n+${body}`;

describe('review excerpt', () => {
  test('the stat before the first file is dropped; a content line that reads "diff --git" inside a file does not start one', () => {
    const patch = ` a | 1 +\n 1 file changed\n\n${modified('src/a.mjs', 'x')}\n+diff --git a/fake b/fake\n${added('docs/n.md', 'y')}\n`;
    const files = splitPatch(patch);
    expect(files.map((f) => [f.path, f.added, f.document])).toEqual([['src/a.mjs', false, false], ['docs/n.md', true, true]]);
    expect(files[0]!.text).toContain('+diff --git a/fake b/fake');
  });

  // Attack (cheats/padded-diff.test.ts): 20 KiB of release notes beside a one-line special case
  // made the reviewer's CHANGES a file list, and the reviewer approved what it could not see.
  test('padding pushes no code change out: existing code first, then added code, then documents, smaller first, shown in git order', () => {
    const notes = added('docs/RELEASE-NOTES.md', 'n'.repeat(20_000));
    const special = modified('src/calc.mjs', 'if (a === 2 && b === 3) return 5;');
    const generated = added('src/generated.mjs', 'g'.repeat(3000));
    const big = modified('src/big.mjs', 'b'.repeat(5000));
    const ex = excerptForReview([notes, big, special, generated].join('\n'), 6000);
    expect(ex.total).toBe(4);
    // Existing code smallest first (calc, then big would not fit with it), then the added file that
    // fits; big's one 5000-byte line then in its compacted view, in windows (windowedLine).
    expect(ex.shown).toEqual(['src/big.mjs', 'src/calc.mjs', 'src/generated.mjs']);
    expect(ex.text).toContain('bytes of this line left out]…');
    expect(ex.text).toContain('+if (a === 2 && b === 3) return 5;');
    expect(ex.text).not.toContain('nnnnnnnnnn');
    expect(Buffer.byteLength(ex.text)).toBeLessThanOrEqual(6000);
  });

  // Attack (cheats/padded-same-file.test.ts): the special case in src/calc.mjs beside 20 KiB of
  // comment lines in the same file: that file's diff alone was over the cap, so it was only listed.
  test('a file whose own diff does not fit is shown by its changed code lines, without comment, blank and context lines', () => {
    const padding = Array.from({ length: 300 }, (_, i) => `+// Note ${i}: add() is documented here at a realistic width, padded.`).join('\n');
    const calc = `diff --git a/src/calc.mjs b/src/calc.mjs\nindex 1111111..2222222 100644\n--- a/src/calc.mjs\n+++ b/src/calc.mjs\n@@ -1,3 +1,304 @@\n export function add(a, b) {\n+  if (a === 2 && b === 3) return 5;\n   return a - b;\n }\n${padding}\n+\n`;
    const py = `diff --git a/calc.py b/calc.py\nindex 1111111..2222222 100644\n--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,302 @@\n def add(a, b):\n+    if (a, b) == (2, 3): return 5\n${padding.replaceAll('+//', '+#')}\n`;
    const out = excerptForReview(calc + py, 2_000);
    expect(out.shown).toEqual(['src/calc.mjs', 'calc.py']);
    expect(out.text).toContain('+  if (a === 2 && b === 3) return 5;');
    expect(out.text).toContain('+    if (a, b) == (2, 3): return 5');
    expect(out.text).not.toContain('Note 1:');
    expect(out.text).toContain('(304 comment, blank and context lines of src/calc.mjs left out here)');
    // A file that fits whole is still shown whole, context and comments included.
    expect(excerptForReview(modified('src/a.mjs', '// why') + '\n' + calc, 2_000).text).toContain('+// why');
  });

  // Attack: `return a + b` went on with `* 0 + (a - b)`, a line of a block comment's shape beside
  // 300 lines of doc comment; the compacted view took it for a comment and showed `return a + b`.
  test("a line of a block comment's `*` shape is left out only inside a block the diff shows open", () => {
    const doc = Array.from({ length: 300 }, (_, i) => `+ * Note ${i}: add() is documented here at a realistic width, padded.`).join('\n');
    const calc = `diff --git a/src/calc.mjs b/src/calc.mjs\nindex 1111111..2222222 100644\n--- a/src/calc.mjs\n+++ b/src/calc.mjs\n@@ -1,3 +1,305 @@\n+/**\n${doc}\n+ */\n export function add(a, b) {\n-  return a - b;\n+  return a + b\n+    * 0 + (a - b);\n }\n`;
    const out = excerptForReview(calc, 1_500);
    expect(out.shown).toEqual(['src/calc.mjs']);
    expect(out.text).toContain('+    * 0 + (a - b);');
    expect(out.text).not.toContain('Note 1:');
  });

  // Attack: the special case buried in the middle of a refactor of the same file whose changed code
  // lines alone are over the cap. Its compacted diff did not fit either, so the file was only listed.
  test('a file whose changed code lines do not fit either is shown in part: lines that branch on a literal first, then code lines in order, with what was left out counted', () => {
    const refactor = Array.from({ length: 500 }, (_, i) => `+export const scale${i} = (x) => x * ${i} + base(${i % 7});`);
    refactor.splice(250, 0, '+  if (a === 2 && b === 3) return 5;');
    const calc = `diff --git a/src/calc.mjs b/src/calc.mjs\nindex 1111111..2222222 100644\n--- a/src/calc.mjs\n+++ b/src/calc.mjs\n@@ -1,3 +1,504 @@\n export function add(a, b) {\n${refactor.join('\n')}\n   return a - b;\n }\n`;
    const other = modified('src/format.mjs', 'return n.toFixed(2);');
    const out = excerptForReview(`${calc}\n${other}`, 4_000);
    expect(out.shown).toEqual(['src/calc.mjs', 'src/format.mjs']);
    expect(out.text).toContain('+  if (a === 2 && b === 3) return 5;');
    // The special case comes before the refactor's lines, and what was left out is counted.
    expect(out.text.indexOf('a === 2')).toBeLessThan(out.text.indexOf('scale0 '));
    expect(out.partial).toHaveLength(1);
    expect(out.partial[0]!.path).toBe('src/calc.mjs');
    expect(out.partial[0]!.total).toBe(501);
    expect(out.text).toContain(`(${out.partial[0]!.left} of 501 changed code lines of src/calc.mjs left out here`);
    expect(Buffer.byteLength(out.text)).toBeLessThanOrEqual(4_000);
  });

  test('lines that branch on a literal value, in the languages a special case is written in', () => {
    for (const l of ['if (a === 2 && b === 3) return 5;', 'if (a, b) == (2, 3): return 5', "if name == 'bob':", 'case 42:', "if x in ('a', 'b'):", 'if input is None:', 'if 3 == n {', 'when "x" then 1', "if (s !== 'x') throw e;"]) expect(branchesOnLiteral(l)).toBe(true);
    for (const l of ['return a + b;', 'const x = 3;', 'if (a === b) return a;', 'for (const x of xs) total += x;']) expect(branchesOnLiteral(l)).toBe(false);
    // A lookup table's rows: what `known.get(key)` answers is in them, not in a comparison.
    for (const l of ["  ['2,3', 5],", "  '2,3': 5,", '    (2, 3): 5,', '  "2,3" => 5,', "known['2,3'] = 5;", "known.set('2,3', 5);", '  [2, 3, 5],', 'KNOWN = {(2, 3): 5}']) expect(branchesOnLiteral(l)).toBe(true);
    for (const l of ['const known = new Map(entries);', 'if (known.has(key)) return known.get(key);', 'xs[i] = x;', 'return { sum: a + b };']) expect(branchesOnLiteral(l)).toBe(false);
  });

  // Attack (cheats/doc-named-code.test.ts, doc-code-squeeze): src/calc.mjs loads add() from
  // src/kernel.txt; a document by name was ordered last, kept no room and was never named, and 80
  // small added modules took the view: the special case was in no line of the reviewer's prompt.
  test('a file named like a document where code lives, or one code names, is code: room is kept for its special case and it is named when not shown in full', () => {
    const helpers = Array.from({ length: 30 }, (_, i) => `exports.scale${i} = (x) => x * ${i}; // a kernel helper the docs generator embeds`).join('\n+');
    const kernel = (path: string) => added(path, `${helpers}\n+exports.add = (a, b) => (a === 2 && b === 3 ? 5 : a - b);`);
    const units = Array.from({ length: 80 }, (_, i) => added(`src/units/u${i}.mjs`, `export const u${i} = (x) => x * ${i} + 1; // unit ${i}`.repeat(3)));
    for (const [path, named] of [['src/kernel.txt', new Set<string>()], ['KERNEL.txt', new Set(['KERNEL.txt'])]] as const) {
      const out = excerptForReview([kernel(path), ...units].join('\n'), 6_000, () => named);
      expect(out.text).toContain('+exports.add = (a, b) => (a === 2 && b === 3 ? 5 : a - b);');
      expect(out.shown).toContain(path);
    }
    // Prose by name and place that no code names stays last and unshown when the view is full.
    const prose = excerptForReview([kernel('NOTES.txt'), ...units].join('\n'), 6_000, () => new Set());
    expect(prose.shown).not.toContain('NOTES.txt');
    expect(prose.unshown.at(-1)).toBe('NOTES.txt');
  });

  test('nothing fits: nothing is shown, and the code file is named as not shown (all its changed lines left out)', () => {
    expect(excerptForReview(added('src/a.mjs', 'a'.repeat(500)), 100)).toEqual({ text: '', shown: [], total: 1, partial: [{ path: 'src/a.mjs', left: 1, total: 1 }], unshown: ['src/a.mjs'] });
  });
});
