/**
 * The pod spec's mounts as Kubernetes volumes (docs/ARCHITECTURE.md, "Kubernetes"). A cluster
 * has no host paths, so every bind mount must be told what it is there (`binds`): a claim (or a
 * subdirectory of one), the ConfigMap of the control-plane snapshot (read-only by nature), or a
 * file the image already holds (the peers binary). A bind nobody mapped is an error, never a
 * hostPath. tmpfs becomes a memory emptyDir (a mask stays empty and read-only); a shared dir used
 * inside one Pod only becomes an emptyDir, one shared across Pods (a runner's or the egress
 * proxy's socket) a subdirectory of the sockets claim, one kept as run history (the egress audit
 * log, the auth ledger) a subdirectory of the state claim. Each subdirectory is mounted with
 * subPath, so a container sees its own directory only, read-only unless it creates the socket.
 */
import type { V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { PeersError } from '../../src/cli/errors.ts';
import { PEERS_BIN_IN_CONTAINER } from '../pod-layout.ts';
import type { ContainerSpec } from '../pod-spec.ts';

/** `file`: the subPath is a file (the budget policy), made by the delivery, never as a directory. */
export type K8sBind = { claim: string; subPath?: string; file?: true } | { configMap: string } | { inImage: true };
export type ClaimDir = { claim: string; subPath: string };

export type VolumeInputs = {
  binds: Record<string, K8sBind>;
  /** Shared dirs kept on a claim (run history), by name. */
  persistentDirs: Record<string, ClaimDir>;
  socketsClaim: string;
  /** The claim of a named volume of the spec. */
  volumeClaim: (volume: string) => string;
};

export type PodGroup = { kind: string; name: string; containers: ContainerSpec[] };

export type PodVolumes = {
  volumes: V1Volume[];
  mounts: Map<ContainerSpec, V1VolumeMount[]>;
  /** Claim subdirectories this Pod mounts; `fresh` where one of its containers creates sockets. */
  dirs: (ClaimDir & { fresh: boolean })[];
  /** Where each shared dir lands in the cluster, for the sockets the run Pod waits for. */
  sharedDirClaims: Map<string, ClaimDir>;
};

const sharesDir = (g: PodGroup, name: string) => g.containers.some((c) => c.mounts.some((m) => m.kind === 'shared-dir' && m.name === name));

export function podVolumes(group: PodGroup, groups: PodGroup[], inp: VolumeInputs): PodVolumes {
  const volumes = new Map<string, V1Volume>();
  const mounts = new Map<ContainerSpec, V1VolumeMount[]>();
  const dirs = new Map<string, ClaimDir & { fresh: boolean }>();
  const sharedDirClaims = new Map<string, ClaimDir>();
  const claim = (name: string) => volumes.set(name, { name, persistentVolumeClaim: { claimName: name } });
  const dir = (d: ClaimDir, fresh: boolean) => {
    const key = `${d.claim}/${d.subPath}`;
    dirs.set(key, { ...d, fresh: fresh || Boolean(dirs.get(key)?.fresh) });
  };

  for (const c of group.containers) {
    const list: V1VolumeMount[] = [];
    c.mounts.forEach((m, i) => {
      switch (m.kind) {
        case 'bind': {
          const ref = inp.binds[m.source];
          if (!ref) throw new PeersError(`no Kubernetes volume for ${m.source} (mounted at ${m.target} in ${c.role}): a host path is never mounted in a cluster`);
          if ('inImage' in ref) {
            if (m.target !== PEERS_BIN_IN_CONTAINER) throw new PeersError(`only the peers binary comes from the image, not ${m.target}`);
            return;
          }
          if ('configMap' in ref) {
            if (!m.readOnly) throw new PeersError(`${m.target} in ${c.role} must be writable, but a ConfigMap is read-only`);
            volumes.set('control', { name: 'control', configMap: { name: ref.configMap, defaultMode: 0o444 } });
            list.push({ name: 'control', mountPath: m.target, readOnly: true });
            return;
          }
          claim(ref.claim);
          if (ref.subPath && !ref.file) dir({ claim: ref.claim, subPath: ref.subPath }, false);
          list.push({ name: ref.claim, mountPath: m.target, readOnly: m.readOnly, ...(ref.subPath ? { subPath: ref.subPath } : {}) });
          return;
        }
        case 'tmpfs': {
          const name = `${c.role}-tmpfs-${i}`;
          volumes.set(name, { name, emptyDir: { medium: 'Memory', sizeLimit: `${m.sizeMiB}Mi` } });
          list.push({ name, mountPath: m.target, readOnly: Boolean(m.readOnly) });
          return;
        }
        case 'shared-dir': {
          const where = inp.persistentDirs[m.name] ?? (groups.filter((g) => sharesDir(g, m.name)).length > 1 ? { claim: inp.socketsClaim, subPath: m.name } : undefined);
          if (!where) {
            const name = `dir-${m.name}`;
            volumes.set(name, { name, emptyDir: {} });
            list.push({ name, mountPath: m.target, readOnly: m.readOnly });
            return;
          }
          claim(where.claim);
          sharedDirClaims.set(m.name, where);
          // Stale sockets of an earlier run are cleared by the Pod that creates them, nowhere else.
          dir(where, !m.readOnly && where.claim === inp.socketsClaim);
          list.push({ name: where.claim, mountPath: m.target, readOnly: m.readOnly, subPath: where.subPath });
          return;
        }
        case 'volume': {
          const name = inp.volumeClaim(m.name);
          claim(name);
          list.push({ name, mountPath: m.target, readOnly: m.readOnly });
          return;
        }
      }
    });
    mounts.set(c, list);
  }
  return { volumes: [...volumes.values()], mounts, dirs: [...dirs.values()], sharedDirClaims };
}
