/**
 * `peers up` on a running run whose pod lost a container (the egress proxy, the auth sidecar, a
 * runner): start it again. The container keeps its configuration (podman start of the stopped
 * container), reconnects to the loop's lifeline, and the loop, which has held the run meanwhile,
 * goes on (src/loop/pod-health.ts; docs/ARCHITECTURE.md, "A dead sidecar").
 */
import { containerName, type Role } from './pod-layout.ts';
import { podmanOk } from './podman.ts';

/** Sidecars first, as `up` starts them (podman-render.ts): what the others connect to. */
const START_ORDER: readonly string[] = ['egress', 'bridge', 'auth', 'model-server', 'setup', 'gates', 'workspace'];

export async function restartContainers(project: string, roles: readonly string[], progress: (line: string) => void, env: NodeJS.ProcessEnv): Promise<void> {
  const ordered = [...roles].sort((a, b) => START_ORDER.indexOf(a) - START_ORDER.indexOf(b));
  for (const role of ordered) {
    progress(`restarting ${role} (it had stopped while the run was running)`);
    await podmanOk(['start', containerName(project, role as Role)], { env });
  }
}
