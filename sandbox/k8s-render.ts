/**
 * Renders the same pod spec as Kubernetes objects: the pod (loop, workspace, gates, auth, bridge)
 * with a deny-all NetworkPolicy, and the egress proxy as its own pod whose policy allows egress.
 * In Kubernetes the bridge ↔ egress Unix socket becomes a TCP hop to the egress Service, so the
 * pod's policy allows exactly that one destination.
 */
import { stringify } from 'yaml';
import type { ContainerSpec, MountSpec, PodSpec } from './pod-spec.ts';

const volName = (m: MountSpec, i: number, c: ContainerSpec): string => {
  if (m.kind === 'shared-dir') return `shared-${m.name}`;
  if (m.kind === 'volume') return m.name;
  return `${c.role}-${m.kind}-${i}`;
};

function container(c: ContainerSpec): { spec: Record<string, unknown>; volumes: Record<string, unknown>[] } {
  const volumes: Record<string, unknown>[] = [];
  const mounts = c.mounts.map((m, i) => {
    const name = volName(m, i, c);
    if (m.kind === 'bind') volumes.push({ name, hostPath: { path: m.source } });
    if (m.kind === 'tmpfs') volumes.push({ name, emptyDir: { medium: 'Memory', sizeLimit: `${m.sizeMiB}Mi` } });
    if (m.kind === 'volume') volumes.push({ name, persistentVolumeClaim: { claimName: m.name } });
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
      },
    },
  };
}

function pod(name: string, labels: Record<string, string>, cs: ContainerSpec[], shared: string[]): Record<string, unknown> {
  const rendered = cs.map(container);
  const seen = new Set<string>();
  const volumes = [...shared.map((n) => ({ name: `shared-${n}`, emptyDir: {} })), ...rendered.flatMap((r) => r.volumes)].filter((v) => {
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

export function renderK8s(spec: PodSpec): string {
  const podLabels = k8sLabels(spec, 'pod');
  const egressLabels = k8sLabels(spec, 'egress');
  const docs = [
    pod(spec.podName, podLabels, spec.containers, spec.sharedDirs),
    pod(spec.egress.name, egressLabels, [spec.egress], ['egress', 'egress-log']),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `${spec.podName}-egress-only-via-proxy` },
      spec: {
        podSelector: { matchLabels: podLabels },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [],
        egress: [{ to: [{ podSelector: { matchLabels: egressLabels } }] }],
      },
    },
  ];
  return docs.map((d) => stringify(d)).join('---\n');
}
