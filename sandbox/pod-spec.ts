/**
 * The sandbox pod as DATA, generated in exactly one place (docs/ARCHITECTURE.md, Processes and trust boundaries). Renderers turn it into
 * podman argv (`podman-render.ts`) or a Kubernetes Pod (`k8s/k8s-render.ts`); neither adds security
 * decisions of its own, so the topology reviewed here is the topology that runs. Its names, paths,
 * ports and limits are pod-layout.ts; the environment each container gets is pod-env.ts.
 *
 *   pod (network none: one loopback shared by its members, one keep-id user namespace; IPC and
 *        /dev/shm NOT shared: each member has its own)
 *     loop       peers loop           state dir rw (run clone and mirror inside it), the .peers/
 *                                     snapshot READ-ONLY, every runner socket dir; NOT the user's repo.
 *                                     On podman beside the pod, in an empty network namespace of its
 *                                     own (`podLoopback: false`); on Kubernetes in the run's Pod
 *     workspace  peers runner         the run clone rw at /work (.peers/ masked), its own socket dir only
 *     auth       peers sidecar auth   127.0.0.1:8080/8081; credentials (env by name, files) — nowhere else;
 *                                     reaches the vendors through its own egress socket (egress-auth)
 *     bridge     peers sidecar bridge 127.0.0.1:3128 → egress socket dir (the project's allow-list only)
 *   setup   (own network namespace, none)  peers runner   mirror ro, checkouts rw, the dependency
 *                                          cache rw (the only writer), a private 127.0.0.1:3128 → egress
 *   gates   (own network namespace, none)  peers runner   mirror ro, checkouts rw, no cache,
 *                                          its own socket dir, a private 127.0.0.1:3128 → egress
 *   egress  (own network: slirp4netns)     peers sidecar egress: egress/ (workspace listener: the
 *                                          project's allow-list) and egress-auth/ (vendor hosts only)
 *   model-server (pod member; rehearsals and the demo only)  peers model-server: the scripted
 *                                          stand-in for the vendors, on the pod's loopback
 *
 * The loop holds a lifeline socket (lifeline/, writable by the loop alone); every other container
 * stops when it drops, so nothing keeps running once the loop has stopped (lifeline.ts). The
 * loop's console goes to loop.log in the state dir, so `peers logs` works after `peers down`.
 * The operator's control file (control/) is read-only to the loop; nobody else mounts it.
 *
 * Every container runs under a seccomp profile without user namespace creation (seccomp-profile.ts).
 *
 * No container mounts the user's repository: the peers work on the run clone in the state dir,
 * and results reach the user's repository as a branch fetched on the host (sandbox/publish-branch.ts).
 *
 * Why the loop needs no loopback: it reaches every other container through Unix sockets in shared
 * dirs (runners, lifeline) and files (the usage ledger, the egress audit log), never a TCP port, so
 * on podman it runs beside the pod with no interface but its own `lo`: no peer process can reach
 * it over TCP, and it starts with the setup and gates runners, without waiting for the pod's infra
 * container (BENCHMARKS.md, Pod up and down).
 *
 * Why gates are NOT a pod member: members of a pod share one loopback, so a server a peer leaves
 * running in the workspace (127.0.0.1:5000 answering "tests pass") would be reachable from gate
 * commands. In its own empty network namespace the gates container reaches only what we mount.
 */

