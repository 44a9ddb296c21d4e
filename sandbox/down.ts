/**
 * `peers down`: SIGTERM to the loop (it persists its state and writes its stop reason), wait up to
 * the grace period, then remove the pod and the loop, setup, gates and egress containers — nothing
 * is left behind. Then publish the run's branch from the trusted mirror (publish-branch.ts), and
 * prove the run left the user's repository alone: its fingerprint (repo-fingerprint.ts) is
 * compared with the one `peers up` took, and the result is reported either way.
 */
import { projectKey, stateDirFor, statePaths } from '../src/state/paths.ts';
import { podLockWaitLine, withPodLock } from '../src/state/project-locks.ts';
import { readStopReason } from '../src/state/stop-reason.ts';
import { gatesCacheVolume } from './pod-spec.ts';
import { podman, projectContainers } from './podman.ts';
import type { PublishResult } from './publish-branch.ts';
import { updateRegistry } from './registry.ts';
import { changedParts, FINGERPRINT_PARTS, fingerprintRepo, loadFingerprint } from './repo-fingerprint.ts';
import { fingerprintPath, resolveProjectDir } from './up.ts';
import { publishIfRun } from './publish-if-run.ts';
import { loopLifeline, stopLoop, teardown } from './pod-teardown.ts';

export type RepoCheck = { checked: boolean; unchanged: boolean; changed: string[]; line: string };
/** `leftovers`: a stopped run's pod or containers were still there, and down removed them. */
export type DownResult = { path: string; project: string; wasRunning: boolean; leftovers: boolean; stopReason: string | null; results: PublishResult | null; repoCheck: RepoCheck; seconds: number };

/**
 * down's first line. A run that stopped by itself (max_ticks, complete, …) leaves its pod until
 * down: that is not "nothing left behind", and the reason it stopped is worth repeating.
 */
export function downSummary(r: Pick<DownResult, 'path' | 'wasRunning' | 'leftovers' | 'stopReason' | 'seconds'>): string {
  const reason = `stop reason: ${r.stopReason ?? 'none recorded'}`;
  if (r.wasRunning) return `stopped ${r.path} in ${r.seconds.toFixed(1)} s (${reason})`;
  if (r.leftovers) return `${r.path} had already stopped (${reason}); removed its pod`;
  return `${r.path} was not running; nothing left behind`;
}

/** The user's repository against the fingerprint `up` took. */
export function checkUserRepo(repo: string, fpPath: string): RepoCheck {
  const before = loadFingerprint(fpPath);
  if (!before) return { checked: false, unchanged: false, changed: [], line: 'your repository: no fingerprint from `peers up` to compare with' };
  let after;
  try {
    after = fingerprintRepo(repo);
  } catch (error) {
    return { checked: false, unchanged: false, changed: [], line: `your repository: cannot be read (${(error as Error).message})` };
  }
  const changed = changedParts(before, after).map((k) => FINGERPRINT_PARTS[k]);
  if (!changed.length) return { checked: true, unchanged: true, changed, line: `your repository: unchanged since \`peers up\` (${Object.values(FINGERPRINT_PARTS).join(', ')})` };
  return {
    checked: true,
    unchanged: false,
    changed,
    line: `your repository: changed since \`peers up\`: ${changed.join(', ')}. No container can write it (the peers work on their own clone), so this was done on the host; if not by you, look into it.`,
  };
}

export async function down(o: { target: string; graceS: number; progress: (l: string) => void; env?: NodeJS.ProcessEnv; purge?: boolean }): Promise<DownResult> {
  const env = o.env ?? process.env;
  const t0 = Date.now();
  const repo = resolveProjectDir(o.target, env);
  const key = projectKey(repo);
  // Not while an `up` of this project is creating its pod (project-locks.ts).
  return withPodLock(key, env, (pid) => o.progress(podLockWaitLine(pid)), () => downLocked(repo, key, o, env, t0));
}

async function downLocked(repo: string, key: string, o: { graceS: number; progress: (l: string) => void; purge?: boolean }, env: NodeJS.ProcessEnv, t0: number): Promise<DownResult> {
  const stateDir = stateDirFor(repo, env);
  // A loop listening on its lifeline runs in its container, in its pod: it is stopped at once,
  // with no need to ask podman what there is. Otherwise podman says.
  const line = await loopLifeline(key, env);
  const containers = line ? null : await projectContainers(key, env);
  const wasRunning = line !== null || Boolean(containers?.find((c) => c.role === 'loop')?.running);
  const anything = line !== null || Boolean(containers?.length);
  if (wasRunning) {
    o.progress(`stopping the loop (SIGTERM, up to ${o.graceS}s to save its state)`);
    // Fail closed: never tear the pod down under a loop we could not stop (stopLoop throws then).
    await stopLoop(key, o.graceS, env, line);
  }
  if (anything) o.progress('removing the pod and the loop, setup, gates and egress containers');
  // The loop is stopped (or was not running): it leaves with the pod. Its mirror has no writer left,
  // so the branch is published and the user's repository checked while podman removes the pod.
  const removed = anything ? teardown(key, env, { loopStopped: true }) : Promise.resolve();
  removed.catch(() => undefined);
  let results: PublishResult | null;
  let repoCheck: RepoCheck;
  try {
    results = publishIfRun(repo, stateDir) ?? null;
    repoCheck = checkUserRepo(repo, fingerprintPath(statePaths(stateDir)));
  } finally {
    await removed;
  }
  if (o.purge) {
    // The gate dependency cache survives a plain down on purpose (the next `up` reuses it).
    await podman(['volume', 'rm', '-f', gatesCacheVolume(key)], { env });
  }
  await updateRegistry((ps) => {
    const p = ps.find((x) => x.path === repo);
    if (p) p.last_down_at = new Date().toISOString();
  }, env);
  return { path: repo, project: key, wasRunning, leftovers: anything && !wasRunning, stopReason: readStopReason(statePaths(stateDir).stopReason)?.reason ?? null, results, repoCheck, seconds: (Date.now() - t0) / 1000 };
}
