/**
 * The host side of a Kubernetes run, driven against Pods `podman kube play` made (kube-play.ts),
 * run as the unprivileged test user: the same functions `peers up`, `status` and `down` call, with
 * `podman exec` standing in for the API's exec (pod-exec.ts).
 *
 *   bun k8s-host-driver.ts deliver REPO POD   → makes the run's state as `up` does, delivers it, prints the base commit
 *   bun k8s-host-driver.ts pull-state REPO POD
 *   bun k8s-host-driver.ts fetch-back REPO POD → the run's head into the host's mirror, then the results branch, as JSON
 */
import { planPod } from '../../sandbox/pod-plan.ts';
import { deliverRun, prepareK8sState } from '../../sandbox/k8s/k8s-deliver.ts';
import { fetchRunHead } from '../../sandbox/k8s/fetch-back.ts';
import { k8sNames } from '../../sandbox/k8s/names.ts';
import { podmanPodExec } from '../../sandbox/k8s/pod-exec.ts';
import { pullState } from '../../sandbox/k8s/state-sync.ts';
import { STATE_FULL_EXCLUDES } from '../../sandbox/k8s/transport.ts';
import { adoptRunControlPlane } from '../../sandbox/prepare-run.ts';
import { publishIfRun } from '../../sandbox/publish-if-run.ts';
import { ensureStateDirs, projectKey, stateDirFor, statePaths } from '../../src/state/paths.ts';

const [cmd, repo, pod] = process.argv.slice(2) as [string, string, string];
const exec = podmanPodExec(['podman'], pod, process.env);
const stateDir = stateDirFor(repo);
const progress = (l: string) => process.stderr.write(`${l}\n`);

if (cmd === 'deliver') {
  const { key, budget } = await planPod(repo, { allow: [] });
  const paths = statePaths(stateDir);
  ensureStateDirs(paths);
  adoptRunControlPlane(repo, paths, { progress });
  const base = prepareK8sState(repo, { stateDir, key, budget }, { progress });
  await deliverRun(exec, { stateDir, names: k8sNames(key) }, base, progress);
  process.stdout.write(`${base}\n`);
} else if (cmd === 'pull-state') {
  await pullState(exec, stateDir, STATE_FULL_EXCLUDES);
} else if (cmd === 'fetch-back') {
  const head = await fetchRunHead(exec, statePaths(stateDir));
  const results = publishIfRun(repo, stateDir);
  process.stdout.write(`${JSON.stringify({ head, results, key: projectKey(repo) })}\n`);
} else {
  process.stderr.write(`unknown command ${cmd}\n`);
  process.exit(2);
}
