/**
 * A registered project's run on its cluster, as the host commands (`status`, `logs`, `report`,
 * `down`) reach it: the target the registry recorded at `up`, the API connection, the run's Pods.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { InputError } from '../../src/cli/errors.ts';
import { projectKey, stateDirFor } from '../../src/state/paths.ts';
import { connectCluster, podExec } from './k8s-up.ts';
import type { KubeCluster } from './kube-client.ts';
import { type K8sNames, k8sNames, projectSelector, RUN_POD_KIND } from './names.ts';
import type { PodExec } from './pod-exec.ts';
import { podKind } from './pod-state.ts';
import { type K8sTarget, targetOfRepo } from '../run-target.ts';

export type K8sSession = {
  repo: string;
  key: string;
  stateDir: string;
  target: K8sTarget;
  names: K8sNames;
  cluster: KubeCluster;
  pods: V1Pod[];
  runPod: V1Pod | undefined;
  /** exec in the run Pod's containers. */
  exec: PodExec;
};

export async function openSession(repo: string, env: NodeJS.ProcessEnv = process.env, stateDirOverride?: string): Promise<K8sSession> {
  const target = targetOfRepo(repo, env);
  if (!target) throw new InputError(`${repo} has no run on Kubernetes`, { hint: 'peers up --target k8s starts one' });
  const key = projectKey(repo);
  const names = k8sNames(key);
  const cluster = await connectCluster(target.context);
  const pods = await cluster.listPods(target.namespace, projectSelector(names));
  const runPod = pods.find((p) => podKind(p) === RUN_POD_KIND);
  return { repo, key, stateDir: stateDirOverride ?? stateDirFor(repo, env), target, names, cluster, pods, runPod, exec: podExec(cluster, target.namespace, names.pod(RUN_POD_KIND)) };
}
