/**
 * `peers verify` on a machine whose temporary directory is mounted noexec (a hardened /tmp, or a
 * TMPDIR on such a mount): the checkout is made there, and every gate that runs a file of it
 * (./run-tests.sh, node_modules/.bin/jest, go test's binaries) failed with a bare
 * "./run-tests.sh: Permission denied" although `npm test` passes in the user's working tree.
 */
import { afterAll, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigSchema } from '../../../src/config/config-schema.ts';
import { GoalsSchema } from '../../../src/config/goals-schema.ts';
import { runVerify } from '../../../src/gates/verify-run.ts';
import { mountOf, noexecCheckoutNote } from '../../../src/fs/noexec-mount.ts';
import { gitOk } from '../../../src/git/git.ts';
import { removeSelfBinDir } from '../../../src/proc/self-exec.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';
import { requires } from '../../requirements.ts';
import { tmpfsRefusal } from '../../../src/proc/tmpfs-scratch.ts';

afterAll(removeTempDirs);
afterAll(removeSelfBinDir);

const MOUNTINFO = [
  '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '25 22 0:23 / /dev/shm rw,nosuid,nodev shared:4 - tmpfs tmpfs rw',
  '87 22 0:52 / /tmp rw,nosuid,nodev,noexec,relatime shared:9 - tmpfs tmpfs rw,size=2g',
  '88 87 0:53 / /tmp/my\\040dir rw,relatime shared:10 - tmpfs tmpfs rw',
].join('\n');

test('the mount a path is on: the longest mount point above it, with its own options (escaped spaces read)', () => {
  expect(mountOf('/tmp/peers-checkout-x/tree', MOUNTINFO)).toEqual({ point: '/tmp', options: ['rw', 'nosuid', 'nodev', 'noexec', 'relatime'] });
  expect(mountOf('/tmp/my dir/x', MOUNTINFO)?.point).toBe('/tmp/my dir');
  expect(mountOf('/tmpfoo/x', MOUNTINFO)?.point).toBe('/');
  expect(mountOf('/var/tmp/x', MOUNTINFO)?.options).not.toContain('noexec');
  expect(noexecCheckoutNote('/tmp/peers-checkout-x/tree', MOUNTINFO)).toStartWith('the checkout verify ran the gates in is under /tmp, which is mounted noexec');
  expect(noexecCheckoutNote('/var/tmp/peers-checkout-x/tree', MOUNTINFO)).toBeUndefined();
});

const asRoot = requires('root');

test.skipIf(!asRoot.ok)(`a real noexec mount as TMPDIR: the failed gate's verify says why and what to set${asRoot.skipped}`, async () => {
  const root = tempDir('noexec-verify-');
  const mnt = join(root, 'noexec');
  mkdirSync(mnt);
  expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,noexec', 'tmpfs', mnt]).status).toBe(0);
  const before = process.env.TMPDIR;
  try {
    const repo = join(root, 'sc');
    mkdirSync(repo);
    writeFileSync(join(repo, 'run-tests.sh'), '#!/bin/sh\necho ok\n');
    chmodSync(join(repo, 'run-tests.sh'), 0o755);
    gitOk(repo, ['init', '-q', '-b', 'main']);
    gitOk(repo, ['add', '-A']);
    gitOk(repo, ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'start']);
    process.env.TMPDIR = mnt;
    const config = ConfigSchema.parse({ peers: [{ name: 'a', tool: 'custom', argv: ['cat'] }, { name: 'b', tool: 'custom', argv: ['cat'] }] });
    const goals = GoalsSchema.parse({ goals: [{ id: 'tests-pass', type: 'hard', cmd: './run-tests.sh', pass_when: 'exit_code == 0' }] });
    const report = await runVerify({ repo, config, goals, jobs: 1 });
    expect(report.ok).toBe(false);
    expect(report.notes.join('\n')).toContain(`the checkout verify ran the gates in is under ${mnt}, which is mounted noexec`);
    expect(report.notes.join('\n')).toContain('TMPDIR');
    // Nor does a gate get its scratch HOME and TMPDIR there (go test runs its binaries from TMPDIR).
    expect(tmpfsRefusal(mnt, 0)).toBe('mounted noexec');
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    // Lazily: a file of the checkout still open (the gate's last process) must not leave it mounted.
    expect(spawnSync('umount', ['-l', mnt]).status).toBe(0);
  }
});
