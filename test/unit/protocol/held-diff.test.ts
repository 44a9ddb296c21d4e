import { expect, test } from 'bun:test';
import { heldDiffReader, REDUCED_CAP_BYTES } from '../../../src/protocol/held-diff.ts';
import { excerptForReview } from '../../../src/protocol/review-excerpt.ts';

const fileDiff = (path: string, added: string[], isNew = false) => [
  `diff --git a/${path} b/${path}`,
  ...(isNew ? ['new file mode 100644', '--- /dev/null'] : [`--- a/${path}`]),
  `+++ b/${path}`,
  `@@ -1,1 +1,${added.length} @@`,
  ...added.map((l) => `+${l}`),
];

const read = (lines: string[], cap: number) => {
  const r = heldDiffReader(cap);
  for (const l of lines) r.line(l);
  return r.done();
};

test('a diff over what the loop holds keeps every small file whole and the special case in sight; the file too large alone keeps only its literal-branching lines and is named', () => {
  const huge = Array.from({ length: 20_000 }, (_, i) => `export const g${i} = ${i}; // generated, padded to a realistic width`);
  const lines = [...fileDiff('src/calc.mjs', ['  if (a === 2 && b === 3) return 5;']), ...fileDiff('src/generated.mjs', [...huge.slice(0, 10_000), "if (mode === 'x') run();", ...huge.slice(10_000)], true)];
  const held = read(lines, 256 * 1024);
  expect(held.text).toContain('+  if (a === 2 && b === 3) return 5;');
  expect(held.text).toContain("+if (mode === 'x') run();");
  expect(held.text).not.toContain('g19999');
  expect(held.notHeld).toEqual([{ path: 'src/generated.mjs', bytes: expect.any(Number) }]);
  expect(held.notHeld[0]!.bytes).toBeGreaterThan(256 * 1024);
  // What the reviewer's excerpt then shows (git-observe.ts): the special case.
  expect(excerptForReview(held.text, 16 * 1024).text).toContain('+  if (a === 2 && b === 3) return 5;');
});

test('when the files do not all fit, the largest are given up first; padding of many files cannot evict a small edit', () => {
  const pad = (i: number) => fileDiff(`a/pad${i}.mjs`, Array.from({ length: 400 }, (_, j) => `export const p${j} = ${j}; // padding`), true);
  const lines = [...Array.from({ length: 30 }, (_, i) => pad(i)).flat(), ...fileDiff('src/calc.mjs', ['  if (a === 2 && b === 3) return 5;'])];
  const held = read(lines, 64 * 1024);
  expect(held.text).toContain('+  if (a === 2 && b === 3) return 5;');
  expect(held.notHeld.length).toBeGreaterThan(0);
  expect(held.notHeld.map((x) => x.path)).not.toContain('src/calc.mjs');
  expect(Buffer.byteLength(held.text)).toBeLessThan(64 * 1024 + 30 * (REDUCED_CAP_BYTES + 4096));
});
