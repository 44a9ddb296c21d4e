import { afterAll, describe, expect, test } from 'bun:test';
import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnsafePathError } from '../../../src/fs/atomic-write.ts';
import { FileTooLargeError, readRange, readTextCapped, readTextIfExists } from '../../../src/fs/safe-read.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);

const dir = () => tempDir('peers-safe-read-');

describe('readTextCapped', () => {
  test('reads a regular file', () => {
    const d = dir();
    writeFileSync(join(d, 'a'), 'hello');
    expect(readTextCapped(join(d, 'a'), 10)).toBe('hello');
  });

  test('a file over the cap is refused, not truncated', () => {
    const d = dir();
    writeFileSync(join(d, 'big'), 'x'.repeat(11));
    expect(() => readTextCapped(join(d, 'big'), 10)).toThrow(FileTooLargeError);
  });

  test('a symlinked leaf is refused', () => {
    const d = dir();
    writeFileSync(join(d, 'target'), 'secret');
    symlinkSync(join(d, 'target'), join(d, 'link'));
    expect(() => readTextCapped(join(d, 'link'), 100)).toThrow(UnsafePathError);
  });

  test('a FIFO planted where a file belongs is refused at once instead of hanging', () => {
    const d = dir();
    execFileSync('mkfifo', [join(d, 'fifo')]);
    expect(() => readTextCapped(join(d, 'fifo'), 100)).toThrow(UnsafePathError);
  });

  test('readTextIfExists returns undefined for a missing file', () => {
    expect(readTextIfExists(join(dir(), 'nope'), 10)).toBeUndefined();
  });
});

describe('readRange (logs read while they grow)', () => {
  test('from an offset: the new bytes and where they end, so the next read continues there', () => {
    const d = dir();
    writeFileSync(join(d, 'log'), 'first\nsecond\n');
    const r = readRange(join(d, 'log'), { from: 6 })!;
    expect(r.bytes.toString()).toBe('second\n');
    expect(r.end).toBe(13);
    expect(readRange(join(d, 'log'), { from: r.end })!.bytes.length).toBe(0);
  });

  test('the last N bytes of a file, and all of a shorter one', () => {
    const d = dir();
    writeFileSync(join(d, 'log'), 'abcdefgh');
    expect(readRange(join(d, 'log'), { lastBytes: 3 })!.bytes.toString()).toBe('fgh');
    expect(readRange(join(d, 'log'), { lastBytes: 100 })!.bytes.toString()).toBe('abcdefgh');
  });

  test('never more than the cap, from either end', () => {
    const d = dir();
    writeFileSync(join(d, 'log'), 'x'.repeat(100));
    expect(readRange(join(d, 'log'), { from: 0 }, 10)!.bytes.length).toBe(10);
    expect(readRange(join(d, 'log'), { lastBytes: 50 }, 10)!.bytes.length).toBe(10);
  });

  test('a missing file, a symlink and a FIFO read as nothing, without hanging', () => {
    const d = dir();
    writeFileSync(join(d, 'real'), 'secret');
    symlinkSync(join(d, 'real'), join(d, 'link'));
    execFileSync('mkfifo', [join(d, 'fifo')]);
    expect(readRange(join(d, 'missing'), { from: 0 })).toBeNull();
    expect(readRange(join(d, 'link'), { from: 0 })).toBeNull();
    expect(readRange(join(d, 'fifo'), { lastBytes: 10 })).toBeNull();
  });
});
