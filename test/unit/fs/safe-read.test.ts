import { describe, expect, test } from 'bun:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnsafePathError } from '../../../src/fs/atomic-write.ts';
import { FileTooLargeError, readTextCapped, readTextIfExists } from '../../../src/fs/safe-read.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'peers-safe-read-'));

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
