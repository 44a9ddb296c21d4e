/**
 * The fixed layout of the sandbox pod (docs/ARCHITECTURE.md, Processes and trust boundaries): its
 * roles, where things sit inside its containers, the loopback ports its members talk on, the names
 * of its containers, pod and volume, and each role's default memory and process limits. Kept apart
 * from the assembly (pod-spec.ts) because the host side reads the same names without building a
 * pod: `peers down` and `peers logs` find containers by name, the gates runner and the demo use
 * the same paths and ports, `peers doctor` checks the limits. Constants only; no decision here.
 */

export const PEERS_BIN_IN_CONTAINER = '/usr/local/bin/peers';
export const REPO_IN_CONTAINER = '/work';
export const STATE_IN_CONTAINER = '/state';
export const SOCKETS_IN_CONTAINER = '/run/peers';
/** The trusted mirror (read-only) in the setup and gates containers. */
export const MIRROR_IN_CONTAINER = '/mirror';
/** Gate checkouts, shared by the setup and gates containers only. */
export const CHECKOUTS_IN_CONTAINER = '/checkouts';
/** The dependency cache volume: writable in the setup container alone. */
export const DEP_CACHE_IN_CONTAINER = '/cache';
/** The run clone and the snapshot, as the loop sees them under its state dir mount. */
export const CLONE_IN_LOOP = `${STATE_IN_CONTAINER}/run/clone`;
export const SNAPSHOT_IN_LOOP = `${STATE_IN_CONTAINER}/snapshot`;
export const HOME_IN_CONTAINER = '/home/peer';
export const PROXY_PORT = 3128;
/** The auth sidecar's ports: Anthropic API, OpenAI API. */
export const AUTH_PORT = 8080;
export const AUTH_OPENAI_PORT = 8081;
/** The auth sidecar's ChatGPT upstream (Codex on a ChatGPT login, `--credentials oauth-file`). */
export const AUTH_CHATGPT_PORT = 8082;
/** The scripted model server's port on the pod's loopback (`peers up` in model-server mode, `peers demo`). */
export const MODEL_SERVER_PORT = 8090;
export const RUNNER_SOCKET_NAME = 'runner.sock';
export const EGRESS_SOCKET_NAME = 'egress.sock';
/** The shared dir of the egress proxy's second listener, mounted by the egress and auth containers only. */
export const VENDOR_EGRESS_DIR = 'egress-auth';
/** The shared dir of the egress proxy's listener for the setup and gates runners (its caps apart from the workspace's). */
export const GATES_EGRESS_DIR = 'egress-gates';
/** The operator's control dir as the loop sees it: read-only over its state dir mount. */
export const CONTROL_IN_LOOP = `${STATE_IN_CONTAINER}/control`;
/** The scripted model server's dir (scenario.yaml in, served.jsonl out) in its container. */
export const MODEL_SERVER_DIR_IN_CONTAINER = '/model-server';
/** podman caps the loop's console log at this size (it then starts the file over). */
export const LOOP_LOG_MAX = '64mb';

export type Role = 'loop' | 'workspace' | 'setup' | 'gates' | 'auth' | 'bridge' | 'egress' | 'model-server';
/** The containers of the pod (Kubernetes: the run's Pod). */
export const POD_ROLES: readonly Role[] = ['loop', 'workspace', 'auth', 'bridge', 'model-server'];
/** The pod's containers that use its loopback: the workspace's CLIs reach auth (8080–8082) and the
 *  bridge (3128), and in a rehearsal the model server (8090), over 127.0.0.1. */
export const LOOPBACK_ROLES: readonly Role[] = ['workspace', 'auth', 'bridge', 'model-server'];
export const RUNNER_ROLES = ['workspace', 'setup', 'gates'] as const;
export type RunnerRole = (typeof RUNNER_ROLES)[number];

export const DEFAULT_LIMITS: Record<Role, { memoryMiB: number; pidsLimit: number }> = {
  loop: { memoryMiB: 1024, pidsLimit: 512 },
  workspace: { memoryMiB: 4096, pidsLimit: 4096 },
  setup: { memoryMiB: 4096, pidsLimit: 4096 },
  gates: { memoryMiB: 4096, pidsLimit: 4096 },
  auth: { memoryMiB: 256, pidsLimit: 128 },
  bridge: { memoryMiB: 128, pidsLimit: 64 },
  egress: { memoryMiB: 256, pidsLimit: 128 },
  'model-server': { memoryMiB: 256, pidsLimit: 64 },
};

/** Container names are derived from the project: `peers-<project>-<role>`, pod `peers-<project>`. */
export function containerName(project: string, role: Role): string {
  return `peers-${project}-${role}`;
}
export function podName(project: string): string {
  return `peers-${project}`;
}
export function gatesCacheVolume(project: string): string {
  return `peers-${project}-gates-cache`;
}
export function runnerSocketPath(role: RunnerRole): string {
  return `${SOCKETS_IN_CONTAINER}/${role}/${RUNNER_SOCKET_NAME}`;
}
/** Where `peers up` leaves a runner its per-run key (sandbox/runner-key.ts): mounted by that runner's container only. */
export const runnerKeyDirName = (role: RunnerRole) => `${role}-key`;
export function runnerKeyDir(role: RunnerRole): string {
  return `${SOCKETS_IN_CONTAINER}/${runnerKeyDirName(role)}`;
}
