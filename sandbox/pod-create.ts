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
import { containerName } from './pod-spec.ts';
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
 * What the pod's members stand on: the pod itself. `up` creates it first, while it prepares the run
 * clone. The containers beside it need nothing made first: podman creates a named volume the first
 * time a container mounts it (the dependency cache, mounted by the setup container alone).
 */
export type PodGround = { pod: Promise<unknown> };

/** Creates the pod now; a failure is thrown where createAndStartPod awaits it. */
export function prepareGround(plan: PodmanPlan, env: NodeJS.ProcessEnv): PodGround {
  const ground = { pod: podmanOk(plan.createPod, { env }) };
  // Awaited later, after the clone: not an unhandled rejection meanwhile.
  ground.pod.catch(() => undefined);
  return ground;
}

/** Waits for the ground however it ended, so no podman call outlives a failed `up`. */
export async function settleGround(ground: PodGround): Promise<void> {
  await ground.pod;
}

/**
 * Creates and starts every container of the plan on its ground (prepareGround). Each container is
 * created and started by one `podman run --detach`, all at once: the members as soon as the pod
 * exists, the others at once, the loop among them. No start order is needed:
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
  // `run --detach` is `create` and `start` in one podman process (the argv is the create's).
  const run = (roles: string[]) => settleAll(roles.map((r) => podmanOk(['run', '--detach', ...argvOf(r).slice(1)], { env })));
  progress(`starting ${[...besideRoles, ...podRoles].join(', ')}`);
  await settleAll([ground.pod.then(() => run(podRoles)), run(besideRoles)]);
}