import { POD_BUDGET_POLICY_FOR_AUTH } from '../src/budget/run-budget.ts';
import { formatProviderArg, type ProviderUpstream } from '../src/config/provider.ts';
import { statePaths } from '../src/state/paths.ts';
import { withoutVendorHosts } from '../proxy/egress-policy.ts';
import { LIFELINE_DIR_NAME, POD_ROLES_ENV } from './lifeline.ts';
import { TEST_MODE_ENV } from '../proxy/test-resolve.ts';
import { EGRESS_TEST_NETWORK, TEST_CA_IN_AUTH, type TestUpstream } from './test-upstream.ts';
import { AUTH_SIDECAR_ENV, containerEnv, loopEnv, PROXY_ENV, vendorEnv } from './pod-env.ts';
import {
  CHECKOUTS_IN_CONTAINER, CLONE_IN_LOOP, containerName, CONTROL_IN_LOOP, DEFAULT_LIMITS, DEP_CACHE_IN_CONTAINER, EGRESS_SOCKET_NAME, GATES_EGRESS_DIR, gatesCacheVolume, HOME_IN_CONTAINER, LOOPBACK_ROLES,
  MIRROR_IN_CONTAINER, MODEL_SERVER_DIR_IN_CONTAINER, MODEL_SERVER_PORT, PEERS_BIN_IN_CONTAINER, POD_ROLES, podName, PROXY_PORT, REPO_IN_CONTAINER, type Role, RUNNER_ROLES,
  runnerKeyDir, runnerKeyDirName, type RunnerRole, runnerSocketPath, SNAPSHOT_IN_LOOP, SOCKETS_IN_CONTAINER, STATE_IN_CONTAINER, VENDOR_EGRESS_DIR,
} from './pod-layout.ts';

/** A provider's host as an egress allow-list entry (`host`, or `host:port` off 443). */
export function providerAllowEntry(p: Pick<ProviderUpstream, 'base_url'>): string {
  const u = new URL(p.base_url);
  return u.port && u.port !== '443' ? `${u.hostname}:${u.port}` : u.hostname;
}

export type MountSpec =
  /** A host path. */
  | { kind: 'bind'; source: string; target: string; readOnly: boolean }
  /** Memory-backed scratch; `readOnly` + tiny size is how a directory is masked. */
  | { kind: 'tmpfs'; target: string; sizeMiB: number; mode: number; readOnly?: boolean }
  /** A directory that lives as long as the pod and is shared by the containers that mount it
   *  (podman: a host dir under the run dir; Kubernetes: an emptyDir). Used for Unix sockets. */
  | { kind: 'shared-dir'; name: string; target: string; readOnly: boolean }
  /** A persistent named volume (gate dependency cache). */
  | { kind: 'volume'; name: string; target: string; readOnly: boolean };

export type ContainerSpec = {
  role: Role;
  /** 'pod': joins the pod (shared loopback, no network). 'own': its own network namespace. */
  placement: 'pod' | 'own';
  /**
   * The container talks to another member over the pod's loopback (a TCP port on 127.0.0.1). The
   * loop does not (Unix sockets and files only): podman runs it beside the pod in an empty network
   * namespace of its own; a Kubernetes Pod shares one network among its containers whatever this says.
   */
  podLoopback: boolean;
  network: 'none' | 'slirp4netns' | typeof EGRESS_TEST_NETWORK;
  name: string;
  image: string;
  command: string[];
  workdir: string;
  env: Record<string, string>;
  /** Environment variables whose VALUES come from the host at start, never written in argv or data. */
  secretEnv: string[];
  mounts: MountSpec[];
  memoryMiB: number;
  pidsLimit: number;
  /** Every container: read-only root, no capabilities, no privilege gain. Kept as data so a
   *  test can assert it and a renderer cannot forget it. */
  readOnlyRoot: true;
  capDrop: ['ALL'];
  noNewPrivileges: true;
  /** Rendered as the pod's seccomp profile (seccomp-profile.ts): unshare/clone of a user namespace fail. */
  noUserNamespaces: true;
  /** A host file the container's console output is kept in (podman's log driver), outliving the container. */
  logFile?: string;
};

