/**
 * A project's run status, derived every time from podman and the state dir (never stored, so it
 * cannot go stale the way a recorded pid does):
 *   fresh    never started (no state.json, no containers)
 *   running  the loop container is running
 *   stopped  the loop is gone and wrote its stop reason after it last started (complete,
 *            max_ticks, budget:…, interrupted by `peers down`, stuck:…, …)
 *   crashed  the loop is gone without a stop reason from its last start, or stopped with error:…
 */
import { existsSync } from 'node:fs';
import { probeRunLock } from '../src/state/run-lock.ts';
import { statePaths, stateDirFor, projectKey } from '../src/state/paths.ts';
import { readStopReason } from '../src/state/stop-reason.ts';
import { containerStartedAt, podman, podmanBin, projectContainers, type ContainerState } from './podman.ts';
import type { ProjectEntry } from './registry.ts';
import { runFigures, type RunFigures } from './run-figures.ts';

export type RunStatus = 'fresh' | 'running' | 'stopped' | 'crashed';

export type ProjectStatus = {
  name: string;
  path: string;
  status: RunStatus;
  tick: number | null;
  /** The stop reason the loop last wrote (last-stop-reason.txt): how its process last ended. */
  stopReason: string | null;
  /**
   * The stop the run is over for, by the one verdict `peers up` acts on (src/loop/run-verdict.ts):
   * null while it runs, when `peers up` would resume it, or when that cannot be told.
   */
  finishedBy: string | null;
  /** The loop's own accounting (state.json): what the run has cost so far. */
  spend: RunFigures['spend'];
  /** null when the goals file does not validate (`goalsError`): unknown, never "none open". */
  openGates: string[] | null;
  /** Of openGates, those never measured yet: open because unknown, not because red. */
  unmeasured: string[];
  /** The goals file's refusal, file:line:col: message (sandbox/run-figures.ts), or null. */
  goalsError: string | null;
  stateDir: string;
  containers: ContainerState[];
  /**
   * A running run whose pod lost containers: those podman shows stopped beside a running loop, and
   * those the loop itself found down (it holds the run meanwhile; `peers up` restarts them).
   */
  degraded: string[];
  /** Of the degraded containers podman shows stopped: why each stopped (its exit code and last line). */
  downBecause?: { role: string; why: string }[];
};

export function classify(o: {
  loopRunning: boolean;
  /** The later of the loop container's start and the registry's last `peers up`. */
  loopStartedAt: string | null;
  stopReason: { reason: string; at: string } | undefined;
  hasState: boolean;
  hasContainers: boolean;
}): RunStatus {
  if (o.loopRunning) return 'running';
  if (!o.hasState && !o.hasContainers && !o.stopReason) return 'fresh';
  if (!o.stopReason) return 'crashed';
  if (o.stopReason.reason.startsWith('error')) return 'crashed';
  // A stop reason older than the loop's last start belongs to an earlier run.
  if (o.loopStartedAt && o.stopReason.at && Date.parse(o.stopReason.at) < Date.parse(o.loopStartedAt) - 1000) return 'crashed';
  return 'stopped';
}

function latest(a: string | null, b: string | null): string | null {
  if (!a || !b) return a ?? b;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/**
 * The project's containers; none without podman to ask, and none for root, whose pods `peers up`
 * never creates (the pod is rootless), so root's status never wakes rootful podman.
 */
export async function containersOf(key: string, env: NodeJS.ProcessEnv): Promise<ContainerState[]> {
  if (!key || process.getuid?.() === 0) return [];
  if (!Bun.which(podmanBin(env), { PATH: env.PATH ?? '' })) return [];
  return projectContainers(key, env);
}

const NOT_A_MEMBER = new Set(['infra', 'unlabelled', '']);

/** Roles of the pod that are down beside a running loop: podman's word and the loop's, together. */
export function deadContainers(containers: ContainerState[], loopSaysDown: string[]): string[] {
  // Members only: the pod's infra container (and any container not labelled with a role) is not one.
  const stopped = containers.filter((c) => !NOT_A_MEMBER.has(c.role) && c.role !== 'loop' && !c.running).map((c) => c.role);
  return [...new Set([...stopped, ...loopSaysDown])].sort();
}

/**
 * The verdict on a run that is not running (src/loop/shell/saved-verdict.ts, loaded only then): the
 * recorded stop counts only when it belongs to the current run (`stopped`), as for `peers up`.
 */
export async function finishedByOf(status: RunStatus, stateDir: string, stop: { reason: string } | undefined): Promise<string | null> {
  if ((status !== 'stopped' && status !== 'crashed') || !stateDir || !existsSync(statePaths(stateDir).state)) return null;
  const [{ savedRunVerdict }, { formatStopReason }] = await Promise.all([import('../src/loop/shell/saved-verdict.ts'), import('../src/state/stop-reason.ts')]);
  const finished = savedRunVerdict(stateDir, status === 'stopped' ? (stop?.reason ?? null) : null);
  return finished ? formatStopReason(finished) : null;
}

/**
 * The status of a run on this machine: a podman pod, or a loop run on the host. A run on Kubernetes
 * is reconciled with its cluster instead (k8s/k8s-status.ts; apps/project-status.ts picks which).
 * `stateDir` overrides the project's default state directory (`peers status --state-dir`).
 */
export async function localProjectStatus(p: ProjectEntry, env: NodeJS.ProcessEnv = process.env, stateDirOverride?: string): Promise<ProjectStatus> {
  const key = existsSync(p.path) ? projectKey(p.path) : '';
  const stateDir = stateDirOverride ?? (existsSync(p.path) ? stateDirFor(p.path, env) : '');
  const paths = stateDir ? statePaths(stateDir) : undefined;
  const containers = await containersOf(key, env);
  const loop = containers.find((c) => c.role === 'loop');
  let stop: { reason: string; at: string } | undefined;
  try {
    stop = paths ? readStopReason(paths.stopReason) : undefined;
  } catch {
    stop = undefined; // an unusable stop reason file is `peers status`'s to report; ls still lists the project
  }
  const figures = await runFigures(stateDir, p.path, env);
  // A loop run on the host (`peers loop`) has no container but holds the state dir's run lock.
  let lockHeld = false;
  try {
    lockHeld = paths ? probeRunLock(paths.lock).held : false;
  } catch {
    lockHeld = false; // an unreadable lock file says nothing about a loop
  }
  const status = classify({
    loopRunning: Boolean(loop?.running) || lockHeld,
    loopStartedAt: latest(loop ? await containerStartedAt((await import('./pod-layout.ts')).containerName(key, 'loop'), env) : null, p.last_up_at ?? null),
    stopReason: stop,
    hasState: Boolean(paths && existsSync(paths.state)),
    hasContainers: containers.length > 0,
  });
  const degraded = status === 'running' ? deadContainers(containers, figures.podDown) : [];
  const finishedBy = await finishedByOf(status, stateDir, stop);
  const stopped = containers.filter((c) => degraded.includes(c.role) && !c.running);
  const downBecause = stopped.length ? await (await import('./pod-repair.ts')).stoppedContainersBecause(stopped, env) : [];
  return { name: p.name ?? p.path, path: p.path, status, degraded, downBecause, tick: figures.tick, stopReason: stop?.reason ?? null, finishedBy, spend: figures.spend, openGates: figures.openGates, unmeasured: figures.unmeasured, goalsError: figures.goalsError, stateDir, containers };
}
