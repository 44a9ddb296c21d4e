/**
 * The containers Kubernetes needs beyond the pod spec, and the commands `peers` runs in them
 * through the API (docs/ARCHITECTURE.md, "Kubernetes"). None of them runs peer code or holds a
 * credential; they exist because a cluster has no host directory to share:
 *
 *   init    (every Pod, before its containers) `peers k8s init`: creates the volume subdirectories
 *           its containers mount (owned by the run's user; stale sockets cleared where this Pod
 *           listens), checks that the Pod has no network when it should have none (netcheck.ts),
 *           and in the run Pod waits for the egress and gates sockets and for the repository's
 *           delivery (delivery.ts), which `peers up` execs into it. It alone mounts the Secret of
 *           the runners' keys (only its Pod's runners' items), and leaves each runner its key in
 *           a directory only that runner mounts, which takes it and removes it before it listens.
 *   reader  (run Pod) `peers k8s hold`: the state volume read-only, so `status`, `report`, `logs
 *           --egress` and `down` can read the run's record after the loop has exited.
 */
import type { V1Container, V1VolumeMount } from '@kubernetes/client-node';
import { shellQuote } from '../../src/proc/self-exec.ts';
import { HOME_IN_CONTAINER, PEERS_BIN_IN_CONTAINER, STATE_IN_CONTAINER } from '../pod-layout.ts';
import type { ContainerSpec } from '../pod-spec.ts';

export const INIT_CONTAINER = 'init';
export const READER_CONTAINER = 'reader';
/** Every claim an init container prepares is mounted whole under here. */
export const VOLUMES_IN_INIT = '/volumes';
/** Written last by a delivery, in the state volume's root. */
export const DELIVERY_MARKER = '.peers-delivery.json';
/** catatonit in the peers image: PID 1 of every long-running container reaps orphans (as podman --init). */
export const INIT_BINARY = '/usr/local/bin/catatonit';
/** How long a run Pod's init waits for the egress and gates Pods and for the repository. */
export const INIT_TIMEOUT_S = 900;

export const claimRoot = (claim: string): string => `${VOLUMES_IN_INIT}/${claim}`;

/** The Unix socket paths a container of the pod spec listens on (runners, the egress proxy). */
export function listenedSockets(c: ContainerSpec): string[] {
  const out: string[] = [];
  c.command.forEach((arg, i) => {
    const next = c.command[i + 1];
    if (!next) return;
    if (arg === '--socket') out.push(next);
    if ((arg === '--listen' || arg === '--vendor-listen' || arg === '--gates-listen') && next.startsWith('unix:')) out.push(next.slice('unix:'.length));
  });
  return out;
}

export const baseSecurity = {
  runAsNonRoot: true,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  privileged: false,
  capabilities: { drop: ['ALL'] },
};

export type InitPlan = {
  dirs: string[];
  freshDirs: string[];
  isolated: boolean;
  waitSockets: string[];
  awaitDelivery?: string;
  /** A runner's key: copied from the Secret's file to the runner's key dir, where it takes it (runner-key.ts). */
  runnerKeys?: { from: string; to: string }[];
  mounts: V1VolumeMount[];
};

/** The init container's scratch volume; named per Pod (podman 4.3 plays an emptyDir as a volume shared by name). */
export const initTmpVolume = (podKind: string): string => `${podKind}-init-tmp`;

export function initContainer(image: string, podKind: string, p: InitPlan): V1Container {
  const args = [
    ...p.dirs.flatMap((d) => ['--dir', d]),
    ...p.freshDirs.flatMap((d) => ['--fresh-dir', d]),
    ...(p.isolated ? ['--isolated'] : []),
    ...p.waitSockets.flatMap((s) => ['--wait-socket', s]),
    ...(p.awaitDelivery ? ['--await-delivery', p.awaitDelivery] : []),
    ...(p.runnerKeys ?? []).flatMap((k) => ['--runner-key', `${k.from}=${k.to}`]),
    '--timeout-s',
    String(INIT_TIMEOUT_S),
  ];
  return {
    name: INIT_CONTAINER,
    image,
    command: [PEERS_BIN_IN_CONTAINER, 'k8s', 'init', ...args],
    workingDir: '/',
    volumeMounts: [...p.mounts, { name: initTmpVolume(podKind), mountPath: '/tmp' }],
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '256Mi' } },
    securityContext: baseSecurity,
  };
}

