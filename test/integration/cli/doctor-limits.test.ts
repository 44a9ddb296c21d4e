/**
 * The real `peers doctor` as the unprivileged test user, on this machine: its limits check agrees
 * with what rootless podman reports here, and on a cgroup v1 host (Debian 12 CI) says that the
 * nproc ulimit is what applies — the same ulimit test/e2e/pod-hardening.test.ts finds in the pod.
 */
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { asUser, podmanAsUser } from '../../e2e/podman-user.ts';
import { requires } from '../../requirements.ts';

const BUN = join(import.meta.dir, '../../../node_modules/.bin/bun');
const MAIN = join(import.meta.dir, '../../../src/main.ts');

const need = requires('root', 'podman');

test.skipIf(!need.ok)(`as the test user: the limits check matches podman\'s cgroup report and names the nproc ulimit where limits are not enforced${need.skipped}`, () => {
  const info = JSON.parse(podmanAsUser(['info', '--format', 'json']).stdout) as { host: { cgroupVersion: string; cgroupControllers: string[] | null } };
  const r = asUser([BUN, MAIN, 'doctor', '--json'], { cwd: '/tmp', timeoutMs: 90_000 });
  const check = (JSON.parse(r.stdout) as { checks: { id: string; status: string; detail: string }[] }).checks.find((c) => c.id === 'limits')!;
  const delegated = info.host.cgroupVersion === 'v2' && ['memory', 'pids'].every((c) => (info.host.cgroupControllers ?? []).includes(c));
  expect(check.status).toBe(delegated ? 'ok' : 'warn');
  if (!delegated) expect(check.detail).toContain('What applies: an nproc ulimit per container (workspace 16384');
  if (info.host.cgroupVersion === 'v1') expect(check.detail).toStartWith('cgroup v1: rootless podman cannot apply --memory or --pids-limit');
}, 120_000);
