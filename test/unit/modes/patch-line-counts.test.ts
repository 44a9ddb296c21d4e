import { expect, test } from 'bun:test';
import { patchLineCounts } from '../../../modes/checks/patch-line-counts.ts';

test('the lines of the hunks count, the file headers do not, even a removed line that reads like one', () => {
  const patch = [
    'diff --git a/src/x.js b/src/x.js',
    'index 1111111..2222222 100644',
    '--- a/src/x.js',
    '+++ b/src/x.js',
    '@@ -1,2 +1,3 @@',
    '--- a removed line that starts with two dashes',
    '-old',
    '+++ an added line that starts with two pluses',
    '+new \u0000 with a NUL',
    '+more',
    '\\ No newline at end of file',
    'diff --git a/y b/y',
    'new file mode 100644',
    '--- /dev/null',
    '+++ b/y',
    '@@ -0,0 +1 @@',
    '+y',
    '',
  ].join('\n');
  expect(patchLineCounts(patch)).toEqual({ added: 4, deleted: 2 });
});
