/**
 * The fingerprint that lets the tests' gates run dist/peers instead of the sources
 * (test/compiled-peers-preload.ts): it must change with any edit a build would compile, so a test
 * never judges a binary older than the code beside it.
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sourceStamp } from '../../../source-stamp.ts';

const root = mkdtempSync(join(tmpdir(), 'peers-stamp-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const git = (...args: string[]) => expect(Bun.spawnSync(['git', ...args], { cwd: root }).exitCode).toBe(0);

test('an edit, a new file or a deletion outside test/ changes the fingerprint; test/ and ignored files do not', () => {
  mkdirSync(join(root, 'src'));
  mkdirSync(join(root, 'test'));
  writeFileSync(join(root, 'src/a.ts'), 'export const a = 1;\n');
  writeFileSync(join(root, 'test/a.test.ts'), 'x\n');
  writeFileSync(join(root, '.gitignore'), 'dist/\n');
  git('init', '-q');
  git('add', '-A');
  const first = sourceStamp(root);
  expect(first).toMatch(/^[0-9a-f]{64}$/);
  expect(sourceStamp(root)).toBe(first);

  writeFileSync(join(root, 'test/a.test.ts'), 'y\n');
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'dist/peers'), 'binary\n');
  expect(sourceStamp(root)).toBe(first);

  writeFileSync(join(root, 'src/a.ts'), 'export const a = 2;\n');
  const edited = sourceStamp(root);
  expect(edited).not.toBe(first);
  writeFileSync(join(root, 'src/b.ts'), 'export const b = 1;\n');
  const added = sourceStamp(root);
  expect(added).not.toBe(edited);
  rmSync(join(root, 'src/a.ts'));
  expect(sourceStamp(root)).not.toBe(added);
});

test('outside a git checkout there is no fingerprint (the tests then run the sources)', () => {
  const bare = mkdtempSync(join(tmpdir(), 'peers-stamp-nogit-'));
  try {
    expect(sourceStamp(bare)).toBeNull();
  } finally {
    rmSync(bare, { recursive: true, force: true });
  }
});
