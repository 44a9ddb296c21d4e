/**
 * `peers up --target k8s`: the run on a Kubernetes cluster (docs/ARCHITECTURE.md, "Kubernetes").
 * peers only renders and applies: the objects of k8s-render.ts are created in order (namespace,
 * credentials Secret, claims, NetworkPolicies, then the Pods, the run Pod last); the repository is
 * streamed into the run Pod's init container (delivery.ts); scheduling, restarts and isolation
 * are Kubernetes'. Idempotent like the podman `up`: a running loop is reported, the dead Pods of an
 * earlier run are removed and recreated, and a run whose state claim exists resumes from it.
 */
import { basename } from 'node:path';
import { InputError, PeersError } from '../../src/cli/errors.ts';
import { headSha } from '../../src/git/git.ts';
import { loadProject } from '../../src/config/load.ts';
import { ensureStateDirs, statePaths } from '../../src/state/paths.ts';
import { assertApiKeys } from '../credential-check.ts';
import { readPolicyIfPresent } from '../../src/budget/budget-policy-file.ts';
import { checkRehearsal } from '../rehearsal.ts';
import { ensureRegistered, updateRegistry } from '../registry.ts';
import { adoptRunControlPlane } from '../prepare-run.ts';
import { resolveProjectDir, type UpOptions, type UpResult } from '../up-options.ts';
import { deliverRun, prepareK8sState } from './k8s-deliver.ts';
import { k8sObjects, type K8sPlan, planK8s, type K8sTargetOptions } from './k8s-plan.ts';
import type { V1Pod } from '@kubernetes/client-node';
import { type KubeCluster } from './kube-client.ts';
import { projectSelector, RUN_POD_KIND } from './names.ts';
import { execText, type PodExec } from './pod-exec.ts';
import { hasTerminated, isRunning, podProblem, schedulingWait } from './pod-state.ts';
import { recordK8sTarget, targetOfRepo } from '../run-target.ts';
import { INIT_CONTAINER, probeDeliveryCommand, probeDeliveryInReaderCommand, READER_CONTAINER } from './transport.ts';

/** Scheduling, image pulls and the other Pods' start: how long `up` waits for the run to begin. */
const START_TIMEOUT_MS = 15 * 60_000;

export type K8sUpResult = UpResult & { namespace: string; context: string; image: string; resumed: boolean };

export async function connectCluster(context: string | undefined): Promise<KubeCluster> {
  const { KubeCluster } = await import('./kube-client.ts');
  return KubeCluster.connect({ context });
}

export function podExec(cluster: KubeCluster, namespace: string, pod: string): PodExec {
  return (container, argv, io) => cluster.exec(namespace, pod, container, argv, io);
}

/** Polls a Pod until `ready` says so; a problem that will not go away fails at once. */
export async function waitForPod(cluster: KubeCluster, namespace: string, name: string, what: string, ready: (pod: V1Pod) => boolean, progress: (l: string) => void, timeoutMs = START_TIMEOUT_MS, pollMs = 1000): Promise<V1Pod> {
  const deadline = Date.now() + timeoutMs;
  let said = '';
  for (;;) {
    const pod = await cluster.readPod(namespace, name);
    if (!pod) throw new PeersError(`Pod ${name} disappeared while waiting for ${what}`);
    if (ready(pod)) return pod;
    const problem = podProblem(pod);
    if (problem) throw new PeersError(`the run cannot start: ${problem}`, { hint: /Image|image/.test(problem) ? 'push the image for this peers binary: peers image build --push REGISTRY' : `kubectl -n ${namespace} describe pod ${name}` });
    const wait = schedulingWait(pod);
    if (wait && wait !== said) progress(wait);
    said = wait ?? said;
    if (Date.now() > deadline) throw new PeersError(`timed out waiting for ${what}${wait ? ` (${wait})` : ''}`, { hint: `kubectl -n ${namespace} describe pod ${name}` });
    await Bun.sleep(pollMs);
  }
}

