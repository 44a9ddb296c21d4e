import { afterEach, expect, test } from 'bun:test';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IN_PLACE_MAX_BYTES, InPlaceRecord } from '../../../src/fs/in-place-record.ts';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('rewrites stay in one file, each a whole JSON document, shorter ones included; a long one gets a new file', () => {
  dir = mkdtempSync(join(tmpdir(), 'in-place-'));
  const path = join(dir, 'children.json');
  const file = new InPlaceRecord(path);
  file.write(`${JSON.stringify({ children: [1, 2, 3, 4, 5] })}\n`);
  const ino = lstatSync(path).ino;
  for (const children of [[1], [], [7, 8]]) {
    file.write(`${JSON.stringify({ children })}\n`);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ children });
    // No file made per write: the same inode, and no temp file left beside it.
    expect(lstatSync(path).ino).toBe(ino);
  }
  const long = { children: 'x'.repeat(IN_PLACE_MAX_BYTES) };
  file.write(JSON.stringify(long));
  expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(long);
  // Shrinking from over a page: a new file, never a page-crossing write in place.
  file.write('{"children":[]}');
  expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ children: [] });
  expect(readFileSync(path, 'utf8')).toBe('{"children":[]}');
  file.close();
  expect(readdirSync(dir)).toEqual(['children.json']);
});

test('a symlink planted before the first write is refused, never written through', () => {
  dir = mkdtempSync(join(tmpdir(), 'in-place-'));
  const target = join(dir, 'elsewhere');
  writeFileSync(target, 'keep');
  const path = join(dir, 'children.json');
  symlinkSync(target, path);
  expect(() => new InPlaceRecord(path).write('{}')).toThrow('symlink');
  expect(readFileSync(target, 'utf8')).toBe('keep');
  unlinkSync(path);
});

test('a record removed or replaced since the last write is made again, never written to the old file', () => {
  dir = mkdtempSync(join(tmpdir(), 'in-place-'));
  const path = join(dir, 'children.json');
  const file = new InPlaceRecord(path);
  file.write('{"n":1}');
  unlinkSync(path);
  file.write('{"n":2}');
  expect(readFileSync(path, 'utf8')).toBe('{"n":2}');
  writeFileSync(join(dir, 'other'), '{"n":0}');
  rmSync(path);
  symlinkSync(join(dir, 'other'), path);
  expect(() => file.write('{"n":3}')).toThrow('symlink');
  expect(readFileSync(join(dir, 'other'), 'utf8')).toBe('{"n":0}');
  file.close();
});
