/**
 * Renders the pod spec (pod-spec.ts) into podman argv. Pure: no process is started here, so the
 * exact commands `peers up` will run can be unit-tested and printed by `peers up --dry-run`.
 */
import { join } from 'node:path';
import { DEFAULT_LIMITS, LOOP_LOG_MAX, LOOPBACK_ROLES, type Role } from './pod-layout.ts';
import type { ContainerSpec, MountSpec, PodSpec } from './pod-spec.ts';

export type RenderOptions = {
  /** Host directory holding the pod's shared dirs (one subdirectory per shared-dir name). */
  sharedRoot: string;
  /** cgroup v1 rootless cannot apply --memory/--pids-limit (podman ignores them with a warning);
   *  an nproc ulimit is then the only process cap available. */
  cgroupLimits: boolean;
  /** `uid:gid` of the invoking user: with --userns=keep-id it is the same id inside, so files in
   *  the repo and the state dir keep their owner (the image's own USER would map elsewhere). */
  user: string;
  /** The pod's seccomp profile on the host (pod-seccomp.ts writes it at `up`), for every container
   *  whose spec says `noUserNamespaces`. */
  seccompProfile: string;
  /** Where podman writes the loop container's init PID at each start (`--pidfile`): `peers down`
   *  signals the loop without a podman process (loop-pid.ts). On the host, in no container's mount. */
  loopPidFile?: string;
  /** Shared dirs that must outlive the pod (the egress audit log, the auth usage ledger) live at
   *  these host paths instead (under the state dir). */
  sharedDirPaths?: Record<string, string>;
};

export type PodmanPlan = {
  /** Created first; fails if a pod of that name exists. */
  createPod: string[];
  /**
   * Starts the pod's infra container, before any member: members run at once (pod-create.ts), and
   * concurrent `podman run --pod` calls that each start a stopped infra race in podman 4.3 ("unable
   * to restart a container in a paused or unknown state"), failing `up`.
   */
  startPod: string[];
  /** `podman create` for each container, in start order (sidecars first, loop last); `inPod`: a
   *  member of the pod (created once the pod exists), else a container beside it. */
  createContainers: { role: string; argv: string[]; inPod: boolean }[];
  /** Host dirs to create (0700) before any container starts. */
  sharedDirs: string[];
};

export function sharedDirPath(opts: RenderOptions, name: string): string {
  return opts.sharedDirPaths?.[name] ?? join(opts.sharedRoot, name);
}

function mountArgs(m: MountSpec, opts: RenderOptions): string[] {
  switch (m.kind) {
    case 'bind':
      return ['--mount', `type=bind,source=${m.source},destination=${m.target}${m.readOnly ? ',ro=true' : ''}`];
    case 'tmpfs': {
      const o = [`type=tmpfs`, `destination=${m.target}`, `tmpfs-size=${m.sizeMiB}m`, `tmpfs-mode=${m.mode.toString(8).padStart(4, '0')}`];
      // podman copies the mountpoint's existing content into a new tmpfs by default ("tmpcopyup");
      // over the repo's .peers/ that would defeat the mask, so never copy up.
      o.push('notmpcopyup');
      if (m.readOnly) o.push('ro=true');
      // podman 4.3 ignores tmpfs-mode where the image already has the directory (it did for
      // /home/peer: root-owned 0755, so the CLIs could not write their HOME); U=true chowns the
      // tmpfs to the container user instead. Masks stay root-owned and unreadable.
      else o.push('U=true');
      return ['--mount', o.join(',')];
    }
    case 'shared-dir':
      return ['--mount', `type=bind,source=${sharedDirPath(opts, m.name)},destination=${m.target}${m.readOnly ? ',ro=true' : ''}`];
    case 'volume':
      return ['--mount', `type=volume,source=${m.name},destination=${m.target}${m.readOnly ? ',ro=true' : ''}`];
  }
}

/** The nproc ulimit that stands in for a container's pids limit where cgroups cannot apply it. */
export function nprocUlimit(pidsLimit: number): number {
  return pidsLimit * 4;
}

/**
 * A container's nproc ulimit as podman sets it. RLIMIT_NPROC counts the tasks of a uid in a user
 * namespace, and the pod's members (LOOPBACK_ROLES) share one as the same uid: the workspace's tasks
 * count against the auth sidecar's and the bridge's limit. So each other member's limit is the room
 * of every member together (its own, the workspace's and the other sidecars'); before, a turn with 600 processes made the bridge
 * abort (SECURITY.md, "The sandbox pod", "Every container").
 */
