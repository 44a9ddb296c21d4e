/**
 * `peers report` of a run on Kubernetes: the state comes home (all of it but the repositories),
 * and so do the run's commits (into the host's trusted mirror); the report and the results branch
 * are then the podman ones.
 */
import { fetchBack, syncState } from './bring-home.ts';
import { openSession } from './k8s-session.ts';
import { STATE_FULL_EXCLUDES } from './transport.ts';

/** Returns a line worth saying when the cluster could not send everything. */
export async function refreshFromCluster(repo: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const s = await openSession(repo, env);
  if (!(await syncState(s, STATE_FULL_EXCLUDES))) return `the run Pod is not running in ${s.target.namespace}: reporting the state last brought home`;
  return fetchBack(s);
}