export type PodSpec = {
  project: string;
  podName: string;
  labels: Record<string, string>;
  /** The pod has no interface but loopback. */
  network: 'none';
  userns: 'keep-id';
  /** The namespaces pod members share: the loopback (net) and hostname (uts). Never ipc: a SysV or
   *  POSIX shared-memory object the workspace creates must be invisible to the auth sidecar. */
  sharedNamespaces: readonly ('net' | 'uts')[];
  /** Every container, in the pod or beside it (see `placement`). Egress alone has a network. */
  containers: ContainerSpec[];
  /** Names of the shared dirs the renderer must create (podman) or declare (Kubernetes). */
  sharedDirs: string[];
  volumes: string[];
};

export type PodInputs = {
  /** Sanitised project name (see `projectSlug`). */
  project: string;
  /** The user's repository: a label only; no container mounts it. */
  repoDir: string;
  stateDir: string;
  /** The runners take a per-run key `peers up` issues, and the loop takes only answers sealed with it (runner-key.ts). */
  runnerKeys?: boolean;
  /** The run clone (mounted into the workspace), the trusted mirror (read-only into setup and
   *  gates), the control-plane snapshot (read-only over the loop's state dir mount). */
  cloneDir: string;
  mirrorDir: string;
  snapshotDir: string;
  /** The compiled peers executable on the host (bind-mounted read-only everywhere). */
  binaryPath: string;
  image: string;
  /** Allow-list entries (`host`, `*.suffix`, optional `:port`). */
  allow: string[];
  /** Host environment variable names holding API keys; passed to the auth container only. */
  secretEnv: string[];
  /** Credential files (e.g. OAuth files) mounted into the auth container only. */
  secretFiles: { source: string; target: string; readOnly: boolean }[];
  /** Extra `peers sidecar auth` arguments (credential mode and file paths inside the container). */
  authArgs?: string[];
  /** `--credentials oauth-file`: the auth sidecar's listener also serves the OAuth token hosts. */
  oauth?: boolean;
  /**
   * Where the workspace's Codex goes: the OpenAI API upstream (default) or, with
   * `--credentials oauth-file` and only a Codex login, the ChatGPT one (the login's backend).
   */
  codexUpstream?: 'openai' | 'chatgpt';
  /**
   * The run's providers (src/config/provider.ts runProviders): one more auth sidecar upstream
   * each, and each one's host on the sidecar's egress listener (never the workspace's).
   */
  providers?: ProviderUpstream[];
  /**
   * 'model-server' (the demo, rehearsals): the peers' model is a server inside the pod, so the
   * egress proxy serves nothing at all, neither vendor hosts nor allow-list entries.
   */
  upstream?: 'vendors' | 'model-server';
  /** Extra arguments for `peers loop` (budget overrides from `peers up`). */
  loopArgs: string[];
  /** Extra environment of the loop container (the user's git identity for the peers' commits). */
  loopEnv?: Record<string, string>;
  /** The run's budget policy on the host, mounted read-only into the auth container (src/budget/run-budget.ts). */
  budgetPolicyFile?: string;
  /**
   * With upstream 'model-server': the scripted model server runs as a pod member, reading
   * `scenario.yaml` from this host dir and writing `served.jsonl` to it (rehearsals, the demo).
   */
  modelServerDir?: string;
  limits?: Partial<Record<Role, { memoryMiB: number; pidsLimit: number }>>;
  /** TEST ONLY (sandbox/test-upstream.ts): the vendors are a local stand-in; checked by pod-plan.ts. */
  testUpstream?: TestUpstream;
};

const scratch = (target: string, sizeMiB: number): MountSpec => ({ kind: 'tmpfs', target, sizeMiB, mode: 0o1777 });
/** An empty, read-only, mode-000 tmpfs laid over a directory hides what the bind below holds. */
const mask = (target: string): MountSpec => ({ kind: 'tmpfs', target, sizeMiB: 1, mode: 0o000, readOnly: true });
const binary = (path: string): MountSpec => ({ kind: 'bind', source: path, target: PEERS_BIN_IN_CONTAINER, readOnly: true });
const socketDir = (name: string, readOnly = false): MountSpec => ({ kind: 'shared-dir', name, target: `${SOCKETS_IN_CONTAINER}/${name}`, readOnly });

