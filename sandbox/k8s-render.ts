/**
 * Renders the same pod spec as Kubernetes objects. Pod members (workspace, auth, bridge) form one
 * Pod; each container with its own network namespace (loop, gates, egress) becomes its own Pod, as
 * in podman. Every Pod gets a NetworkPolicy: none may send or receive anything, except the egress
 * Pod, which may send anywhere (its allow-list decides). The shared socket dirs are node-local
 * volumes (a PersistentVolumeClaim per dir, ReadWriteMany on a node-local class), and podAffinity
 * keeps the project's Pods on one node, because Unix sockets do not cross nodes.
 */
import { stringify } from 'yaml';
import type { ContainerSpec, MountSpec, PodSpec } from './pod-spec.ts';
import { EGRESS_TEST_NETWORK } from './test-upstream.ts';

const volName = (m: MountSpec, i: number, c: ContainerSpec): string => {
  if (m.kind === 'shared-dir') return `shared-${m.name}`;
  if (m.kind === 'volume') return m.name;
  return `${c.role}-${m.kind}-${i}`;
};

function container(c: ContainerSpec, podPrefix: string): { spec: Record<string, unknown>; volumes: Record<string, unknown>[] } {
  const volumes: Record<string, unknown>[] = [];
  const mounts = c.mounts.map((m, i) => {
    const name = volName(m, i, c);
    if (m.kind === 'bind') volumes.push({ name, hostPath: { path: m.source } });
    if (m.kind === 'tmpfs') volumes.push({ name, emptyDir: { medium: 'Memory', sizeLimit: `${m.sizeMiB}Mi` } });
    if (m.kind === 'volume') volumes.push({ name, persistentVolumeClaim: { claimName: m.name } });
    if (m.kind === 'shared-dir') volumes.push({ name, persistentVolumeClaim: { claimName: `${podPrefix}-${m.name}` } });
    return { name, mountPath: m.target, readOnly: m.kind === 'tmpfs' ? Boolean(m.readOnly) : m.readOnly };
  });
  const env = [
    ...Object.entries(c.env).map(([name, value]) => ({ name, value })),
    ...c.secretEnv.map((name) => ({ name, valueFrom: { secretKeyRef: { name: 'peers-credentials', key: name } } })),
  ];
  return {
    volumes,
    spec: {
      name: c.role,
      image: c.image,
      command: c.command,
      workingDir: c.workdir,
      env,
      volumeMounts: mounts,
      resources: { limits: { memory: `${c.memoryMiB}Mi` } },
      securityContext: {
        readOnlyRootFilesystem: c.readOnlyRoot,
        allowPrivilegeEscalation: !c.noNewPrivileges,
        capabilities: { drop: c.capDrop },
        runAsNonRoot: true,
        // The runtime's default profile: containerd's refuses unshare/clone of a user namespace
        // without CAP_SYS_ADMIN; CRI-O's (podman's) does not (SECURITY.md, known limits).
        ...(c.noUserNamespaces ? { seccompProfile: { type: 'RuntimeDefault' } } : {}),
      },
    },
  };
}

function pod(name: string, labels: Record<string, string>, cs: ContainerSpec[]): Record<string, unknown> {
  const prefix = `peers-${labels['peers/project']}`;
  const rendered = cs.map((c) => container(c, prefix));
  const seen = new Set<string>();
  const volumes = rendered.flatMap((r) => r.volumes).filter((v) => {
    const n = v.name as string;
    if (seen.has(n)) return false;
    seen.add(n);
    return true;
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: {
      automountServiceAccountToken: false,
      hostNetwork: false,
      securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
      containers: rendered.map((r) => r.spec),
      volumes,
    },
  };
}

const k8sLabels = (spec: PodSpec, role: string) => ({ 'app.kubernetes.io/name': 'peers', 'peers/project': spec.project, 'peers/role': role });

function policy(name: string, labels: Record<string, string>, allowEgress: boolean): Record<string, unknown> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `${name}-network` },
    spec: { podSelector: { matchLabels: labels }, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: allowEgress ? [{}] : [] },
  };
}

export function renderK8s(spec: PodSpec): string {
  // The test-only stand-in vendor (sandbox/test-upstream.ts) is a podman arrangement; never a manifest.
  if (spec.containers.some((c) => c.network === EGRESS_TEST_NETWORK)) throw new Error('a pod spec with a test upstream cannot be rendered for Kubernetes');
  const groups: { name: string; role: string; containers: ContainerSpec[] }[] = [
    { name: spec.podName, role: 'pod', containers: spec.containers.filter((c) => c.placement === 'pod') },
    ...spec.containers.filter((c) => c.placement === 'own').map((c) => ({ name: c.name, role: c.role, containers: [c] })),
  ];
  const docs: Record<string, unknown>[] = [];
  for (const g of groups) {
    const labels = k8sLabels(spec, g.role);
    const p = pod(g.name, labels, g.containers);
    (p.spec as Record<string, unknown>).affinity = {
      podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { 'peers/project': spec.project } }, topologyKey: 'kubernetes.io/hostname' }] },
    };
    docs.push(p, policy(g.name, labels, g.containers.some((c) => c.network !== 'none')));
  }
  for (const d of spec.sharedDirs) {
    docs.push({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: `${spec.podName}-${d}` },
      spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '64Mi' } } },
    });
  }
  return docs.map((d) => stringify(d)).join('---\n');
}
