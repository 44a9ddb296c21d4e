/**
 * Whether a run is going on a project, told as `peers up` and `peers status` tell it: a `peers loop`
 * on the host (its repository lock, src/state/project-locks.ts), a `peers up` or `down` making or
 * removing the pod (the pod lock), or the run's loop running (project-status.ts: the loop's
 * container on podman or on its cluster, or the state directory's run lock). For a command that
 * must not change what a live run reads: `peers init` deletes and rewrites `.peers/`, commits to
 * the repository and moves peers-baseline (SECURITY.md, "The control plane is read-only to the
 * loop and never adopted silently").
 */
import { existsSync, realpathSync } from 'node:fs';
import { projectKey, stateDirFor } from '../src/state/paths.ts';
import { probePodLock, probeRepositoryLoopLock } from '../src/state/project-locks.ts';
import { podName } from '../sandbox/pod-layout.ts';
import { listProjects, type ProjectEntry } from '../sandbox/registry.ts';
import { projectStatus } from './project-status.ts';

export type LiveRun = { what: string; hint: string };

/**
 * The project's registry entry, matched by real path (up registers the repository's top); none when
 * the registry cannot be read (init says so itself, when it registers), and the state dir decides.
 */
function entryOf(repo: string, env: NodeJS.ProcessEnv): ProjectEntry | undefined {
  const real = realpathSync(repo);
  let projects: ProjectEntry[];
  try {
    projects = listProjects(env);
  } catch {
    return undefined;
  }
  return projects.find((p) => {
    try {
      return realpathSync(p.path) === real;
    } catch {
      return false;
    }
  });
}

/** What runs on `repo` now, or null when nothing does. `command`: the one that would act under it, for the hints. */
export async function liveRunOf(repo: string, env: NodeJS.ProcessEnv, command: string): Promise<LiveRun | null> {
  const key = projectKey(repo);
  const hostLoop = probeRepositoryLoopLock(repo, env);
  if (hostLoop.held) return { what: `a peers loop${hostLoop.pid ? ` (pid ${hostLoop.pid})` : ''} is running on ${repo} on the host`, hint: `let it finish, or stop it (Ctrl-C where it runs${hostLoop.pid ? `, or kill ${hostLoop.pid}` : ''}), then \`${command}\`` };
  const pod = probePodLock(key, env);
  if (pod.held) return { what: `a peers up or down of this project${pod.pid ? ` (pid ${pod.pid})` : ''} is making or removing its pod`, hint: `wait for it to end; then, if the run goes on, \`peers down\` before \`${command}\`` };
  // The pod and its loop exist only after a `peers up`, which records itself in the registry and
  // makes the state directory: a project never brought up is not asked of podman (or a cluster).
  const entry = entryOf(repo, env);
  if (entry?.last_up_at === undefined && !existsSync(stateDirFor(repo, env))) return null;
  const status = await projectStatus(entry ?? { path: repo, registered_at: '' }, env);
  if (status.status !== 'running') return null;
  const where = entry?.kubernetes !== undefined ? 'on its cluster' : status.containers.some((c) => c.role === 'loop' && c.running) ? `in pod ${podName(key)}` : `with the state directory ${status.stateDir}`;
  return { what: `a run of this project is going (${where})`, hint: `\`peers down\` first (it stops the run and brings its commits home), then \`${command}\`. To change the run's settings instead, edit .peers/ by hand: the run keeps the snapshot it started with, and the \`peers up\` after \`peers down\` shows the change and takes it with --accept-changes` };
}
