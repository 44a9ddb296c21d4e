/**
 * Creates and starts the pod of a plan (podman-render.ts) with as few podman processes, waited on
 * one after another, as the order allows: each podman call costs a process start and a walk of its
 * storage (0.2–0.4 s), so the containers are created concurrently (the pod's members once the pod
 * exists, the containers beside it once their volumes do), and started by few `podman start` calls
 * (startGroups: the loop last), each side as soon as it is created.
 */
import { podman, podmanOk } from './podman.ts';
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

async function ensureVolume(name: string, env: NodeJS.ProcessEnv): Promise<void> {
  if ((await podman(['volume', 'exists', name], { env })).code !== 0) await podmanOk(['volume', 'create', name], { env });
}

/**
 * The `podman start` calls, as groups of calls to run at once, one group after another. A `podman
 * start` returns once its containers' processes run (not once they listen), and podman starts the
 * names of one call in order: so the containers beside the pod (egress, setup, gates) and the pod's
 * sidecars and workspace runner start in two concurrent calls, and the loop, which uses them all,
 * after both (as before, it finds its runners by their sockets when it needs them). With a model
 * server (a rehearsal) everything up to it starts first, and the rest once it listens.
 */
export function startGroups(plan: PodmanPlan): string[][][] {
  const roles = plan.createContainers.map((c) => c.role);
  const cut = roles.indexOf('model-server') + 1;
  if (cut > 0) return [[roles.slice(0, cut)], [roles.slice(cut)]].map((g) => g.filter((c) => c.length));
  const inPod = new Set(plan.createContainers.filter((c) => c.inPod).map((c) => c.role));
  const beside = roles.filter((r) => !inPod.has(r));
  const members = roles.filter((r) => inPod.has(r) && r !== 'loop');
  const groups = [[beside, members].filter((c) => c.length)];
  if (roles.includes('loop')) groups.push([['loop']]);
  return groups;
}

/**
 * Creates and starts every container of the plan. The containers beside the pod (once their volumes
 * exist) and the pod's members (once the pod exists) are created concurrently, and each side is
 * started by its `podman start` as soon as it is created, while the other side may still be
 * created; then the loop. A rehearsal creates everything first, then starts in startGroups' order.
 */
export async function createAndStartPod(plan: PodmanPlan, volumes: string[], project: string, env: NodeJS.ProcessEnv, progress: (line: string) => void): Promise<void> {
  const create = (roles: string[]) => settleAll(plan.createContainers.filter((c) => roles.includes(c.role)).map((c) => podmanOk(c.argv, { env })));
  const start = (roles: string[]) => {
    progress(`starting ${roles.join(', ')}`);
    return podmanOk(['start', ...roles.map((r) => containerName(project, r as never))], { env });
  };
  const inPod = (r: string) => plan.createContainers.find((c) => c.role === r)!.inPod;
  const groups = startGroups(plan);
  const prepare = { pod: () => podmanOk(plan.createPod, { env }), beside: () => settleAll(volumes.map((v) => ensureVolume(v, env))) };
  const podRoles = plan.createContainers.filter((c) => c.inPod).map((c) => c.role);
  if (podRoles.includes('model-server')) {
    const besideRoles = plan.createContainers.filter((c) => !c.inPod).map((c) => c.role);
    await settleAll([prepare.pod().then(() => create(podRoles)), prepare.beside().then(() => create(besideRoles))]);
    for (const group of groups) {
      await settleAll(group.map(start));
      if (group.at(-1)?.at(-1) === 'model-server') await waitForModelServer(project, env);
    }
    return;
  }
  const [first = [], ...rest] = groups;
  const created = new Set<string>();
  const createOnce = (roles: string[]) => {
    const todo = roles.filter((r) => !created.has(r));
    for (const r of todo) created.add(r);
    return create(todo);
  };
  // Each call of the first group: its side's creation (the pod and all its members, the loop too;
  // or the volumes and the containers beside the pod), then its start.
  await settleAll(first.map((call) => (inPod(call[0]!) ? prepare.pod().then(() => createOnce(podRoles)) : prepare.beside().then(() => createOnce(call))).then(() => start(call))));
  for (const group of rest) {
    await createOnce(group.flat());
    await settleAll(group.map(start));
  }
}
