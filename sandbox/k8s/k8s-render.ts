/**
 * Renders the pod spec (pod-spec.ts) as the Kubernetes objects of one run (docs/ARCHITECTURE.md,
 * "Kubernetes"). Pure: `peers up --target k8s` applies exactly these objects and
 * `peers up --dry-run k8s` prints them.
 *
 * The pod members (placement `pod`: loop, workspace, auth, bridge, the rehearsal's model server)
 * form the run Pod; each container with its own network namespace (setup, gates, egress) is a Pod of its own, pinned to the run Pod's node
 * (podAffinity), because they meet through Unix sockets on a volume. NetworkPolicies isolate every
 * Pod both ways and let the egress Pod alone reach out (network-policy.ts). The credentials are a
 * Secret only the auth container references; the runners' per-run keys a Secret only the init
 * containers (each its own Pod's runners' keys) and the loop mount. Every Pod runs as a non-root user with no service
 * account token, no host namespaces, all capabilities dropped, a read-only root and a seccomp
 * profile, which the restricted Pod Security level of the namespace peers creates also enforces.
 * What Kubernetes cannot express is listed in SECURITY.md ("Kubernetes").
 */
import type { V1ConfigMap, V1Container, V1EnvVar, V1Namespace, V1NetworkPolicy, V1PersistentVolumeClaim, V1Pod, V1SeccompProfile, V1Secret, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { PeersError } from '../../src/cli/errors.ts';
import type { KubernetesConfig } from '../../src/config/kubernetes-schema.ts';
import { ANNOTATION_KEY, type K8sNames, projectLabels, RUN_POD_KIND } from './names.ts';
import { networkPolicies } from './network-policy.ts';
import { type ClaimDir, type K8sBind, podVolumes, type PodGroup } from './pod-volumes.ts';
import { resourcesFor } from './resources.ts';
import { baseSecurity, claimRoot, DELIVERY_MARKER, INIT_BINARY, afterListeners, initContainer, initTmpVolume, listenedPorts, listenedSockets, readerContainer } from './transport.ts';
import type { ContainerSpec, PodSpec } from '../pod-spec.ts';
import { RUNNER_KEY_FILE, RUNNER_KEYS_FILE } from '../runner-key.ts';
import { EGRESS_TEST_NETWORK } from '../test-upstream.ts';

export type { K8sBind } from './pod-volumes.ts';
export type K8sObject = V1Namespace | V1Secret | V1ConfigMap | V1PersistentVolumeClaim | V1NetworkPolicy | V1Pod;

/** The user every container runs as: `peer` of the image (uid 1000), never root. */
export const RUN_AS = 1000;

export type K8sRunInputs = {
  names: K8sNames;
  namespace: string;
  /** The peers image (the binary inside): every container runs it. */
  image: string;
  /** Create the namespace (the default per-project one), with the restricted Pod Security level. */
  createNamespace: boolean;
  /** What each host path the spec bind-mounts is in the cluster (pod-volumes.ts). */
  binds: Record<string, K8sBind>;
  /** Shared dirs kept as run history on the state claim, by name. */
  persistentDirs: Record<string, ClaimDir>;
  /** The credentials' values by name; without them (a dry run) no Secret is rendered. */
  secretValues?: Record<string, string>;
  /** The runners' per-run keys (hex, by role; sandbox/runner-key.ts); without them (a dry run) no Secret of them is rendered. */
  runnerKeys?: Record<string, string>;
  /** The files of the ConfigMap a `{ configMap }` bind refers to. */
  controlFiles?: Record<string, string>;
  /** TCP ports the egress Pod may reach (network-policy.ts). */
  egressPorts: number[];
  config: KubernetesConfig;
  annotations: Record<string, string>;
};

/** Where a Pod's init container reads its runners' keys, and the loop its copy of them all. */
const KEYS_IN_INIT = '/runner-keys';
const KEYDIRS_IN_INIT = '/runner-key-dirs';
const KEYS_IN_LOOP = '/run/peers-runner-keys';
const RUNNER_KEYS_VOLUME = 'runner-keys';

const isRunner = (c: ContainerSpec): boolean => c.command[1] === 'runner';

/** A runner's `--key-dir`, if it takes a key. */
function keyDirOf(c: ContainerSpec): string | undefined {
  const i = c.command.indexOf('--key-dir');
  return isRunner(c) && i > 0 ? c.command[i + 1] : undefined;
}

/** Start order inside a Pod: sidecars, runners, the reader, the loop last (as podman starts them). */
const START_ORDER = ['egress', 'bridge', 'auth', 'model-server', 'setup', 'gates', 'workspace', 'reader', 'loop'];

export function podGroups(spec: PodSpec, names: K8sNames): PodGroup[] {
  return [
    { kind: RUN_POD_KIND, name: names.pod(RUN_POD_KIND), containers: spec.containers.filter((c) => c.placement === 'pod') },
    ...spec.containers.filter((c) => c.placement === 'own').map((c) => ({ kind: c.role, name: names.pod(c.role), containers: [c] })),
  ];
}

export function seccompOf(config: KubernetesConfig): V1SeccompProfile {
  return config.seccomp === 'runtime-default' ? { type: 'RuntimeDefault' } : { type: 'Localhost', localhostProfile: config.seccomp.slice('localhost/'.length) };
}

function env(c: ContainerSpec, secret: string): V1EnvVar[] {
  return [
    ...Object.entries(c.env).map(([name, value]) => ({ name, value })),
    // By reference only: the value lives in the Secret, never in the Pod object.
    ...c.secretEnv.map((name) => ({ name, valueFrom: { secretKeyRef: { name: secret, key: name } } })),
  ];
}

/** Whether a Pod mounts something of the state claim other than a shared dir (the delivered run). */
function readsDelivered(g: PodGroup, inp: K8sRunInputs): boolean {
  return g.containers.some((c) => c.mounts.some((m) => m.kind === 'bind' && (inp.binds[m.source] as { claim?: string } | undefined)?.claim === inp.names.stateClaim));
}

function podOf(g: PodGroup, groups: PodGroup[], inp: K8sRunInputs): V1Pod {
  const { names } = inp;
  const vols = podVolumes(g, groups, { binds: inp.binds, persistentDirs: inp.persistentDirs, socketsClaim: names.socketsClaim, volumeClaim: names.volumeClaim });
  const hasLoop = g.containers.some((c) => c.role === 'loop');
  const others = (c: ContainerSpec) => g.containers.filter((x) => x !== c);
  const containers: V1Container[] = g.containers.map((c) => {
    // The loop starts after the runners and the bridge of its Pod listen (podman starts them in order).
    const command = c.role === 'loop' ? afterListeners(c.command, others(c).flatMap(listenedSockets), others(c).flatMap(listenedPorts)) : c.command;
    return {
      name: c.role,
      image: inp.image,
      command: [INIT_BINARY, '--', ...command],
      workingDir: c.workdir,
      env: env(c, names.credentials),
      volumeMounts: vols.mounts.get(c),
      resources: resourcesFor(c.role, c.memoryMiB, inp.config.resources),
      securityContext: baseSecurity,
    };
  });
  // The runners' keys (sandbox/runner-key.ts): this Pod's init container copies each runner's
  // key from the Secret into the runner's own key dir (an emptyDir no other container mounts),
  // where the runner takes it and removes it before it listens, so before any peer or gate code
  // runs; the loop reads the keys from its own mount of the Secret. No other container mounts it.
  const keyed = g.containers.filter((c) => keyDirOf(c));
  const keyVolumes: V1Volume[] = [];
  const initKeyMounts: V1VolumeMount[] = [];
  const runnerKeys: { from: string; to: string }[] = [];
  for (const c of keyed) {
    const dir = keyDirOf(c)!;
    const m = vols.mounts.get(c)?.find((x) => x.mountPath === dir);
    const v = m && vols.volumes.find((x) => x.name === m.name);
    if (!m || !v?.emptyDir || g.containers.some((x) => x !== c && vols.mounts.get(x)?.some((y) => y.name === m.name))) {
      throw new PeersError(`the ${c.role} runner's key dir ${dir} must be a directory of its own container`);
    }
    // In memory: the key is never written to the node's disk.
    v.emptyDir = { medium: 'Memory', sizeLimit: '1Mi' };
    initKeyMounts.push({ name: m.name, mountPath: `${KEYDIRS_IN_INIT}/${c.role}` });
    runnerKeys.push({ from: `${KEYS_IN_INIT}/${c.role}`, to: `${KEYDIRS_IN_INIT}/${c.role}/${RUNNER_KEY_FILE}` });
  }
  if (keyed.length) {
    keyVolumes.push({ name: RUNNER_KEYS_VOLUME, secret: { secretName: names.runnerKeys, defaultMode: 0o400, items: keyed.map((c) => ({ key: c.role, path: c.role })) } });
    initKeyMounts.push({ name: RUNNER_KEYS_VOLUME, mountPath: KEYS_IN_INIT, readOnly: true });
  }
  if (hasLoop) {
    keyVolumes.push({ name: 'loop-runner-keys', secret: { secretName: names.runnerKeys, defaultMode: 0o400, items: [{ key: RUNNER_KEYS_FILE, path: RUNNER_KEYS_FILE }] } });
    const loop = containers.find((c) => c.name === 'loop')!;
    loop.volumeMounts = [...(loop.volumeMounts ?? []), { name: 'loop-runner-keys', mountPath: KEYS_IN_LOOP, readOnly: true }];
    loop.env = (loop.env ?? []).map((e) => (e.name === 'PEERS_RUNNER_KEYS' ? { name: e.name, value: `${KEYS_IN_LOOP}/${RUNNER_KEYS_FILE}` } : e));
  }
  const extraVolumes = [
    ...keyVolumes,
    { name: initTmpVolume(g.kind), emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
    ...(hasLoop ? [{ name: 'reader-tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }, { name: 'reader-home', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } }] : []),
  ];
  if (hasLoop) containers.push(readerContainer(inp.image, names.stateClaim));
  containers.sort((a, b) => START_ORDER.indexOf(a.name) - START_ORDER.indexOf(b.name));

  // The sockets the run waits for before the loop starts: those other Pods listen on.
  const waitSockets: string[] = [];
  if (hasLoop) {
    for (const other of groups.filter((o) => o !== g)) {
      for (const c of other.containers) {
        for (const sock of listenedSockets(c)) {
          const m = c.mounts.find((mm) => mm.kind === 'shared-dir' && sock.startsWith(`${mm.target}/`));
          const where = m?.kind === 'shared-dir' ? vols.sharedDirClaims.get(m.name) : undefined;
          if (where) waitSockets.push(`${claimRoot(where.claim)}/${where.subPath}/${sock.slice(m!.target.length + 1)}`);
        }
      }
    }
  }
  const claimsInInit = new Set([...vols.dirs.map((d) => d.claim), ...(hasLoop ? [names.stateClaim] : [])]);
  const init = initContainer(inp.image, g.kind, {
    dirs: vols.dirs.filter((d) => !d.fresh).map((d) => `${claimRoot(d.claim)}/${d.subPath}`),
    freshDirs: vols.dirs.filter((d) => d.fresh).map((d) => `${claimRoot(d.claim)}/${d.subPath}`),
    isolated: g.containers.every((c) => c.network === 'none'),
    waitSockets,
    // A subPath mount binds the directory there is when the container starts: a Pod that mounts
    // part of the delivered tree starts only after the delivery moved it into place.
    awaitDelivery: hasLoop || readsDelivered(g, inp) ? `${claimRoot(names.stateClaim)}/${DELIVERY_MARKER}` : undefined,
    mounts: [...[...claimsInInit].map((claim) => ({ name: claim, mountPath: claimRoot(claim) })), ...initKeyMounts],
    runnerKeys,
  });
  for (const claim of claimsInInit) if (!vols.volumes.some((v) => v.name === claim)) vols.volumes.push({ name: claim, persistentVolumeClaim: { claimName: claim } });

  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: g.name, namespace: inp.namespace, labels: projectLabels(names, g.kind), annotations: inp.annotations },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      shareProcessNamespace: false,
      hostNetwork: false,
      hostPID: false,
      hostIPC: false,
      terminationGracePeriodSeconds: 30,
      securityContext: { runAsNonRoot: true, runAsUser: RUN_AS, runAsGroup: RUN_AS, fsGroup: RUN_AS, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: seccompOf(inp.config) },
      // Unix sockets do not cross nodes: every Pod of the run goes where the run Pod is.
      ...(g.kind === RUN_POD_KIND
        ? {}
        : { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: projectLabels(names, RUN_POD_KIND) }, topologyKey: 'kubernetes.io/hostname' }] } } }),
      initContainers: [init],
      containers,
      volumes: [...vols.volumes, ...extraVolumes],
    },
  };
}

