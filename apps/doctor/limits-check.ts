/**
 * `peers doctor`'s resource-limits check: whether the pod's pids and memory limits are enforced on
 * this host (sandbox/host-limits.ts decides, as for `peers up`), and if not, what applies instead.
 */
import { limitsSupport } from '../../sandbox/host-limits.ts';
import { DEFAULT_LIMITS, type Role } from '../../sandbox/pod-layout.ts';
import { nprocUlimitFor } from '../../sandbox/podman-render.ts';
import type { DoctorCheck } from './doctor-check.ts';

const DELEGATE =
  "sudo mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\\nDelegate=memory pids\\n' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf && sudo systemctl daemon-reload  # then log in again";
const CGROUP_V2 = 'boot with cgroup v2 (kernel argument systemd.unified_cgroup_hierarchy=1), then';

export type CgroupInfo = { cgroupVersion?: string; cgroupControllers?: string[] };

export function limitsCheck(host: CgroupInfo | undefined): DoctorCheck {
  const base = { id: 'limits', title: 'pids/memory limits', required: false } as const;
  if (!host) return { ...base, status: 'skip', detail: 'needs podman info' };
  const s = limitsSupport(host.cgroupVersion, host.cgroupControllers);
  if (s.effective) return { ...base, status: 'ok', detail: s.detail };
  const order: Role[] = ['workspace', 'gates', 'loop', 'auth', 'egress', 'bridge'];
  const nproc = order.map((r) => `${r} ${nprocUlimitFor(r)}`).join(', ');
  return {
    ...base,
    status: 'warn',
    detail: `${s.detail}, so the pod's containers have no memory cap and no pids limit. What applies: an nproc ulimit per container (${nproc}), nofile 4096, and size-capped tmpfs for /tmp and HOME.`,
    fix: s.cgroupVersion === 'v2' ? DELEGATE : `${CGROUP_V2} ${DELEGATE}`,
  };
}
