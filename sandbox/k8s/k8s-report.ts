/**
 * `peers report` of a run on Kubernetes: the state comes home (all of it but the repositories),
 * and so do the run's commits as peers/<project>; the report itself is the podman one.
 */
import { fetchBack } from './k8s-down.ts';
import { openSession } from './k8s-session.ts';
import { syncState } from './k8s-status.ts';
import { STATE_FULL_EXCLUDES } from './transport.ts';

/** Returns the results line (or why there is none). */
export async function refreshFromCluster(repo: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const s = await openSession(repo, env);
  if (!(await syncState(s, STATE_FULL_EXCLUDES))) return `the run Pod is not running in ${s.target.namespace}: reporting the state last brought home`;
  return (await fetchBack(s)) ?? 'results: not fetched';
}