export function renderK8s(spec: PodSpec, inp: K8sRunInputs): K8sObject[] {
  // The test-only stand-in vendor (sandbox/test-upstream.ts) is a podman arrangement; never a manifest.
  if (spec.containers.some((c) => c.network === EGRESS_TEST_NETWORK)) throw new PeersError('a pod spec with a test upstream cannot be rendered for Kubernetes');
  // A runner without a key would hear an impostor at its socket and run any request (SECURITY.md,
  // "Runner sockets"): such a spec is never rendered.
  const runners = spec.containers.filter(isRunner);
  const keyless = runners.filter((c) => !keyDirOf(c)).map((c) => c.role);
  const loopKeys = spec.containers.find((c) => c.role === 'loop')?.env.PEERS_RUNNER_KEYS;
  if (keyless.length || (runners.length && !loopKeys)) throw new PeersError(`the ${keyless.join(', ') || 'loop'} runner${keyless.length > 1 ? 's take' : ' takes'} no per-run key: the pod spec must be built with runner keys to run on Kubernetes`);
  const { names, namespace } = inp;
  const meta = (name: string) => ({ name, namespace, labels: projectLabels(names), annotations: { [ANNOTATION_KEY]: spec.project } });
  const groups = podGroups(spec, names);
  const out: K8sObject[] = [];
  if (inp.createNamespace) {
    out.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        labels: {
          ...projectLabels(names),
          // The API server itself refuses a Pod of this namespace that is not locked down.
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/audit': 'restricted',
        },
      },
    });
  }
  const secretKeys = [...new Set(spec.containers.flatMap((c) => c.secretEnv))];
  if (secretKeys.length && inp.secretValues) {
    const missing = secretKeys.filter((k) => inp.secretValues![k] === undefined);
    if (missing.length) throw new PeersError(`no value for ${missing.join(', ')} in this environment`);
    out.push({ apiVersion: 'v1', kind: 'Secret', metadata: meta(names.credentials), type: 'Opaque', data: Object.fromEntries(secretKeys.map((k) => [k, Buffer.from(inp.secretValues![k]!).toString('base64')])) });
  }
  if (inp.runnerKeys) {
    const roles = runners.map((c) => c.role);
    const bad = roles.filter((r) => !/^[0-9a-f]{64}$/.test(inp.runnerKeys![r] ?? ''));
    if (bad.length) throw new PeersError(`no valid runner key for ${bad.join(', ')}`);
    const keys = Object.fromEntries(roles.map((r) => [r, inp.runnerKeys![r]!]));
    const data = { ...keys, [RUNNER_KEYS_FILE]: `${JSON.stringify(keys)}\n` };
    out.push({ apiVersion: 'v1', kind: 'Secret', metadata: meta(names.runnerKeys), type: 'Opaque', data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) });
  }
  if (Object.values(inp.binds).some((b) => 'configMap' in b)) {
    if (!inp.controlFiles) throw new PeersError('the control-plane snapshot is mounted from a ConfigMap, but no snapshot was given');
    out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(names.control), data: inp.controlFiles, immutable: true });
  }
  const claim = (name: string, size: string): V1PersistentVolumeClaim => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(name),
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...(inp.config.storage_class ? { storageClassName: inp.config.storage_class } : {}) },
  });
  out.push(claim(names.stateClaim, inp.config.state_size), claim(names.socketsClaim, '64Mi'), ...spec.volumes.map((v) => claim(names.volumeClaim(v), inp.config.cache_size)));
  const egress = groups.find((g) => g.containers.some((c) => c.network !== 'none'));
  if (!egress) throw new PeersError('the pod spec has no container with a network: nothing could reach the allow-list');
  // Before any Pod: a Pod is never scheduled without its isolation in place.
  out.push(...networkPolicies(names, namespace, egress.kind, inp.egressPorts, { namespace: inp.config.dns.namespace, podLabels: inp.config.dns.pod_labels }));
  // Pods with their own network namespace first, the run Pod (which waits for their sockets) last.
  for (const g of [...groups.filter((x) => x.kind !== RUN_POD_KIND), ...groups.filter((x) => x.kind === RUN_POD_KIND)]) out.push(podOf(g, groups, inp));
  return out;
}

/** The objects as one multi-document YAML (`peers up --dry-run k8s`). */
export function k8sYaml(objects: K8sObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}
