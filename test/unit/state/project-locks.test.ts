import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../src/cli/errors.ts';
import { acquireRepositoryLoopLock, probeRepositoryLoopLock, projectLockPath, withPodLock } from '../../../src/state/project-locks.ts';
import { waitFor } from '../../wait-for.ts';

let dir: string;
let env: Record<string, string>;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'peers-project-locks-'));
  mkdirSync(join(dir, 'run'), { mode: 0o700 });
  mkdirSync(join(dir, 'repo'));
  env = { XDG_RUNTIME_DIR: join(dir, 'run') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A separate process holding the lock at `path` until its stdin closes. */
async function holder(path: string) {
  writeFileSync(join(dir, 'hold.ts'), `import { tryLock } from '${join(import.meta.dir, '../../../src/state/run-lock.ts')}';\nconst got = tryLock(process.argv[2]!);\nconsole.log('lock' in got ? 'locked' : 'busy');\nawait Bun.stdin.text();\n`);
  const child = Bun.spawn([process.execPath, join(dir, 'hold.ts'), path], { stdin: 'pipe', stdout: 'pipe' });
  const first = await child.stdout.getReader().read();
  expect(new TextDecoder().decode(first.value)).toBe('locked\n');
  return { pid: child.pid, release: async () => (child.stdin.end(), await child.exited) };
}

describe('per-repository loop lock', () => {
  test('held whatever the state directory: a second holder on the same repository is refused, another repository is not', () => {
    const lock = acquireRepositoryLoopLock(join(dir, 'repo'), env);
    expect(probeRepositoryLoopLock(join(dir, 'repo'), env)).toEqual({ held: true, pid: process.pid });
    expect(() => acquireRepositoryLoopLock(join(dir, 'repo'), env)).toThrow(`another peers loop (pid ${process.pid}) is already running on ${join(dir, 'repo')}`);
    mkdirSync(join(dir, 'other-repo'));
    acquireRepositoryLoopLock(join(dir, 'other-repo'), env).release();
    lock.release();
    expect(probeRepositoryLoopLock(join(dir, 'repo'), env)).toEqual({ held: false });
  });

  test('a symlinked locks directory, or one another user made, is refused as bad input (exit 2)', () => {
    mkdirSync(join(dir, 'elsewhere'));
    mkdirSync(join(dir, 'run', 'peers'));
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'run', 'peers', 'locks'));
    let error: unknown;
    try {
      acquireRepositoryLoopLock(join(dir, 'repo'), env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain('project lock directory');
    rmSync(join(dir, 'run', 'peers', 'locks'));
    mkdirSync(join(dir, 'run', 'peers', 'locks'));
    chownSync(join(dir, 'run', 'peers', 'locks'), 65534, 65534);
    expect(() => acquireRepositoryLoopLock(join(dir, 'repo'), env)).toThrow('it belongs to uid 65534');
  });
});

describe('pod lock (peers up / down)', () => {
  test('waits while another process holds it, tells who, then runs', async () => {
    const path = projectLockPath('app-12345678', 'pod', env);
    const other = await holder(path);
    const waitedFor: (number | undefined)[] = [];
    let ran = false;
    const done = withPodLock('app-12345678', env, (pid) => waitedFor.push(pid), async () => {
      ran = true;
      return 'created';
    });
    // Still waiting while the other holds it (polled every 100 ms; wait for the report, not a time).
    await waitFor('withPodLock to report the holder it waits for', () => waitedFor.length > 0, 10_000);
    expect(ran).toBe(false);
    await other.release();
    expect(await done).toBe('created');
    expect(waitedFor).toEqual([other.pid]);
  });

  test('gives up after the wait with the holder named, without running', async () => {
    const other = await holder(projectLockPath('app-12345678', 'pod', env));
    let ran = false;
    try {
      await expect(withPodLock('app-12345678', env, () => {}, async () => (ran = true), 300)).rejects.toThrow(`another peers up or down of this project (pid ${other.pid}) has not finished`);
      expect(ran).toBe(false);
    } finally {
      await other.release();
    }
  });
});
