/**
 * What comes home from a running run Pod, through its reader container: the run's state files
 * (state-sync.ts) and the run's commits into the host's trusted mirror (fetch-back.ts). `status`
 * brings the light part, `down` and `report` everything; each asks here.
 */
import { statePaths } from '../../src/state/paths.ts';
import { fetchRunHead } from './fetch-back.ts';
import type { K8sSession } from './k8s-session.ts';
import { isRunning } from './pod-state.ts';
import { pullState } from './state-sync.ts';
import { READER_CONTAINER, STATE_LIGHT_EXCLUDES } from './transport.ts';

/** Pulls the run's state into the host's state dir; false when there is no running reader to pull from. */
export async function syncState(s: K8sSession, excludes: string[] = STATE_LIGHT_EXCLUDES): Promise<boolean> {
  if (!isRunning(s.runPod, READER_CONTAINER)) return false;
  await pullState(s.exec, s.stateDir, excludes);
  return true;
}

/** Brings the run's commits into the host's trusted mirror; a line when they could not come, undefined when they did (or there is no reader). */
export async function fetchBack(s: K8sSession): Promise<string | undefined> {
  if (!isRunning(s.runPod, READER_CONTAINER)) return undefined;
  const r = await fetchRunHead(s.exec, statePaths(s.stateDir));
  return r.note && r.head === null ? undefined : r.note;
}
