/**
 * Playing the Kubernetes objects `peers up --dry-run k8s` renders with `podman kube play` (podman
 * 4.3, the engine this machine has; no cluster is reachable here). podman stands in for the
 * cluster where it can, and this module does by hand, each on the rendered YAML, what podman 4.3
 * does not implement:
 *
 *  - NetworkPolicy: podman ignores it. The isolated Pods (run, gates) are played with
 *    `--network none`, the egress Pod with slirp4netns: the same reach the policies give.
 *  - PersistentVolumeClaim: a directory per claim (what a node-local provisioner does), owned by
 *    the run's user (what fsGroup does).
 *  - subPath: podman 4.3 ignores it (every subPath mount would see the claim's root), so each
 *    subPath mount is bound to its subdirectory of the claim's directory, as the kubelet does.
 *  - Secret: podman reads a Secret from its own secret store, as JSON. A Secret mounted as a
 *    volume (the runners' keys) becomes a directory of the claims holding its items as files
 *    (`secretDirs`: the test writes them, as the kubelet does).
 *  - resources: rootless podman on cgroup v1 cannot apply limits (it refuses to start the Pod).
 *  - emptyDir: podman 4.3 makes it a named volume on disk, shared by name (not a per-Pod tmpfs).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { V1Pod, V1Volume } from '@kubernetes/client-node';
import type { K8sObject } from '../../sandbox/k8s/k8s-render.ts';

export type PodmanPlay = {
  /** Pods by the network podman gives them. */
  egress: V1Pod[];
  isolated: V1Pod[];
  /** Claim name → its directory. */
  claims: Record<string, string>;
  /** Every emptyDir volume name (podman makes them named volumes: removed after the test). */
  emptyDirs: string[];
  /** Each Secret volume: the directory that stands in for it, the Secret and the items it holds. */
  secretDirs: { path: string; secret: string; items: { key: string; path: string }[] }[];
};

export function forPodman(objects: K8sObject[], claimsDir: string): PodmanPlay {
  const claims: Record<string, string> = {};
  for (const o of objects) if (o.kind === 'PersistentVolumeClaim') claims[o.metadata!.name!] = join(claimsDir, o.metadata!.name!);
  const out: PodmanPlay = { egress: [], isolated: [], claims, emptyDirs: [], secretDirs: [] };
  // A subPath no init container makes as a directory is a file the delivery brings (the budget policy).
  const initDirs = new Set(objects.flatMap((o) => (o.kind === 'Pod' ? (o as V1Pod).spec!.initContainers!.flatMap((c) => c.command!.filter((_, i, a) => a[i - 1] === '--dir' || a[i - 1] === '--fresh-dir')) : [])));
  for (const o of objects) {
    if (o.kind !== 'Pod') continue;
    const pod = structuredClone(o) as V1Pod;
    const spec = pod.spec!;
    const byName = new Map(spec.volumes!.map((v) => [v.name, v]));
    const extra: V1Volume[] = [];
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      delete c.resources;
      for (const m of c.volumeMounts ?? []) {
        const claim = byName.get(m.name)?.persistentVolumeClaim?.claimName;
        if (!m.subPath || !claim) continue;
        const name = `sp-${createHash('sha256').update(`${claim}/${m.subPath}`).digest('hex').slice(0, 12)}`;
        const isDir = initDirs.has(`/volumes/${claim}/${m.subPath}`);
        if (!extra.some((v) => v.name === name)) extra.push({ name, hostPath: { path: join(claims[claim]!, m.subPath), type: isDir ? 'DirectoryOrCreate' : 'FileOrCreate' } });
        m.name = name;
        delete m.subPath;
      }
    }
    const secretDir = (v: V1Volume): V1Volume => {
      const path = join(claimsDir, `.secret-${pod.metadata!.name}-${v.name}`);
      out.secretDirs.push({ path, secret: v.secret!.secretName!, items: (v.secret!.items ?? []).map((i) => ({ key: i.key, path: i.path })) });
      return { name: v.name, hostPath: { path, type: 'Directory' } };
    };
    spec.volumes = [
      ...spec.volumes!.map((v) => (v.persistentVolumeClaim ? { name: v.name, hostPath: { path: claims[v.persistentVolumeClaim.claimName]!, type: 'Directory' } } : v.secret ? secretDir(v) : v)),
      ...extra,
    ];
    out.emptyDirs.push(...spec.volumes.filter((v) => v.emptyDir).map((v) => v.name));
    (pod.metadata?.labels?.['peers.dev/pod'] === 'egress' ? out.egress : out.isolated).push(pod);
  }
  return out;
}
