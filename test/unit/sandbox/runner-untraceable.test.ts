/**
 * Attack: a process the runner started (a peer's CLI or its leftover in the workspace, a gate's
 * test suite in the gates container) opens its runner's `/proc/PID/mem` — or `ptrace`s it, the
 * same kernel check — and reads or rewrites the process that reports exits and verdicts to the
 * loop. Every process of a pod container runs as one user, and podman's seccomp profile allows
 * `ptrace`; on a host without Yama (as here) nothing else stops it.
 *
 * The property (SECURITY.md, "The sandbox pod"): `peers runner` makes itself non-dumpable before
 * it does anything, in every mode, so a process of the same user without CAP_SYS_PTRACE is refused.
 *
 * The real `peers runner` runs as the unprivileged test user, and the process it is asked to run
 * (as that user) tries to open its parent's memory.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { type ChildProcess, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { SocketRunner } from '../../../sandbox/socket-runner.ts';
import { uid } from '../../e2e/podman-user.ts';
import { requires } from '../../requirements.ts';
import { waitFor } from '../../wait-for.ts';

/** Skipped, with the reason printed, where root is missing (the runner must run as another user than the test). */
const need = requires('root');
const ROOT = resolve(import.meta.dir, '../../..');

let runner: ChildProcess | undefined;
let dir = '';
afterEach(() => {
  runner?.kill('SIGKILL');
  runner = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Opens the memory of the parent process (the runner): `OPENED` or `DENIED`. */
const PROBE = 'P=$(awk \'/^PPid/{print $2}\' /proc/$$/status); if (exec 3</proc/$P/mem) 2>/dev/null; then echo OPENED; else echo DENIED; fi; stat -c %u /proc/$P/mem';

describe.skipIf(!need.ok)('the runner cannot be traced by what it runs', () => {
  test('a process the runner started, as the same user, cannot open the runner\'s memory', async () => {
    dir = mkdtempSync('/var/tmp/peers-runner-untraceable-');
    chownSync(dir, uid(), uid());
    const socket = join(dir, 'runner.sock');
    runner = spawn('runuser', ['-u', 'peerstest', '--', process.execPath, join(ROOT, 'src/main.ts'), 'runner', '--socket', socket], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    runner.stderr!.on('data', (d) => (err += d));
    const accepts = () => new Promise<boolean>((r) => connect(socket).once('connect', function (this: Socket) { this.destroy(); r(true); }).once('error', () => r(false)));
    await waitFor(`the runner to listen (${err})`, accepts, 20_000);
    const r = await new SocketRunner(socket).run({ peer: 'a', argv: ['/bin/sh', '-c', PROBE], env: {}, cwd: dir, idleTimeoutMs: 20_000, absoluteTimeoutMs: 20_000, killGraceMs: 1000, maxStreamBytes: 1 << 20 });
    // The kernel hands the runner's /proc files to root: no process of the peers' user opens them.
    expect(r.stdout.trim().split('\n'), `${r.stdout}${r.stderr}`).toEqual(['DENIED', '0']);
  }, 60_000);
});
