/**
 * The end of a pod on podman: its containers, the pod and the socket dirs they shared. `up` calls it
 * for a failed start or a stale pod, `down` after the loop has saved, `reset` before archiving.
 */
import { rmSync } from 'node:fs';
import { containerName, podName } from './pod-spec.ts';
import { sharedRoot } from './pod-plan.ts';
import { podman } from './podman.ts';

/** Removes the pod and the containers beside it (loop, setup, gates, egress), in any state; the shared
 *  socket dirs go with them. The loop goes first so it never outlives its runners by long; a loop
 *  already stopped (`peers down`) goes with the pod. The pod and the containers beside it are
 *  removed by two podman calls at once: nothing orders them. */
export async function teardown(project: string, env: NodeJS.ProcessEnv, o: { loopStopped?: boolean } = {}): Promise<void> {
  // --ignore: podman 4.3's `rm -f A B` silently removes NOTHING (exit 0) when one of the names is
  // missing, e.g. after an `up` that failed before creating the gates container.
  if (!o.loopStopped) await podman(['rm', '-f', '--ignore', '-t', '2', containerName(project, 'loop')], { env });
  await Promise.all([
    podman(['pod', 'rm', '-f', '--ignore', '-t', '2', podName(project)], { env }),
    podman(['rm', '-f', '--ignore', '-t', '2', containerName(project, 'setup'), containerName(project, 'gates'), containerName(project, 'egress')], { env }),
  ]);
  rmSync(sharedRoot(project, env), { recursive: true, force: true });
}
