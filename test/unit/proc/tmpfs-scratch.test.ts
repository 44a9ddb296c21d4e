/**
 * Where a gate's small scratch directories go (src/proc/tmpfs-scratch.ts): a tmpfs when one is at
 * hand — private or sticky, with room — else the temp dir; and a gate's HOME, TMPDIR and XDG dirs
 * are made there (src/gates/gate-env.ts), still fresh and private for every run.
 */
import { afterEach, expect, test } from 'bun:test';
import { chmodSync, existsSync, mkdtempSync, rmSync, statfsSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { scratchEnv } from '../../../src/gates/gate-env.ts';
import { pickScratchParent, scratchParents, smallScratchParent, tmpfsCandidates, tmpfsRefusal } from '../../../src/proc/tmpfs-scratch.ts';

const TMPFS = 0x01021994;
const isTmpfs = (dir: string) => statfsSync(dir).type === TMPFS;
/** A tmpfs this machine offers for the tests (the same places the loop looks at), if any. */
const tmpfs = tmpfsCandidates().find((c) => c !== undefined && tmpfsRefusal(c) === null);
// The tests that need one are skipped where the machine has no tmpfs with room at the temp dir,
// $XDG_RUNTIME_DIR or /dev/shm (Debian and the pod's containers all have /dev/shm).

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});
const dirIn = (parent: string, mode: number) => {
  const d = mkdtempSync(join(parent, 'tmpfs-scratch-test-'));
  made.push(d);
  chmodSync(d, mode);
  return d;
};

test.skipIf(!tmpfs)('a tmpfs is picked over a disk directory; without one the fallback is kept', () => {
  const disk = dirIn(tmpdir(), 0o700);
  if (isTmpfs(disk)) return; // the temp dir is itself a tmpfs here: nothing to tell apart
  expect(tmpfsRefusal(disk)).toBe('not a tmpfs');
  expect(pickScratchParent([disk, tmpfs], '/fallback')).toBe(tmpfs!);
  expect(pickScratchParent([disk, undefined, 'relative/dir'], '/fallback')).toBe('/fallback');
});

test.skipIf(!tmpfs)('a tmpfs directory others can write without the sticky bit, a link, or one without room is refused', () => {
  const open = dirIn(tmpfs!, 0o777);
  expect(tmpfsRefusal(open)).toBe('writable by others and not sticky');
  const sticky = dirIn(tmpfs!, 0o1777);
  expect(tmpfsRefusal(sticky)).toBeNull();
  const mine = dirIn(tmpfs!, 0o700);
  expect(tmpfsRefusal(mine)).toBeNull();
  const link = join(dirIn(tmpfs!, 0o700), 'link');
  symlinkSync(mine, link);
  expect(tmpfsRefusal(link)).toBe('not a directory');
  const file = join(mine, 'file');
  writeFileSync(file, '');
  expect(tmpfsRefusal(file)).toBe('not a directory');
  const free = statfsSync(mine);
  expect(tmpfsRefusal(mine, free.bavail * free.bsize + 1024 ** 3)).toBe('less free space than a gate may need');
  expect(pickScratchParent([open, link, mine], '/fallback')).toBe(mine);
});

test.skipIf(!tmpfs)(`a gate's HOME, TMPDIR and XDG dirs are made on the tmpfs, private, and removed with the run`, () => {
  expect(smallScratchParent()).toBe(tmpfs!);
  const a = scratchEnv({ HOME: '/home/user', PATH: '/bin', npm_config_cache: '/home/user/.npm' });
  const b = scratchEnv({ HOME: '/home/user', PATH: '/bin' });
  try {
    for (const k of ['HOME', 'TMPDIR', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME']) {
      expect(isTmpfs(a.env[k]!)).toBe(true);
      expect(statSync(a.env[k]!).mode & 0o777).toBe(0o700);
    }
    expect(dirname(dirname(a.env.HOME!))).toBe(tmpfs!);
    expect(statSync(dirname(a.env.HOME!)).mode & 0o777).toBe(0o700);
    // Fresh for every run, and no dependency cache for a gate.
    expect(b.env.HOME).not.toBe(a.env.HOME);
    expect(a.env.npm_config_cache).toBeUndefined();
  } finally {
    a.cleanup();
    b.cleanup();
  }
  expect(existsSync(dirname(a.env.HOME!))).toBe(false);
  // The loop sweeps a dead loop's leftovers there too (start-cleanup.ts).
  expect(scratchParents()).toContain(tmpfs!);
  expect(scratchParents()[0]).toBe(tmpdir());
});

test('with no tmpfs at hand, the scratch directories stay in the temp dir', () => {
  const disk = dirIn(tmpdir(), 0o700);
  const notTmpfs = isTmpfs(disk) ? [] : [disk];
  expect(pickScratchParent(notTmpfs, tmpdir())).toBe(tmpdir());
  expect(tmpfsRefusal(join(disk, 'missing'))).toMatch(/ENOENT|no such file/i);
});