export function readerContainer(image: string, stateClaim: string): V1Container {
  return {
    name: READER_CONTAINER,
    image,
    command: [INIT_BINARY, '--', PEERS_BIN_IN_CONTAINER, 'k8s', 'hold'],
    workingDir: '/',
    env: [{ name: 'HOME', value: HOME_IN_CONTAINER }],
    volumeMounts: [
      { name: stateClaim, mountPath: STATE_IN_CONTAINER, readOnly: true },
      { name: 'reader-tmp', mountPath: '/tmp' },
      { name: 'reader-home', mountPath: HOME_IN_CONTAINER },
    ],
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '256Mi' } },
    securityContext: baseSecurity,
  };
}

/** The TCP addresses (`HOST:PORT`) a container of the pod spec listens on (the bridge). */
export function listenedPorts(c: ContainerSpec): string[] {
  return c.command.flatMap((arg, i) => (arg === '--listen' && c.command[i + 1] && !c.command[i + 1]!.startsWith('unix:') ? [c.command[i + 1]!] : []));
}

/**
 * The loop's command on Kubernetes: it starts once the runners and the bridge beside it listen.
 * Containers of a Pod start together, not in order (podman starts them in order); `exec` hands
 * PID 1's signals (catatonit's) straight to the loop.
 */
export function afterListeners(command: string[], sockets: string[], ports: string[]): string[] {
  if (!sockets.length && !ports.length) return command;
  const wait = [PEERS_BIN_IN_CONTAINER, 'k8s', 'init', ...sockets.flatMap((s) => ['--wait-socket', s]), ...ports.flatMap((p) => ['--wait-tcp', p]), '--timeout-s', '120'];
  return ['/bin/sh', '-c', `${wait.map(shellQuote).join(' ')} && exec "$@"`, 'sh', ...command];
}

/** What `peers up` execs in the run Pod's init container: the framed archive on stdin. */
export function unpackCommand(stateClaim: string, base: string): string[] {
  return [PEERS_BIN_IN_CONTAINER, 'k8s', 'unpack', '--into', `state=${claimRoot(stateClaim)}`, '--marker', `${claimRoot(stateClaim)}/${DELIVERY_MARKER}`, '--base', base];
}
/** Asks the init container whether the run was delivered already (a resumed run). */
export function probeDeliveryCommand(stateClaim: string): string[] {
  return [PEERS_BIN_IN_CONTAINER, 'k8s', 'unpack', '--probe', '--marker', `${claimRoot(stateClaim)}/${DELIVERY_MARKER}`];
}
/** The same question asked of the reader (the state read-only), once the init container has finished. */
export function probeDeliveryInReaderCommand(): string[] {
  return [PEERS_BIN_IN_CONTAINER, 'k8s', 'unpack', '--probe', '--marker', `${STATE_IN_CONTAINER}/${DELIVERY_MARKER}`];
}

/**
 * The state files `status` and `report` need (run history without the repositories, prompts and
 * per-tick logs); `down` takes everything but the repositories.
 */
export const STATE_LIGHT_EXCLUDES = ['run', 'prompts', 'logs', 'sidecars', 'run.lock', DELIVERY_MARKER];
export const STATE_FULL_EXCLUDES = ['run', 'run.lock', DELIVERY_MARKER];

/** What `status`/`report`/`down` exec in the reader: the state as a tar on stdout. */
export function packStateCommand(excludes: string[]): string[] {
  return [PEERS_BIN_IN_CONTAINER, 'k8s', 'pack', '--dir', STATE_IN_CONTAINER, '--as', 'state', ...excludes.flatMap((x) => ['--exclude', x])];
}
