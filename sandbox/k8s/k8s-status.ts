/**
 * The status of a run on Kubernetes, derived as podman's is (sandbox/reconcile.ts): the containers' states
 * from the API, the run's figures from the state, which the reader container sends home first
 * (state-sync.ts) so `status`, `ls` and `report` read the same files on both targets. A cluster
 * that cannot be reached is an error naming it, never a made-up status.
 */
import { existsSync } from 'node:fs';
import { statePaths } from '../../src/state/paths.ts';
import { readStopReason } from '../../src/state/stop-reason.ts';
import { classify, deadContainers, finishedByOf, type ProjectStatus } from '../reconcile.ts';
import type { ProjectEntry } from '../registry.ts';
import { runFigures } from '../run-figures.ts';
import { fetchBack, syncState } from './bring-home.ts';
import { openSession } from './k8s-session.ts';
import { containerStates, isRunning, startedAt } from './pod-state.ts';

/** Brings the run's state home when the reader can send it; says whether it did. */
export async function k8sProjectStatus(p: ProjectEntry, env: NodeJS.ProcessEnv = process.env, stateDirOverride?: string): Promise<ProjectStatus> {
  const s = await openSession(p.path, env, stateDirOverride);
  // The state, and the run's head into the host's mirror (what `status` publishes as the results branch).
  if (await syncState(s)) await fetchBack(s);
  const paths = statePaths(s.stateDir);
  const stop = readStopReason(paths.stopReason);
  const figures = await runFigures(s.stateDir, p.path, env);
  const containers = containerStates(s.pods);
  const loopStart = startedAt(s.runPod, 'loop');
  const lastUp = p.last_up_at ?? null;
  const status = classify({
    loopRunning: isRunning(s.runPod, 'loop'),
    loopStartedAt: loopStart && lastUp ? (Date.parse(loopStart) >= Date.parse(lastUp) ? loopStart : lastUp) : (loopStart ?? lastUp),
    stopReason: stop,
    hasState: existsSync(paths.state),
    hasContainers: containers.length > 0,
  });
  // A dead container of a running pod holds the run, as with podman (sandbox/reconcile.ts).
  const degraded = status === 'running' ? deadContainers(containers, figures.podDown) : [];
  const finishedBy = await finishedByOf(status, s.stateDir, stop);
  return { name: p.name ?? p.path, path: p.path, status, degraded, tick: figures.tick, stopReason: stop?.reason ?? null, finishedBy, spend: figures.spend, openGates: figures.openGates, unmeasured: figures.unmeasured, goalsError: figures.goalsError, stateDir: s.stateDir, containers };
}