export function buildPodSpec(inp: PodInputs): PodSpec {
  const limits = (role: Role) => ({ ...DEFAULT_LIMITS[role], ...inp.limits?.[role] });
  const base = (role: Role, command: string[], mounts: MountSpec[], env: Record<string, string> = {}, secretEnv: string[] = []): ContainerSpec => ({
    role,
    placement: POD_ROLES.includes(role) ? 'pod' : 'own',
    podLoopback: LOOPBACK_ROLES.includes(role),
    network: role === 'egress' ? 'slirp4netns' : 'none',
    name: containerName(inp.project, role),
    image: inp.image,
    command: [PEERS_BIN_IN_CONTAINER, ...command],
    workdir: role === 'workspace' ? REPO_IN_CONTAINER : '/',
    env: containerEnv(inp.project, role, env),
    secretEnv,
    // The lifeline: the loop creates its socket; everyone else may only connect (lifeline.ts).
    mounts: [binary(inp.binaryPath), scratch('/tmp', role === 'workspace' || role === 'gates' || role === 'setup' ? 1024 : 64), scratch(HOME_IN_CONTAINER, role === 'workspace' ? 512 : 64), socketDir(LIFELINE_DIR_NAME, role !== 'loop'), ...mounts],
    ...limits(role),
    readOnlyRoot: true,
    capDrop: ['ALL'],
    noNewPrivileges: true,
    noUserNamespaces: true,
  });

  const cloneMasked: MountSpec[] = [{ kind: 'bind', source: inp.cloneDir, target: REPO_IN_CONTAINER, readOnly: false }, mask(`${REPO_IN_CONTAINER}/.peers`)];
  const mirrorRo: MountSpec = { kind: 'bind', source: inp.mirrorDir, target: MIRROR_IN_CONTAINER, readOnly: true };
  const checkouts: MountSpec = { kind: 'shared-dir', name: 'checkouts', target: CHECKOUTS_IN_CONTAINER, readOnly: false };
  const egressSocket = `unix:${SOCKETS_IN_CONTAINER}/egress/${EGRESS_SOCKET_NAME}`;
  // The same allow-list on a listener of its own: the proxy's caps are per listener, so a peer's
  // flood through the workspace's bridge cannot answer setup's installs and the gates' fetches 503.
  const gatesEgressSocket = `unix:${SOCKETS_IN_CONTAINER}/${GATES_EGRESS_DIR}/${EGRESS_SOCKET_NAME}`;
  // Each runner takes the loop's per-run key before it serves, and seals its answers with it: an
  // impostor at the socket path (a peer's leftover process) is never taken for the runner.
  const keys = inp.runnerKeys === true;
  const runnerCmd = (role: RunnerRole) => ['runner', '--socket', runnerSocketPath(role), ...(keys ? ['--key-dir', runnerKeyDir(role)] : [])];
  const keyDir = (role: RunnerRole): MountSpec[] => (keys ? [socketDir(runnerKeyDirName(role))] : []);

  const loop = base(
    'loop',
    ['loop', CLONE_IN_LOOP, '--state-dir', STATE_IN_CONTAINER, '--workspace-dir', REPO_IN_CONTAINER, ...inp.loopArgs],
    [
      { kind: 'bind', source: inp.stateDir, target: STATE_IN_CONTAINER, readOnly: false },
      // Over the rw state dir: the loop enforces this snapshot and cannot change it.
      { kind: 'bind', source: inp.snapshotDir, target: SNAPSHOT_IN_LOOP, readOnly: true },
      // The operator's controls (pause, runtime): the host writes them, the loop only reads them.
      { kind: 'bind', source: statePaths(inp.stateDir).controlDir, target: CONTROL_IN_LOOP, readOnly: true },
      // Read-only is enough to connect to a socket (EROFS does not apply to socket inodes), and
      // only the runner itself may create, replace or remove it.
      ...RUNNER_ROLES.map((r) => socketDir(r, true)),
    ],
    loopEnv(inp.loopEnv, inp.codexUpstream, keys),
  );
  // Peer turns run here: what a turn leaves running is killed when it ends (--reap-after-turns),
  // so it cannot commit in the next peer's turn, credited to that peer (src/proc/marked-leftovers.ts).
  const workspace = base('workspace', [...runnerCmd('workspace'), '--reap-after-turns'], [...cloneMasked, socketDir('workspace'), ...keyDir('workspace')], { ...PROXY_ENV, ...vendorEnv(inp.codexUpstream) });
  // Each has its own loopback carrying 127.0.0.1:3128 to the egress proxy's gates listener
  // (installs, tests that fetch: the project's allow-list, never the vendor hosts).
  // Both run the peers' code (setup's install scripts, the gates) and share the checkouts: a
  // daemon one run leaves is killed before and after every request (--reap-leftovers), so it
  // cannot rewrite the next checkout (src/proc/leftover-sweep.ts).
  const bridged = (role: RunnerRole) => [...runnerCmd(role), '--reap-leftovers', '--bridge', `127.0.0.1:${PROXY_PORT}=${gatesEgressSocket}`];
  // `setup` (npm ci, pip install…) keeps its download caches in the cache volume, so a fresh
  // checkout per HEAD does not download everything again; only this container can write it.
  const setup = base('setup', bridged('setup'), [mirrorRo, checkouts, socketDir('setup'), ...keyDir('setup'), socketDir(GATES_EGRESS_DIR, true), { kind: 'volume', name: gatesCacheVolume(inp.project), target: DEP_CACHE_IN_CONTAINER, readOnly: false }], { ...PROXY_ENV });
  const gates = base('gates', bridged('gates'), [mirrorRo, checkouts, socketDir('gates'), ...keyDir('gates'), socketDir(GATES_EGRESS_DIR, true)], { ...PROXY_ENV });
  // The vendor hosts are served only on the egress proxy's second socket, in a dir only the auth
  // container mounts (read-only: only egress creates the socket): the workspace's way out (the
  // bridge) cannot reach a vendor API with a key of its own (docs/ARCHITECTURE.md).
  const vendorEgressSocket = `unix:${SOCKETS_IN_CONTAINER}/${VENDOR_EGRESS_DIR}/${EGRESS_SOCKET_NAME}`;
  const auth = base(
    'auth',
    [
      'sidecar', 'auth', '--egress', vendorEgressSocket, '--usage-ledger', `${SOCKETS_IN_CONTAINER}/auth-usage/usage.jsonl`,
      // Its per-request log is size-capped beside the ledger (the ledger itself is never rotated).
      '--log-file', `${SOCKETS_IN_CONTAINER}/auth-usage/auth.log`,
      ...(inp.authArgs ?? []),
      ...(inp.providers ?? []).flatMap((p) => ['--provider', formatProviderArg(p)]),
    ],
    [
      ...inp.secretFiles.map((f): MountSpec => ({ kind: 'bind', ...f })),
      socketDir('auth-usage'),
      socketDir(VENDOR_EGRESS_DIR, true),
      ...(inp.budgetPolicyFile ? [{ kind: 'bind', source: inp.budgetPolicyFile, target: POD_BUDGET_POLICY_FOR_AUTH, readOnly: true } satisfies MountSpec] : []),
    ],
    { ...AUTH_SIDECAR_ENV },
    inp.secretEnv,
  );
  // Only the egress container may create the egress socket; the others connect through ro mounts,
  // so untrusted gate code cannot delete it or plant an impostor in its place.
  const bridge = base('bridge', ['sidecar', 'bridge', '--listen', `127.0.0.1:${PROXY_PORT}`, '--to', egressSocket], [socketDir('egress', true)]);
  const modelInPod = inp.upstream === 'model-server';
  // With the model in the pod no vendor host is served on either listener: the project's own
  // entries stay (what setup and the tests download), minus any that would reach a vendor.
  const allow = modelInPod ? withoutVendorHosts(inp.allow).kept : inp.allow;
  const egress = base(
    'egress',
    [
      'sidecar', 'egress', '--listen', egressSocket, '--gates-listen', gatesEgressSocket, '--vendor-listen', vendorEgressSocket,
      '--audit-log', `${SOCKETS_IN_CONTAINER}/egress-log/egress.jsonl`,
      ...(modelInPod ? ['--no-vendor-hosts'] : inp.oauth ? ['--oauth-hosts'] : []),
      ...(modelInPod ? [] : (inp.providers ?? []).flatMap((p) => ['--vendor-allow', providerAllowEntry(p)])),
      ...allow.flatMap((a) => ['--allow', a]),
    ],
    [socketDir('egress'), socketDir(GATES_EGRESS_DIR), socketDir(VENDOR_EGRESS_DIR), socketDir('egress-log')],
  );
  const modelServer = modelInPod && inp.modelServerDir
    ? [
        base(
          'model-server',
          ['model-server', '--scenario', `${MODEL_SERVER_DIR_IN_CONTAINER}/scenario.yaml`, '--listen', `127.0.0.1:${MODEL_SERVER_PORT}`, '--log', `${MODEL_SERVER_DIR_IN_CONTAINER}/served.jsonl`],
          [{ kind: 'bind', source: inp.modelServerDir, target: MODEL_SERVER_DIR_IN_CONTAINER, readOnly: false }],
        ),
      ]
    : [];
  if (inp.testUpstream) applyTestUpstream(inp.testUpstream, egress, auth);
  // The loop's console outlives its container: `peers logs` reads it after `peers down`.
  loop.logFile = statePaths(inp.stateDir).loopLog;
  // The auth sidecar's usage ledger and the egress audit log are written to dirs the loop reads.
  loop.mounts.push(socketDir('auth-usage', true), socketDir('egress-log', true));
  const containers = [loop, workspace, setup, gates, auth, bridge, egress, ...modelServer];
  // The loop holds the run while one of these is down (src/loop/pod-health.ts).
  loop.env[POD_ROLES_ENV] = containers.filter((c) => c !== loop).map((c) => c.role).join(',');

  return {
    project: inp.project,
    podName: podName(inp.project),
    labels: { 'peers.project': inp.project, 'peers.repo': inp.repoDir },
    network: 'none',
    userns: 'keep-id',
    sharedNamespaces: ['net', 'uts'],
    containers,
    sharedDirs: ['workspace', 'setup', 'gates', ...(inp.runnerKeys === true ? RUNNER_ROLES.map(runnerKeyDirName) : []), 'checkouts', 'egress', GATES_EGRESS_DIR, VENDOR_EGRESS_DIR, 'egress-log', 'auth-usage', LIFELINE_DIR_NAME],
    volumes: [gatesCacheVolume(inp.project)],
  };
}

/** TEST ONLY (sandbox/test-upstream.ts): the stand-in vendor's names, network and CA; nothing else changes. */
function applyTestUpstream(t: TestUpstream, egress: ContainerSpec, auth: ContainerSpec): void {
  egress.env[TEST_MODE_ENV] = '1';
  egress.command.push(...t.resolve.flatMap((r) => ['--test-resolve', r]));
  egress.network = EGRESS_TEST_NETWORK;
  auth.mounts.push({ kind: 'bind', source: t.caFile, target: TEST_CA_IN_AUTH, readOnly: true });
  auth.env.NODE_EXTRA_CA_CERTS = TEST_CA_IN_AUTH;
}

export function allContainers(spec: PodSpec): ContainerSpec[] {
  return spec.containers;
}