async function removePods(cluster: KubeCluster, plan: K8sPlan, progress: (l: string) => void): Promise<void> {
  const pods = await cluster.listPods(plan.namespace, projectSelector(plan.names));
  if (!pods.length) return;
  progress('removing the stopped Pods of the previous run');
  for (const p of pods) await cluster.remove('Pod', plan.namespace, p.metadata!.name!, 5);
  const deadline = Date.now() + 120_000;
  while ((await cluster.listPods(plan.namespace, projectSelector(plan.names))).length) {
    if (Date.now() > deadline) throw new PeersError('the previous run\'s Pods are still terminating after two minutes', { hint: `kubectl -n ${plan.namespace} get pods` });
    await Bun.sleep(1000);
  }
}

/** One run per project: a loop running in a local podman pod must be stopped first. */
async function refuseRunningPodmanPod(key: string, env: NodeJS.ProcessEnv): Promise<void> {
  const { podmanBin, projectContainers } = await import('../podman.ts');
  if (process.getuid?.() === 0 || !Bun.which(podmanBin(env), { PATH: env.PATH ?? '' })) return;
  const running = (await projectContainers(key, env).catch(() => [])).some((c) => c.role === 'loop' && c.running);
  if (running) throw new InputError('this project is running in a local podman pod', { hint: 'peers down first, then peers up --target k8s' });
}

