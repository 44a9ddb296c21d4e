/**
 * The host side of a Kubernetes run, driven against Pods `podman kube play` made (kube-play.ts),
 * run as the unprivileged test user: the same functions `peers up`, `status` and `down` call, with
 * `podman exec` standing in for the API's exec (pod-exec.ts).
 *
 *   bun k8s-host-driver.ts deliver REPO POD STATE_CLAIM WORKDIR   → prints the base commit
 *   bun k8s-host-driver.ts pull-state POD STATE_DIR
 *   bun k8s-host-driver.ts fetch-back REPO POD BASE KEY STATE_DIR → prints the result as JSON
 */
import { join } from 'node:path';
import { deliveryStream, packDelivery } from '../../sandbox/k8s/delivery.ts';
import { fetchRunBranch, runBranchName } from '../../sandbox/k8s/fetch-back.ts';
import { execText, podmanPodExec } from '../../sandbox/k8s/pod-exec.ts';
import { deliverySources, prepareRunRepo } from '../../sandbox/k8s/run-repo.ts';
import { pullState } from '../../sandbox/k8s/state-sync.ts';
import { INIT_CONTAINER, STATE_FULL_EXCLUDES, unpackCommand } from '../../sandbox/k8s/transport.ts';

const [cmd, ...args] = process.argv.slice(2);
const podman = ['podman'];

if (cmd === 'deliver') {
  const [repo, pod, stateClaim, work] = args as [string, string, string, string];
  const run = prepareRunRepo(repo, join(work, 'clone'));
  const d = await packDelivery(deliverySources({ clone: run.clone }), join(work, 'delivery.tar'));
  await execText(podmanPodExec(podman, pod), INIT_CONTAINER, unpackCommand(stateClaim, run.base), 'delivering', { stdin: deliveryStream(d) });
  process.stdout.write(`${run.base}\n`);
} else if (cmd === 'pull-state') {
  const [pod, stateDir] = args as [string, string];
  await pullState(podmanPodExec(podman, pod), stateDir, STATE_FULL_EXCLUDES);
} else if (cmd === 'fetch-back') {
  const [repo, pod, base, key, stateDir] = args as [string, string, string, string, string];
  const r = await fetchRunBranch(podmanPodExec(podman, pod), { repoInPod: '/state/run/clone', base, userRepo: repo, branch: runBranchName(key), stateDir });
  process.stdout.write(`${JSON.stringify(r)}\n`);
} else {
  process.stderr.write(`unknown command ${cmd}\n`);
  process.exit(2);
}