export function nprocUlimitFor(role: Role, pidsLimitOf: (r: Role) => number = (r) => DEFAULT_LIMITS[r].pidsLimit): number {
  const own = nprocUlimit(pidsLimitOf(role));
  // Every other member's tasks count too (the auth sidecar's beside the bridge's, the model server's).
  return role !== 'workspace' && LOOPBACK_ROLES.includes(role) ? LOOPBACK_ROLES.reduce((sum, r) => sum + nprocUlimit(pidsLimitOf(r)), 0) : own;
}

function securityArgs(c: ContainerSpec, spec: PodSpec, opts: RenderOptions): string[] {
  const a = ['--cap-drop=ALL', '--security-opt=no-new-privileges', '--read-only', '--read-only-tmpfs=false'];
  if (c.noUserNamespaces) a.push(`--security-opt=seccomp=${opts.seccompProfile}`);
  if (opts.cgroupLimits) a.push(`--memory=${c.memoryMiB}m`, `--memory-swap=${c.memoryMiB}m`, `--pids-limit=${c.pidsLimit}`);
  // Explicit limits: the rootless default tries to raise nofile/nproc to the host maximum, which
  // fails inside nested sandboxes; nproc also caps forks where cgroup pids limits are unavailable.
  const pidsLimitOf = (r: Role) => (r === c.role ? c.pidsLimit : (spec.containers.find((x) => x.role === r)?.pidsLimit ?? DEFAULT_LIMITS[r].pidsLimit));
  const nproc = nprocUlimitFor(c.role, pidsLimitOf);
  a.push('--ulimit=nofile=4096:4096', `--ulimit=nproc=${nproc}:${nproc}`);
  return a;
}

function containerArgs(c: ContainerSpec, spec: PodSpec, opts: RenderOptions): string[] {
  const a = ['create', '--name', c.name, '--label', `peers.role=${c.role}`];
  for (const [k, v] of Object.entries(spec.labels)) a.push('--label', `${k}=${v}`);
  // --init: catatonit is PID 1 and reaps orphans (a peer's stray grandchildren would otherwise stay
  // zombies under `peers runner`, which never waits for processes it did not start).
  a.push(...securityArgs(c, spec, opts), '--user', opts.user, '--workdir', c.workdir, '--init');
  // k8s-file at a path of ours: the log outlives `podman rm` (podman appends across containers).
  if (c.logFile) a.push('--log-driver=k8s-file', `--log-opt=path=${c.logFile}`, `--log-opt=max-size=${LOOP_LOG_MAX}`);
  if (c.role === 'loop' && opts.loopPidFile) a.push(`--pidfile=${opts.loopPidFile}`);
  for (const [k, v] of Object.entries(c.env)) a.push('--env', `${k}=${v}`);
  // By name only: podman copies the value from its own environment, so no secret enters argv.
  for (const k of c.secretEnv) a.push('--env', k);
  for (const m of c.mounts) a.push(...mountArgs(m, opts));
  a.push('--entrypoint', c.command[0]!, c.image, ...c.command.slice(1));
  return a;
}

export function renderPodman(spec: PodSpec, opts: RenderOptions): PodmanPlan {
  // --share without ipc: podman pods share IPC (and /dev/shm) by default.
  // --exit-policy=stop: once its last member has exited (they all follow the loop, lifeline.ts),
  // the pod's infra container stops too; nothing of the pod keeps running.
  const createPod = ['pod', 'create', '--name', spec.podName, `--network=${spec.network}`, `--userns=${spec.userns}`, `--share=${spec.sharedNamespaces.join(',')}`, '--exit-policy=stop'];
  for (const [k, v] of Object.entries(spec.labels)) createPod.push('--label', `${k}=${v}`);

  // Start order: egress, the sidecars the others depend on, runners, the loop last.
  const order = ['egress', 'bridge', 'auth', 'model-server', 'setup', 'gates', 'workspace', 'loop'];
  const sorted = [...spec.containers].sort((x, y) => order.indexOf(x.role) - order.indexOf(y.role));
  return {
    createPod,
    startPod: ['pod', 'start', spec.podName],
    createContainers: sorted.map((c) => {
      const argv = containerArgs(c, spec, opts);
      // Pod members share the pod's namespaces; the others get their own network namespace (none,
      // or slirp4netns for egress) and their own keep-id user namespace. The loop uses no loopback
      // (pod-spec.ts podLoopback), so it runs beside the pod and need not wait for it.
      const inPod = c.placement === 'pod' && c.podLoopback;
      if (inPod) argv.splice(1, 0, '--pod', spec.podName);
      else argv.splice(1, 0, `--network=${c.network}`, '--userns=keep-id');
      return { role: c.role, argv, inPod };
    }),
    sharedDirs: spec.sharedDirs.map((n) => sharedDirPath(opts, n)),
  };
}