export async function upK8s(o: UpOptions & K8sTargetOptions): Promise<K8sUpResult> {
  const env = o.env ?? process.env;
  const t0 = Date.now();
  const repo = resolveProjectDir(o.target, env);
  const loaded = loadProject(repo);
  const rehearsal = o.rehearse ? checkRehearsal(o.rehearse, loaded.config) : undefined;
  const upstream = rehearsal !== undefined ? 'model-server' : (o.upstream ?? 'vendors');
  if (upstream !== 'model-server') assertApiKeys(loaded.config, loaded.configPath, env);
  const plan = await planK8s(repo, { ...o, upstream }, env);
  if (plan.budget.warning) o.progress(`warning: ${plan.budget.warning}`);
  const earlier = targetOfRepo(repo, env);
  if (earlier && (earlier.namespace !== plan.namespace || (earlier.context ?? '') !== (plan.context ?? ''))) {
    throw new InputError(`this project's run is in namespace ${earlier.namespace}${earlier.context ? ` of context ${earlier.context}` : ''}`, { hint: 'peers down first (add --purge to drop its state), then peers up with the new target' });
  }
  // A run that resumes keeps the control plane on its state volume: a changed .peers/ adopted
  // here would never reach it.
  if (earlier && o.acceptChanges) {
    throw new InputError("--accept-changes cannot reach a run that resumes on the cluster: its .peers/ snapshot is on the run's state volume, delivered once when the run started", {
      hint: 'peers down --purge, then peers up --target k8s --accept-changes starts a new run with the changed .peers/',
    });
  }
  // Likewise its budget policy: delivered once, with the run (k8s-deliver.ts). The run keeps the cap
  // it started with (as a resumed podman run keeps its --max-usd); a different one would be left
  // without effect, so it is refused.
  if (earlier && o.maxUsd !== undefined) {
    const delivered = readPolicyIfPresent(plan.stateDir);
    if (delivered?.max_usd !== o.maxUsd) {
      const cap = delivered ? (delivered.max_usd === null ? 'no USD cap' : `a cap of $${delivered.max_usd}`) : 'the budget policy it started with';
      throw new InputError(`--max-usd ${o.maxUsd} cannot reach a run that resumes on the cluster: it keeps ${cap}, delivered once with the run to its state volume`, {
        hint: 'peers up --target k8s without --max-usd resumes it with that cap; peers down --purge, then peers up --target k8s --max-usd N starts a new run with another (peers report reads the old run first)',
      });
    }
  }
  await refuseRunningPodmanPod(plan.key, env);
  const entry = await ensureRegistered(repo, env);
  const runPod = plan.names.pod(RUN_POD_KIND);
  const cluster = await connectCluster(plan.context);
  const result = (resumed: boolean, alreadyRunning: boolean): K8sUpResult => ({
    name: entry.name ?? basename(repo),
    project: plan.key,
    pod: runPod,
    alreadyRunning,
    stateDir: plan.stateDir,
    seconds: (Date.now() - t0) / 1000,
    namespace: plan.namespace,
    context: cluster.context,
    image: plan.image,
    resumed,
    notes: [],
  });

  const current = await cluster.readPod(plan.namespace, runPod);
  if (isRunning(current, 'loop')) return result(true, true);
  await removePods(cluster, plan, o.progress);

  // Refused before anything exists in the cluster: a repository without a commit cannot run, and
  // a .peers/ changed since the last run is shown and refused as on podman.
  const head = headSha(repo);
  if (!head) throw new InputError(`${repo} has no commit yet: the run starts from your HEAD`, { hint: 'commit your work, then run `peers up` again' });
  const paths = statePaths(plan.stateDir);
  ensureStateDirs(paths);
  adoptRunControlPlane(repo, paths, o);
  await updateRegistry((ps) => {
    const p = ps.find((x) => x.path === repo);
    if (p) p.last_up_at = new Date().toISOString();
  }, env);
  let createdNamespace = earlier?.created_namespace ?? false;
  const target = (base: string) => ({ context: plan.context, namespace: plan.namespace, base, image: plan.image, created_namespace: createdNamespace });
  for (const obj of k8sObjects(plan, env)) {
    if (obj.kind === 'Namespace' && (await cluster.namespaceExists(plan.namespace))) continue;
    const r = await cluster.apply(obj);
    if (obj.kind === 'Namespace') createdNamespace = true;
    o.progress(`${r} ${obj.kind} ${obj.metadata!.name}${obj.kind === 'Namespace' ? '' : ` in ${plan.namespace}`}`);
  }
  // Recorded as soon as something exists, so `down` finds it even if the rest fails.
  await recordK8sTarget(repo, target(earlier?.base ?? head), env);

  o.progress(`waiting for ${runPod} to be scheduled and its init container to start`);
  const initPod = await waitForPod(cluster, plan.namespace, runPod, "the run Pod's init container", (p) => isRunning(p, INIT_CONTAINER) || hasTerminated(p, INIT_CONTAINER), o.progress);
  const exec = podExec(cluster, plan.namespace, runPod);
  type Probe = { delivered: boolean; base?: string };
  let probe: Probe | undefined;
  if (isRunning(initPod, INIT_CONTAINER)) {
    try {
      probe = JSON.parse(await execText(exec, INIT_CONTAINER, probeDeliveryCommand(plan.names.stateClaim), 'probing the run volume')) as Probe;
    } catch (e) {
      if (!hasTerminated(await cluster.readPod(plan.namespace, runPod), INIT_CONTAINER)) throw e;
    }
  }
  // The init container of a resumed run ends as soon as it finds the delivery (it exits 0 only
  // then), possibly before it could be asked: the reader answers instead, from the same volume.
  if (!probe) {
    await waitForPod(cluster, plan.namespace, runPod, "the run Pod's reader", (p) => isRunning(p, READER_CONTAINER), o.progress);
    probe = JSON.parse(await execText(exec, READER_CONTAINER, probeDeliveryInReaderCommand(), 'probing the run volume')) as Probe;
    if (!probe.delivered) throw new PeersError("the run Pod's init container finished, but the run volume holds no delivery", { hint: `kubectl -n ${plan.namespace} logs ${runPod} -c ${INIT_CONTAINER}` });
  }
  let base: string;
  if (probe.delivered && probe.base) {
    o.progress(`the run volume holds the run started from ${probe.base.slice(0, 10)}: resuming it`);
    base = probe.base;
  } else {
    base = prepareK8sState(repo, plan, { ...o, rehearsalText: rehearsal });
    await deliverRun(exec, plan, base, o.progress);
  }
  await recordK8sTarget(repo, target(base), env);
  o.progress('waiting for the loop to start');
  await waitForPod(cluster, plan.namespace, runPod, 'the loop container', (p) => isRunning(p, 'loop') || hasTerminated(p, 'loop'), o.progress);
  return result(Boolean(probe.delivered), false);
}
