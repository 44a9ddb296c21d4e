import { afterEach, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { escapesTree, escapingSymlinks } from '../../../src/protocol/escaping-symlinks.ts';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

test('a link escapes the tree when its target is absolute or climbs above the top; a link within the tree does not', () => {
  expect(escapesTree('src/impl.mjs', '/tmp/x/impl.mjs')).toBe(true);
  expect(escapesTree('src/impl.mjs', '../../elsewhere/impl.mjs')).toBe(true);
  expect(escapesTree('impl.mjs', '..')).toBe(true);
  expect(escapesTree('src/lib', '')).toBe(true);
  expect(escapesTree('bin/calc-link.mjs', '../src/calc.mjs')).toBe(false);
  expect(escapesTree('src/a/b.mjs', '../../src/../lib/c.mjs')).toBe(false);
  expect(escapesTree('current', 'v2')).toBe(false);
});

test("the run's links that escape are found in a real repository; a link within the tree, and one removed, are not", () => {
  dir = mkdtempSync(join(tmpdir(), 'peers-links-'));
  const id = ['-c', 'user.name=t', '-c', 'user.email=t@t'];
  gitOk(dir, ['init', '-q', '-b', 'main']);
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'src/calc.mjs'), 'export const x = 1;\n');
  symlinkSync('/etc/old-target', join(dir, 'src/old.mjs'));
  gitOk(dir, ['add', '-A']);
  gitOk(dir, [...id, 'commit', '-q', '-m', 'start']);
  const base = gitOk(dir, ['rev-parse', 'HEAD']).trim();
  symlinkSync('/tmp/peer-state/impl.mjs', join(dir, 'src/impl.mjs'));
  symlinkSync('../src/calc.mjs', join(dir, 'bin/calc-link.mjs'));
  symlinkSync('../../../outside', join(dir, 'src/up'));
  rmSync(join(dir, 'src/old.mjs'));
  gitOk(dir, ['add', '-A']);
  gitOk(dir, [...id, 'commit', '-q', '-m', 'links']);
  expect(escapingSymlinks(dir, base, 'HEAD')).toMatchObject({ ok: true, links: ['src/impl.mjs -> /tmp/peer-state/impl.mjs', 'src/up -> ../../../outside'] });
  // Without a baseline, every link of the tree is read.
  expect(escapingSymlinks(dir, undefined, base)).toMatchObject({ ok: true, links: ['src/old.mjs -> /etc/old-target'] });
  // A range git cannot read holds (fail closed).
  expect(escapingSymlinks(dir, 'f'.repeat(40), 'HEAD').ok).toBe(false);
});
