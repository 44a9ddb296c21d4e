/**
 * read-beneath.ts: a path inside the peers' tree never leads outside it, whichever component is a
 * symlink, and a swap between the checks and the open is caught on the open descriptor.
 */
import { afterEach, expect, test } from 'bun:test';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyRegularFile } from '../../../src/fs/safe-copy.ts';
import { isRegularFileBeneath, listDirBeneath, openedBeneath, readTextBeneath } from '../../../src/fs/read-beneath.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function layout() {
  const base = mkdtempSync(join(tmpdir(), 'peers-beneath-'));
  dirs.push(base);
  const root = join(base, 'tree');
  const outside = join(base, 'outside');
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(root, 'a', 'b', 'f.txt'), 'inside');
  writeFileSync(join(outside, 'f.txt'), 'secret');
  return { root, outside };
}

test('a symlink at any component, a non-file leaf, or an escaping path is refused; a plain path is read', () => {
  const { root, outside } = layout();
  expect(readTextBeneath(root, 'a/b/f.txt', 100)).toBe('inside');
  symlinkSync(outside, join(root, 'top'));
  symlinkSync(outside, join(root, 'a', 'mid'));
  symlinkSync(join(outside, 'f.txt'), join(root, 'leaf'));
  for (const rel of ['top/f.txt', 'a/mid/f.txt', 'leaf', '../outside/f.txt', 'a/../../outside/f.txt', '/etc/passwd', 'a//b/f.txt']) {
    expect(() => readTextBeneath(root, rel, 100)).toThrow();
    expect(isRegularFileBeneath(root, rel)).toBe(false);
  }
  expect(() => listDirBeneath(root, 'top')).toThrow();
  expect(listDirBeneath(root, 'a').map((e) => e.name).sort()).toEqual(['b', 'mid']);
});

test('a FIFO in the tree is refused without opening it (nothing hangs)', () => {
  const { root } = layout();
  execFileSync('mkfifo', [join(root, 'a', 'pipe')]);
  expect(isRegularFileBeneath(root, 'a/pipe')).toBe(false);
  expect(() => readTextBeneath(root, 'a/pipe', 100)).toThrow(/not a regular file/);
});

test('a descriptor opened through a directory swapped for a symlink is told apart from the file beneath the tree', () => {
  const { root, outside } = layout();
  // What the open got if `a/b` was swapped for a link to `outside` between the checks and the open.
  const swapped = openSync(join(outside, 'f.txt'), 'r');
  const genuine = openSync(join(root, 'a', 'b', 'f.txt'), 'r');
  try {
    expect(openedBeneath(swapped, root, 'a/b/f.txt')).toBe(false);
    expect(openedBeneath(genuine, root, 'a/b/f.txt')).toBe(true);
  } finally {
    closeSync(swapped);
    closeSync(genuine);
  }
});

test("a host command's copy of a git dir file (safe-copy.ts) is made beneath the tree: a .git swapped for a link copies nothing from where it points", () => {
  const { root, outside } = layout();
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, '.git', 'index'), 'own');
  writeFileSync(join(outside, 'index'), 'operator file');
  const dst = join(root, '..', 'copy');
  expect(copyRegularFile(join(root, '.git', 'index'), dst, 1024, { root, rel: '.git/index' })).toBe(true);
  rmSync(dst);
  rmSync(join(root, '.git'), { recursive: true });
  symlinkSync(outside, join(root, '.git'));
  expect(() => copyRegularFile(join(root, '.git', 'index'), dst, 1024, { root, rel: '.git/index' })).toThrow(/symlink/);
  expect(existsSync(dst)).toBe(false);
  // The copy by path alone (no-follow guards only the leaf), as the view made it before: the link is followed.
  expect(copyRegularFile(join(root, '.git', 'index'), dst, 1024)).toBe(true);
  expect(readFileSync(dst, 'utf8')).toBe('operator file');
});
