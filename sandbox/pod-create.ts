/**
 * Creates and starts the pod of a plan (podman-render.ts) with as few podman processes, waited on
 * one after another, as the order allows: each podman call costs a process start and a walk of its
 * storage (0.2–0.4 s). The pod is made while `up` prepares the run clone
 * (prepareGround); then every container is created and started by its own `podman run --detach`,
 * all at once (the loop waits for the others itself: sandbox/lifeline.ts). A rehearsal still
 * starts in order (startGroups), the model server first.
 */
import { podmanOk } from './podman.ts';
import type { PodmanPlan } from './podman-render.ts';
import { containerName } from './pod-layout.ts';
import { waitForModelServer } from './rehearsal.ts';

/** Waits for every promise, then rejects with the first failure: no podman call is still running
 *  when the caller tears down what was created. */
async function settleAll<T>(all: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(all);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/**
 * A rehearsal's `podman start` calls, as groups of calls to run at once, one group after another:
 * everything up to the model server in one call (podman starts the names of one call in order),
 * then the rest once it listens (the peers' CLIs would fail their first request without it).
 */
export function startGroups(plan: PodmanPlan): string[][][] {
  const roles = plan.createContainers.map((c) => c.role);
  const cut = roles.indexOf('model-server') + 1;
  return [[roles.slice(0, cut)], [roles.slice(cut)]].map((g) => g.filter((c) => c.length)).filter((g) => g.length);
}

/**
 * The containers that stand on nothing of the run clone or the mirror: the egress proxy mounts only
 * its socket dirs and its log dir. `up` starts them before it makes the clone (the rest after).
 */
export const BEFORE_CLONE: readonly string[] = ['egress'];

/**
 * What `up` starts before it makes the run clone: the pod and its infra container (its members need
 * them), and the
 * containers of BEFORE_CLONE, unless it is a rehearsal (started in order, createAndStartPod). The
 * containers beside the pod need nothing made first: podman creates a named volume the first time
 * a container mounts it (the dependency cache, mounted by the setup container alone).
 */
export type PodGround = { pod: Promise<unknown>; started: Map<string, Promise<unknown>> };

/** Starts the ground now; a failure is thrown where createAndStartPod awaits it. */
export function prepareGround(plan: PodmanPlan, env: NodeJS.ProcessEnv): PodGround {
  // The infra container runs before any member does (PodmanPlan.startPod says why).
  const pod = podmanOk(plan.createPod, { env }).then(() => podmanOk(plan.startPod, { env }));
  const ground: PodGround = { pod, started: new Map() };
  if (!plan.createContainers.some((c) => c.role === 'model-server')) {
    for (const c of plan.createContainers) if (BEFORE_CLONE.includes(c.role) && !c.inPod) ground.started.set(c.role, runDetached(c.argv, env));
  }
  // Awaited later, after the clone: not an unhandled rejection meanwhile.
  for (const p of [ground.pod, ...ground.started.values()]) p.catch(() => undefined);
  return ground;
}

/** Waits for the ground however it ended, so no podman call outlives a failed `up`. */
export async function settleGround(ground: PodGround): Promise<void> {
  await Promise.allSettled([ground.pod, ...ground.started.values()]);
}

/** `run --detach` is `create` and `start` in one podman process (the argv is the create's). */
function runDetached(createArgv: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return podmanOk(['run', '--detach', ...createArgv.slice(1)], { env });
}

/**
 * Creates and starts every container of the plan on its ground (prepareGround). Each container is
 * created and started by one `podman run --detach`, all at once: the members as soon as the pod
 * exists, the others (the loop among them: it is beside the pod, podman-render.ts) at once. No start order is needed:
 * the loop waits for every other container to serve before its first tick (sandbox/lifeline.ts),
 * and each of them waits for the loop's lifeline before it names itself. A rehearsal creates
 * everything first, then starts in startGroups' order (the model server first, once it listens).
 */
export async function createAndStartPod(plan: PodmanPlan, ground: PodGround, project: string, env: NodeJS.ProcessEnv, progress: (line: string) => void): Promise<void> {
  const podRoles = plan.createContainers.filter((c) => c.inPod).map((c) => c.role);
  const besideRoles = plan.createContainers.filter((c) => !c.inPod).map((c) => c.role);
  const argvOf = (role: string) => plan.createContainers.find((c) => c.role === role)!.argv;
  if (podRoles.includes('model-server')) {
    const create = (roles: string[]) => settleAll(roles.map((r) => podmanOk(argvOf(r), { env })));
    const start = (roles: string[]) => {
      progress(`starting ${roles.join(', ')}`);
      return podmanOk(['start', ...roles.map((r) => containerName(project, r as never))], { env });
    };
    await settleAll([ground.pod.then(() => create(podRoles)), create(besideRoles)]);
    for (const group of startGroups(plan)) {
      await settleAll(group.map(start));
      if (group.at(-1)?.at(-1) === 'model-server') await waitForModelServer(project, env);
    }
    return;
  }
  const run = (roles: string[]) => settleAll(roles.map((r) => ground.started.get(r) ?? runDetached(argvOf(r), env)));
  progress(`starting ${[...besideRoles, ...podRoles].join(', ')}`);
  await settleAll([ground.pod.then(() => run(podRoles)), run(besideRoles)]);
}
