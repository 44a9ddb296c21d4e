/**
 * Resource requests and limits of each container on Kubernetes: the memory limit of the pod spec
 * (the same cap podman applies) unless `kubernetes.resources` in the config says otherwise, and
 * requests the scheduler can pack many runs with (a quarter of the memory limit, a CPU share by
 * role). A container's pids limit has no per-container field in the Pod API: the node's
 * `podPidsLimit` (kubelet) is what caps forks there (docs/ARCHITECTURE.md, "Kubernetes").
 */
import type { V1ResourceRequirements } from '@kubernetes/client-node';
import { InputError } from '../../src/cli/errors.ts';
import type { KubernetesConfig } from '../../src/config/kubernetes-schema.ts';

/** CPU requested by default: the peers' and gates' containers do the work, sidecars mostly wait. */
const CPU_REQUEST: Record<string, string> = { workspace: '500m', gates: '500m', setup: '500m', loop: '100m' };
const SIDECAR_CPU_REQUEST = '50m';

export function resourcesFor(role: string, memoryMiB: number, config: KubernetesConfig['resources']): V1ResourceRequirements {
  const set = config?.[role as keyof NonNullable<KubernetesConfig['resources']>];
  const limits: Record<string, string> = { memory: `${memoryMiB}Mi`, ...set?.limits };
  const requests: Record<string, string> = { cpu: CPU_REQUEST[role] ?? SIDECAR_CPU_REQUEST, memory: `${Math.max(16, Math.floor(memoryMiB / 4))}Mi`, ...set?.requests };
  // A request above its limit is refused by the API server: a raised request lifts a default limit.
  for (const k of ['cpu', 'memory'] as const) {
    if (!limits[k] || !requests[k] || quantity(requests[k]) <= quantity(limits[k])) continue;
    if (set?.limits?.[k]) throw new InputError(`kubernetes.resources.${role}: requests.${k} ${requests[k]} is above limits.${k} ${limits[k]}`, { hint: 'Kubernetes refuses a request above its limit: lower the request or raise the limit' });
    limits[k] = requests[k];
  }
  return { requests, limits };
}

const SUFFIX: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** The value of a Kubernetes quantity (`500m`, `4Gi`), for comparisons only. */
export function quantity(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(m|k|K|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) return Number.NaN;
  return Number(m[1]) * SUFFIX[m[2] ?? '']!;
}
