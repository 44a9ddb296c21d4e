import { describe, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realHostProbe, type HostProbe, type RunResult } from '../../../apps/doctor/host-probe.ts';
import { runDoctor } from '../../../apps/doctor/doctor-checks.ts';
import { DOCTOR_COMMANDS, hostRunAsync, withPrefetchedRuns, type RunAsync } from '../../../apps/doctor/prefetch-probe.ts';

const ok = (stdout: string): RunResult => ({ code: 0, stdout, stderr: '' });

/** A host where every program is on PATH and each command answers with its own argv. */
function fakeHost(): { probe: HostProbe; syncRuns: string[][] } {
  const syncRuns: string[][] = [];
  const probe: HostProbe = {
    env: {},
    which: (p) => `/usr/bin/${p}`,
    run: (argv) => (syncRuns.push(argv), ok(`sync ${argv.join(' ')}`)),
    readText: () => undefined,
    exists: () => false,
    isCharDevice: () => false,
    canReadWrite: () => false,
    uid: 1000,
    user: 'dev',
  };
  return { probe, syncRuns };
}

describe("doctor's external commands run at once", () => {
  test('every command is started before any has finished', async () => {
    const { probe } = fakeHost();
    const started: string[] = [];
    const finish: (() => void)[] = [];
    const runAsync: RunAsync = (argv) =>
      new Promise((resolve) => {
        started.push(argv.join(' '));
        finish.push(() => resolve(ok(`async ${argv.join(' ')}`)));
      });
    const pending = withPrefetchedRuns(probe, DOCTOR_COMMANDS, runAsync);
    await Promise.resolve();
    expect(started).toEqual(DOCTOR_COMMANDS.map((c) => c.argv.join(' ')));
    for (const f of finish) f();
    await pending;
  });

  test('the checks read the prefetched results; a command not prefetched (or with another timeout) runs as before', async () => {
    const { probe, syncRuns } = fakeHost();
    const prefetched = await withPrefetchedRuns(probe, [{ argv: ['podman', 'info', '--format', 'json'], timeoutMs: 30_000 }], async (argv) => ok(`async ${argv.join(' ')}`));
    expect(prefetched.run(['podman', 'info', '--format', 'json'], 30_000).stdout).toBe('async podman info --format json');
    expect(syncRuns).toEqual([]);
    expect(prefetched.run(['podman', 'info', '--format', 'json'], 5_000).stdout).toBe('sync podman info --format json');
    expect(prefetched.run(['git', '--version']).stdout).toBe('sync git --version');
  });

  test('every command the checks run is among the prefetched ones (same argv, same timeout)', async () => {
    const { probe, syncRuns } = fakeHost();
    const prefetched = await withPrefetchedRuns(probe, DOCTOR_COMMANDS, async (argv) => ok(argv[1] === 'info' ? '{}' : `${argv[0]} 1.0`));
    const report = runDoctor({ ...prefetched, env: { XDG_CONFIG_HOME: '/nonexistent/peers-doctor-test' } });
    expect(report.checks.find((c) => c.id === 'podman')?.detail).toBe('podman 1.0');
    expect(syncRuns).toEqual([]);
  });

  test('a program not on PATH is not started', async () => {
    const { probe } = fakeHost();
    const started: string[] = [];
    await withPrefetchedRuns({ ...probe, which: (p) => (p === 'git' ? '/usr/bin/git' : undefined) }, DOCTOR_COMMANDS, async (argv) => (started.push(argv[0]!), ok('')));
    expect(started).toEqual(['git']);
  });

  test('on this machine, doctor with prefetching reports exactly what it reports without', async () => {
    const probe = realHostProbe();
    const plain = runDoctor(probe);
    const fast = runDoctor(await withPrefetchedRuns(probe, DOCTOR_COMMANDS, hostRunAsync(probe)));
    expect(fast).toEqual(plain);
  }, 60_000);

  test('the asynchronous run reports a missing program and a timeout like the synchronous one fails', async () => {
    const probe = realHostProbe();
    const run = hostRunAsync(probe);
    const missing = await run(['/nonexistent/peers-no-such-program'], 5_000);
    expect(missing.code).toBeNull();
    expect(missing.error).toContain('ENOENT');
    const slow = await run(['sleep', '5'], 100);
    expect(slow.code).toBeNull();
    expect(slow.error).toContain('SIGTERM');
    expect(await run(['sh', '-c', 'echo out; echo err >&2; exit 3'], 5_000)).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  // doctor's `podman run` of the image checks starts a container as `peers up` does: under a HOME
  // like /home/josé its log path is outside ASCII, which conmon takes only in a UTF-8 locale.
  test('podman runs, at once or not, in the locale every podman of peers runs in; other programs in the probe\'s own environment', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'peers-doctor-podman-'));
    try {
      writeFileSync(join(bin, 'podman'), '#!/bin/sh\nenv\n');
      chmodSync(join(bin, 'podman'), 0o755);
      const probe = realHostProbe({ PATH: `${bin}:/usr/bin:/bin`, LC_ALL: 'C' });
      expect(probe.run(['podman', 'info']).stdout.split('\n')).toContain('LC_ALL=C.UTF-8');
      expect((await hostRunAsync(probe)(['podman', 'info'], 5_000)).stdout.split('\n')).toContain('LC_ALL=C.UTF-8');
      expect(probe.run(['env']).stdout.split('\n')).toContain('LC_ALL=C');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
