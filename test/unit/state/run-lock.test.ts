import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireRunLock, probeRunLock } from '../../../src/state/run-lock.ts';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'peers-lock-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('run lock (flock via bun:ffi)', () => {
  test('one holder at a time; the second is refused with the holder pid; release frees it', () => {
    const path = join(dir, 'run.lock');
    const lock = acquireRunLock(path);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    expect(probeRunLock(path)).toEqual({ held: true, pid: process.pid });
    expect(() => acquireRunLock(path)).toThrow(`another peers loop (pid ${process.pid}) is already running`);
    lock.release();
    expect(probeRunLock(path)).toEqual({ held: false });
    acquireRunLock(path).release();
  });

  test('a lock held by another process is seen; the kernel drops it when that process is killed', async () => {
    const path = join(dir, 'run.lock');
    writeFileSync(join(dir, 'hold.ts'), `import { acquireRunLock } from '${join(import.meta.dir, '../../../src/state/run-lock.ts')}';\nacquireRunLock(process.argv[2]!);\nconsole.log('locked');\nawait Bun.sleep(60000);\n`);
    const child = Bun.spawn([process.execPath, join(dir, 'hold.ts'), path], { stdout: 'pipe' });
    const reader = child.stdout.getReader();
    await reader.read();
    expect(probeRunLock(path)).toEqual({ held: true, pid: child.pid });
    child.kill('SIGKILL');
    await child.exited;
    expect(probeRunLock(path).held).toBe(false);
    acquireRunLock(path).release();
  });

  test('a symlinked lock file is refused', () => {
    writeFileSync(join(dir, 'target'), '');
    symlinkSync(join(dir, 'target'), join(dir, 'run.lock'));
    expect(() => acquireRunLock(join(dir, 'run.lock'))).toThrow(/symlink/);
  });
});
