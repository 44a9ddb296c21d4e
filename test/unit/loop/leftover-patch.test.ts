/**
 * The loop saves a turn's leftovers as a patch the operator applies with `git apply --index`
 * (leftover-patch.ts). The patch comes from git in the workspace, which the peers configure: the
 * loop saves only a patch whose every file header names a/ and b/ paths outside the top `.peers/`.
 */
import { afterEach, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveLeftovers } from '../../../src/loop/shell/leftover-patch.ts';

let root: string | undefined;
afterEach(() => root && rmSync(root, { recursive: true, force: true }));

const header = (a: string, b: string) => `diff --git ${a} ${b}\nindex 1111111..2222222 100644\n--- ${a}\n+++ ${b}\n@@ -1 +1 @@\n-goal: honest\n+goal: the peer's\n`;

async function save(patch: string) {
  root = mkdtempSync(join(tmpdir(), 'peers-leftover-'));
  const file = join(root, 'leftovers', 'tick-00003-alice.patch');
  const said = await saveLeftovers({ uncommittedPatch: async () => patch }, file);
  return { said, saved: existsSync(file) ? readFileSync(file, 'utf8') : null };
}

test('a patch without the a/ b/ prefixes (a peer set diff.noprefix) is not saved: applied, x/.peers/goals.yaml would patch .peers/goals.yaml', async () => {
  const r = await save(header('x/.peers/goals.yaml', 'x/.peers/goals.yaml'));
  expect(r.saved).toBeNull();
  expect(r.said).toContain('without the a/ b/ prefixes');
});

test('a patch into the top .peers/ (in any case: macOS folds it) is not saved', async () => {
  for (const [a, b] of [['a/.peers/goals.yaml', 'b/.peers/goals.yaml'], ['a/src.txt', 'b/.peers/goals.yaml'], ['"a/.peers/g\\303\\251.yaml"', '"b/.peers/g\\303\\251.yaml"'], ['a/.PEERS/modes/m.yaml', 'b/.PEERS/modes/m.yaml']] as const) {
    const r = await save(header(a, b));
    expect(r.saved).toBeNull();
    expect(r.said).toContain('in .peers/');
  }
});

test('control: an ordinary patch, a nested .peers directory and a binary hunk are saved as they are', async () => {
  const patch = header('a/src.txt', 'b/src.txt') + header('a/x/.peers/goals.yaml', 'b/x/.peers/goals.yaml') + 'diff --git a/bin b/bin\nnew file mode 100644\nindex 0000000..3333333\nGIT binary patch\nliteral 3\nKcmZ>Y%m4rY0RR91\n\nliteral 0\nHcmV?d00001\n\n';
  const r = await save(patch);
  expect(r.saved).toBe(patch);
  expect(r.said).toMatch(/^saved in the run's state directory as leftovers\/tick-\d{5}-\w+\.patch /);
});

// git apply reads a quoted name's escapes (`\056` is `.`) and takes `.peers` itself (a link or a
// file where the directory is): the check read the header's text as it is, and saved both.
test('a patch naming .peers/ through escapes in a quoted name, in a ---/+++ or rename line, or .peers itself, is not saved', async () => {
  const cases = [
    header('"a/\\056peers/goals.yaml"', '"b/\\056peers/goals.yaml"'),
    header('"a/.p\\145ers/goals.yaml"', '"b/.p\\145ers/goals.yaml"'),
    'diff --git a/.peers b/.peers\nnew file mode 120000\nindex 0000000..1111111\n--- /dev/null\n+++ b/.peers\n@@ -0,0 +1 @@\n+ctl\n\\ No newline at end of file\n',
    'diff --git a/x b/x\nsimilarity index 90%\nrename from "\\056peers/goals.yaml"\nrename to x\n',
  ];
  for (const patch of cases) {
    const r = await save(patch);
    expect(r.saved).toBeNull();
    expect(r.said).toContain('in .peers/');
  }
});
