/**
 * `peers down`: SIGTERM to the loop (it persists its state and writes its stop reason), wait up to
 * the grace period, then remove the pod and the loop, gates and egress containers — nothing is left behind — and
 * neutralise git hooks or config planted during the run (git-guard.ts).
 */
import { join } from 'node:path';
import { PeersError } from '../src/cli/errors.ts';
import { projectKey, stateDirFor, statePaths } from '../src/state/paths.ts';
import { readStopReason } from '../src/state/stop-reason.ts';
import { loadGitGuard, neutraliseGit } from './git-guard.ts';
import { containerName, gatesCacheVolume } from './pod-spec.ts';
import { podman, projectContainers } from './podman.ts';
import { updateRegistry } from './registry.ts';
import { resolveProjectDir, teardown } from './up.ts';

export type DownResult = { path: string; project: string; wasRunning: boolean; stopReason: string | null; gitActions: string[]; seconds: number };

export async function down(o: { target?: string; graceS: number; progress: (l: string) => void; env?: NodeJS.ProcessEnv; purge?: boolean }): Promise<DownResult> {
  const env = o.env ?? process.env;
  const t0 = Date.now();
  const repo = resolveProjectDir(o.target, env);
  const key = projectKey(repo);
  const stateDir = stateDirFor(repo, env);
  const containers = await projectContainers(key);
  const wasRunning = Boolean(containers.find((c) => c.role === 'loop')?.running);
  if (wasRunning) {
    o.progress(`stopping the loop (SIGTERM, up to ${o.graceS}s to save its state)`);
    const r = await podman(['stop', '-t', String(o.graceS), containerName(key, 'loop')], { timeoutMs: (o.graceS + 30) * 1000 });
    // Fail closed: never tear the pod down under a loop we could not stop.
    if (r.code !== 0) throw new PeersError(`could not stop the loop container: ${r.stderr.trim().slice(0, 400)}`, { hint: `podman logs ${containerName(key, 'loop')}` });
  }
  if (containers.length) {
    o.progress('removing the pod and the loop, gates and egress containers');
    await teardown(key, env);
  }
  if (o.purge) {
    // The gate dependency cache survives a plain down on purpose (the next `up` reuses it).
    await podman(['volume', 'rm', '-f', gatesCacheVolume(key)]);
  }
  const gitActions = neutraliseGit(repo, loadGitGuard(join(stateDir, 'git-guard.json')));
  await updateRegistry((ps) => {
    const p = ps.find((x) => x.path === repo);
    if (p) p.last_down_at = new Date().toISOString();
  }, env);
  return { path: repo, project: key, wasRunning, stopReason: readStopReason(statePaths(stateDir).stopReason)?.reason ?? null, gitActions, seconds: (Date.now() - t0) / 1000 };
}
