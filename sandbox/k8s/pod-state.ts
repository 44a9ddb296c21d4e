/**
 * What a run's Pods say about the run, read from their status (pure): the container states
 * `status` and `ls` reconcile with the state dir (as podman's are in sandbox/reconcile.ts), and the
 * problems `up` reports instead of waiting forever (an image that cannot be pulled, a Pod that
 * cannot be scheduled, an init container that failed).
 */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { ContainerState } from '../podman.ts';
import { LABEL_POD } from './names.ts';
import { INIT_CONTAINER } from './transport.ts';

const WAITING_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError', 'CrashLoopBackOff']);

function stateOf(s: V1ContainerStatus): { status: string; running: boolean; exitCode: number } {
  if (s.state?.running) return { status: 'running', running: true, exitCode: 0 };
  if (s.state?.terminated) return { status: 'exited', running: false, exitCode: s.state.terminated.exitCode };
  return { status: s.state?.waiting?.reason ? `waiting:${s.state.waiting.reason}` : 'created', running: false, exitCode: 0 };
}

/** Every container of the run's Pods, as podman's are listed (role = container name). */
export function containerStates(pods: V1Pod[]): ContainerState[] {
  return pods.flatMap((p) =>
    (p.status?.containerStatuses ?? []).map((s) => ({ name: `${p.metadata?.name}/${s.name}`, role: s.name, ...stateOf(s) })),
  );
}

export function containerStatus(pod: V1Pod | undefined, name: string): V1ContainerStatus | undefined {
  return [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])].find((s) => s.name === name);
}

export const isRunning = (pod: V1Pod | undefined, container: string): boolean => Boolean(containerStatus(pod, container)?.state?.running);
export const hasTerminated = (pod: V1Pod | undefined, container: string): boolean => Boolean(containerStatus(pod, container)?.state?.terminated);

/** When the loop container last started (running or terminated), ISO 8601. */
export function startedAt(pod: V1Pod | undefined, container: string): string | null {
  const s = containerStatus(pod, container)?.state;
  const t = s?.running?.startedAt ?? s?.terminated?.startedAt;
  return t ? new Date(t).toISOString() : null;
}

/** A reason the Pod will not get where `up` waits for it to be, or undefined while it may. */
export function podProblem(pod: V1Pod): string | undefined {
  const name = pod.metadata?.name ?? 'a Pod';
  if (pod.status?.phase === 'Failed') return `${name} failed${pod.status.reason ? ` (${pod.status.reason})` : ''}${pod.status.message ? `: ${pod.status.message}` : ''}`;
  for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const w = s.state?.waiting;
    if (w?.reason && WAITING_FAILURES.has(w.reason)) return `${name}/${s.name}: ${w.reason}${w.message ? `: ${w.message}` : ''}`;
    const t = s.state?.terminated;
    if (s.name === INIT_CONTAINER && t && t.exitCode !== 0) return `${name}/${s.name} exited ${t.exitCode}${t.message ? `: ${t.message}` : ''}`;
  }
  return undefined;
}

/** Why the Pod waits for a node (it may get one: an autoscaler, the run Pod it follows). */
export function schedulingWait(pod: V1Pod): string | undefined {
  const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False' && x.reason === 'Unschedulable');
  return c ? `${pod.metadata?.name} is not scheduled yet: ${c.message ?? 'no node fits'}` : undefined;
}

export const podKind = (pod: V1Pod): string | undefined => pod.metadata?.labels?.[LABEL_POD];
