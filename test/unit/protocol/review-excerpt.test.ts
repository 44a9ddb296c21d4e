/** excerptForReview: which files' diffs a reviewer sees when the whole diff is over the prompt's cap. */
import { describe, expect, test } from 'bun:test';
import { excerptForReview, splitPatch } from '../../../src/protocol/review-excerpt.ts';

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
    // Existing code smallest first (calc, then big would not fit with it), then the added file that fits.
    expect(ex.shown).toEqual(['src/calc.mjs', 'src/generated.mjs']);
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

  test('nothing fits: nothing is shown', () => {
    expect(excerptForReview(added('src/a.mjs', 'a'.repeat(500)), 100)).toEqual({ text: '', shown: [], total: 1 });
  });
});
