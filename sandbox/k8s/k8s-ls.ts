/**
 * `peers ls --target k8s`: every peers run on a cluster, whoever started it, from the run Pods'
 * labels, annotations and container states (one list call; nothing is exec'd). Its status follows
 * the loop container: running, stopped (exit 0: complete or max_ticks), ended (another exit: a
 * budget, a halt, an interruption or a crash; `peers status` there tells which), or the Pod's phase
 * while it starts.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { connectCluster } from './k8s-up.ts';
import { ANNOTATION_KEY, ANNOTATION_REPO, ANNOTATION_STARTED_BY, LABEL_PROJECT, RUN_POD_SELECTOR } from './names.ts';
import { containerStatus, startedAt } from './pod-state.ts';

export type ClusterRun = {
  namespace: string;
  project: string;
  pod: string;
  status: 'running' | 'stopped' | 'ended' | 'starting' | 'failed';
  exitCode: number | null;
  startedAt: string | null;
  node: string | null;
  repository: string | null;
  startedBy: string | null;
};

export function clusterRun(p: V1Pod): ClusterRun {
  const loop = containerStatus(p, 'loop')?.state;
  const exitCode = loop?.terminated ? loop.terminated.exitCode : null;
  const status: ClusterRun['status'] = loop?.running ? 'running' : loop?.terminated ? (exitCode === 0 ? 'stopped' : 'ended') : p.status?.phase === 'Failed' ? 'failed' : 'starting';
  const a = p.metadata?.annotations ?? {};
  return {
    namespace: p.metadata?.namespace ?? '',
    project: a[ANNOTATION_KEY] ?? p.metadata?.labels?.[LABEL_PROJECT] ?? '',
    pod: p.metadata?.name ?? '',
    status,
    exitCode,
    startedAt: startedAt(p, 'loop'),
    node: p.spec?.nodeName ?? null,
    repository: a[ANNOTATION_REPO] ?? null,
    startedBy: a[ANNOTATION_STARTED_BY] ?? null,
  };
}

export async function listClusterRuns(context?: string): Promise<{ context: string; runs: ClusterRun[] }> {
  const cluster = await connectCluster(context);
  const pods = await cluster.listPods(undefined, RUN_POD_SELECTOR);
  return { context: cluster.context, runs: pods.map(clusterRun).sort((a, b) => a.namespace.localeCompare(b.namespace) || a.project.localeCompare(b.project)) };
}

export function clusterRunLine(r: ClusterRun): string {
  const exit = r.exitCode === null ? '' : `exit ${r.exitCode}`;
  return `${r.project.padEnd(28)} ${r.status.padEnd(9)} ${exit.padEnd(7)} ${r.namespace.padEnd(30)} ${(r.startedBy ?? '').padEnd(24)} ${r.repository ?? ''}`;
}

/** One run in `peers ls --target k8s --json` (snake_case, as every JSON output). */
export function clusterRunJson(r: ClusterRun) {
  return { namespace: r.namespace, project: r.project, pod: r.pod, status: r.status, exit_code: r.exitCode, started_at: r.startedAt, node: r.node, repository: r.repository, started_by: r.startedBy };
}
