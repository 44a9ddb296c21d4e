/**
 * `peers doctor` says whether the pod's pids/memory limits are enforced here, and when they are not
 * (rootless cgroup v1, or v2 without delegation), what does apply and how to get the rest.
 */
import { describe, expect, test } from 'bun:test';
import type { DoctorCheck } from '../../../apps/doctor/doctor-check.ts';
import { runDoctor } from '../../../apps/doctor/doctor-checks.ts';
import type { HostProbe } from '../../../apps/doctor/host-probe.ts';

/** A machine with podman whose `podman info` reports `host`; every other probe finds nothing. */
function probeWith(host: Record<string, unknown> | null): HostProbe {
  return {
    env: { XDG_CONFIG_HOME: '/nonexistent/peers-doctor-test' },
    which: (p) => (p === 'podman' ? '/usr/bin/podman' : undefined),
    run: (argv) => {
      if (argv[1] === '--version') return { code: 0, stdout: 'podman version 4.3.1\n', stderr: '' };
      if (argv[1] === 'info' && host) return { code: 0, stdout: JSON.stringify({ host }), stderr: '' };
      return { code: 125, stdout: '', stderr: 'Error: cannot connect' };
    },
    readText: () => undefined,
    exists: () => false,
    isCharDevice: () => false,
    canReadWrite: () => false,
    uid: 1000,
    user: 'dev',
  };
}
const limits = (host: Record<string, unknown> | null): DoctorCheck => runDoctor(probeWith(host)).checks.find((c) => c.id === 'limits')!;

describe('peers doctor: pids/memory limits', () => {
  test('rootless cgroup v1 (this CI machine): a warning naming what applies — the nproc ulimits — and how to get real limits', () => {
    const c = limits({ cgroupVersion: 'v1', cgroupControllers: [], ociRuntime: { name: 'runc' } });
    expect(c.status).toBe('warn');
    expect(c.required).toBe(false);
    expect(c.detail).toStartWith('cgroup v1: rootless podman cannot apply --memory or --pids-limit, so the pod\'s containers have no memory cap and no pids limit.');
    expect(c.detail).toContain('What applies: an nproc ulimit per container (workspace 16384, gates 16384, loop 2048, auth 17408, egress 512, bridge 17408), nofile 4096');
    expect(c.fix).toStartWith('boot with cgroup v2 (kernel argument systemd.unified_cgroup_hierarchy=1), then sudo mkdir -p /etc/systemd/system/user@.service.d');
    expect(c.fix).toContain('Delegate=memory pids');
  });

  test('cgroup v2 without the pids controller delegated: a warning whose fix is the delegation alone', () => {
    const c = limits({ cgroupVersion: 'v2', cgroupControllers: ['cpu', 'memory'] });
    expect(c.status).toBe('warn');
    expect(c.detail).toStartWith('cgroup v2, but the pids controller is not delegated to this user');
    expect(c.fix).toStartWith('sudo mkdir -p /etc/systemd/system/user@.service.d');
  });

  test('cgroup v2 with memory and pids delegated: ok, the limits are enforced', () => {
    const c = limits({ cgroupVersion: 'v2', cgroupControllers: ['cpu', 'io', 'memory', 'pids'] });
    expect(c).toMatchObject({ status: 'ok', detail: 'cgroup v2 with the memory and pids controllers delegated: every container gets --memory and --pids-limit' });
  });

  test('podman info failing: skipped (the podman-info check reports the failure)', () => {
    expect(limits(null).status).toBe('skip');
  });
});
