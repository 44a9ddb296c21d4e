/**
 * Creates and starts the pod of a plan (podman-render.ts) with as few podman processes, waited on
 * one after another, as the order allows: each podman call costs a process start and a walk of its
 * storage (0.2–0.4 s), so the containers are created concurrently (the pod's members once the pod
 * exists, the containers beside it once their volumes do), and started by few `podman start` calls
 * (startGroups: the loop last).
 */
import { podman, podmanOk } from './podman.ts';
import type { PodmanPlan } from './podman-render.ts';
import { containerName } from './pod-spec.ts';
import { waitForModelServer } from './rehearsal.ts';

async function ensureVolume(name: string): Promise<void> {
  if ((await podman(['volume', 'exists', name])).code !== 0) await podmanOk(['volume', 'create', name]);
}

/** Every container of the plan created (and the pod, and the named volumes); rejects on the first failure, after all calls end. */
export async function createPodContainers(plan: PodmanPlan, volumes: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const create = (inPod: boolean) => Promise.all(plan.createContainers.filter((c) => c.inPod === inPod).map((c) => podmanOk(c.argv, { env })));
  // allSettled: every podman call has ended before the caller tears down what was created.
  const results = await Promise.allSettled([
    podmanOk(plan.createPod).then(() => create(true)),
    Promise.all(volumes.map(ensureVolume)).then(() => create(false)),
  ]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
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

/** Starts the containers in the order of `startGroups`. */
export async function startPodContainers(plan: PodmanPlan, project: string, progress: (line: string) => void): Promise<void> {
  for (const group of startGroups(plan)) {
    progress(`starting ${group.map((c) => c.join(', ')).join('; ')}`);
    const results = await Promise.allSettled(group.map((call) => podmanOk(['start', ...call.map((r) => containerName(project, r as never))])));
    for (const r of results) if (r.status === 'rejected') throw r.reason;
    if (group.at(-1)?.at(-1) === 'model-server') await waitForModelServer(project);
  }
}
