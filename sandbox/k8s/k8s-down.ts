/**
 * `peers down` of a run on Kubernetes, in podman's order: SIGTERM to the loop (through exec, to
 * catatonit, PID 1 of its container, which passes it on) and up to the grace period for it to save
 * its state; then the run's state and its commits come home (state-sync.ts, fetch-back.ts); then
 * the Pods, NetworkPolicies and the credentials Secret are deleted; the results branch and the
 * check of the user's repository are podman's own. The state and cache claims stay
 * for the next `up` to resume from, unless `--purge` (which also deletes the namespace peers made).
 * Fail closed: a loop that cannot be stopped leaves everything in place.
 */
import { PeersError } from '../../src/cli/errors.ts';
import { statePaths } from '../../src/state/paths.ts';
import { readStopReason } from '../../src/state/stop-reason.ts';
import { checkUserRepo, type DownResult } from '../down.ts';
import { gatesCacheVolume } from '../pod-layout.ts';
import { updateRegistry } from '../registry.ts';
import { fingerprintPath } from '../prepare-run.ts';
import { publishIfRun } from '../publish-if-run.ts';
import { fetchBack, syncState } from './bring-home.ts';
import { type K8sSession, openSession } from './k8s-session.ts';
import { RUN_POD_KIND } from './names.ts';
import { hasTerminated, isRunning } from './pod-state.ts';
import { recordK8sTarget } from '../run-target.ts';
import { STATE_FULL_EXCLUDES } from './transport.ts';

async function stopLoop(s: K8sSession, graceS: number, progress: (l: string) => void): Promise<void> {
  const ns = s.target.namespace;
  const pod = s.names.pod(RUN_POD_KIND);
  progress(`stopping the loop (SIGTERM, up to ${graceS}s to save its state)`);
  const r = await s.exec('loop', ['/bin/sh', '-c', 'kill -TERM 1']);
  if (r.code !== 0) throw new PeersError(`could not signal the loop (exit ${r.code}${r.message ? `: ${r.message}` : ''})`, { hint: `kubectl -n ${ns} logs ${pod} -c loop` });
  const deadline = Date.now() + (graceS + 30) * 1000;
  for (;;) {
    const p = await s.cluster.readPod(ns, pod);
    if (!p || hasTerminated(p, 'loop')) {
      s.runPod = p;
      return;
    }
    if (Date.now() > deadline) throw new PeersError(`the loop did not stop within ${graceS + 30}s; the run is left as it is`, { hint: `kubectl -n ${ns} logs ${pod} -c loop` });
    await Bun.sleep(1000);
  }
}

export async function downK8s(o: { repo: string; graceS: number; purge: boolean; progress: (l: string) => void; env?: NodeJS.ProcessEnv }): Promise<DownResult> {
  const t0 = Date.now();
  const env = o.env ?? process.env;
  const s = await openSession(o.repo, env);
  const ns = s.target.namespace;
  const wasRunning = isRunning(s.runPod, 'loop');
  if (wasRunning) await stopLoop(s, o.graceS, o.progress);
  if (await syncState(s, STATE_FULL_EXCLUDES)) {
    const line = await fetchBack(s);
    if (line) o.progress(line);
  } else if (s.runPod) {
    o.progress('the run Pod\'s reader is not running: the state and commits were not brought home (the state claim keeps them)');
  }
  if (s.pods.length) o.progress('removing the Pods, NetworkPolicies and the credentials and runner-key Secrets');
  for (const p of s.pods) await s.cluster.remove('Pod', ns, p.metadata!.name!, 5);
  await s.cluster.remove('NetworkPolicy', ns, s.names.isolatePolicy);
  await s.cluster.remove('NetworkPolicy', ns, s.names.egressPolicy);
  await s.cluster.remove('Secret', ns, s.names.credentials);
  await s.cluster.remove('Secret', ns, s.names.runnerKeys);
  await s.cluster.remove('ConfigMap', ns, s.names.control);
  if (o.purge) {
    o.progress('deleting the run\'s volumes');
    for (const claim of [s.names.stateClaim, s.names.socketsClaim, s.names.volumeClaim(gatesCacheVolume(s.key))]) await s.cluster.remove('PersistentVolumeClaim', ns, claim);
    if (s.target.created_namespace) await s.cluster.remove('Namespace', ns, ns);
    await recordK8sTarget(o.repo, undefined, env);
  }
  await updateRegistry((ps) => {
    const p = ps.find((x) => x.path === o.repo);
    if (p) p.last_down_at = new Date().toISOString();
  }, env);
  // As on podman: the run's commits become the results branch, and the user's repository is
  // checked against the fingerprint `up` took.
  const results = publishIfRun(o.repo, s.stateDir) ?? null;
  const repoCheck = checkUserRepo(o.repo, fingerprintPath(statePaths(s.stateDir)), results);
  return { path: o.repo, project: s.key, wasRunning, leftovers: !wasRunning && s.pods.length > 0, stopReason: readStopReason(statePaths(s.stateDir).stopReason)?.reason ?? null, results, repoCheck, seconds: (Date.now() - t0) / 1000 };
}
