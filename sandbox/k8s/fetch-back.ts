/**
 * The run's commits coming home from a cluster (docs/ARCHITECTURE.md, "Kubernetes"). On podman
 * the loop updates the trusted mirror in the host's state dir after every tick; on a cluster that
 * mirror is on the state claim. In the reader container git writes a bundle of the mirror's run
 * head since the head the host's mirror already has (system and global config off, hooks and
 * fsmonitor off); the host fetches that bundle into its own mirror (the mirror's config checks
 * every object, src/git/observer.ts). Nothing of the cluster's repository configuration reaches
 * the host. From there the results branch is published exactly as for a podman run
 * (sandbox/publish-branch.ts).
 */
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { git } from '../../src/git/git.ts';
import { observedHead, RUN_HEAD_REF } from '../../src/git/observer.ts';
import { type StatePaths, statePaths } from '../../src/state/paths.ts';
import { STATE_IN_CONTAINER } from '../pod-layout.ts';
import { execText, type PodExec } from './pod-exec.ts';
import { READER_CONTAINER } from './transport.ts';

export type RunHeadFetch = { head: string | null; fetched: boolean; note?: string };

/** The trusted mirror as the reader container sees it (the state claim at /state). */
export function mirrorInReader(): string {
  const inContainer = statePaths(STATE_IN_CONTAINER);
  return join(STATE_IN_CONTAINER, relative(inContainer.dir, inContainer.mirror));
}

/** git in the reader: nothing of any config file but the repository's own, no hooks, no fsmonitor. */
function podGit(repoInPod: string, args: string[]): string[] {
  return ['env', 'GIT_CONFIG_NOSYSTEM=1', 'GIT_CONFIG_GLOBAL=/dev/null', 'HOME=/tmp', 'git', '-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', '-c', 'safe.directory=*', '-C', repoInPod, ...args];
}

/** Brings the cluster mirror's run head into the host's mirror; the host's mirror is left as it was on any failure. */
export async function fetchRunHead(exec: PodExec, paths: StatePaths): Promise<RunHeadFetch> {
  const mirror = mirrorInReader();
  const local = observedHead(paths.mirror);
  const out = (await execText(exec, READER_CONTAINER, podGit(mirror, ['rev-parse', '--verify', '--quiet', `${RUN_HEAD_REF}^{commit}`]), "reading the run's head").catch(() => '')).trim();
  if (!/^[0-9a-f]{40,64}$/.test(out)) return { head: local, fetched: false, note: 'the run on the cluster has no commit yet' };
  if (out === local) return { head: local, fetched: false };
  const dir = join(paths.dir, 'k8s');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const bundle = join(dir, 'run.bundle');
  try {
    const file = createWriteStream(bundle, { mode: 0o600 });
    const closed = new Promise<void>((resolve, reject) => {
      file.on('close', () => resolve());
      file.on('error', reject);
    });
    const r = await exec(READER_CONTAINER, podGit(mirror, ['bundle', 'create', '-', RUN_HEAD_REF, ...(local ? [`^${local}`] : [])]), { stdout: file });
    if (!file.writableEnded) file.end();
    await closed;
    if (r.code !== 0) return { head: local, fetched: false, note: `could not bundle the run's commits on the cluster (exit ${r.code})` };
    const f = git(paths.mirror, ['-c', 'transfer.fsckObjects=true', 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--no-recurse-submodules', bundle, `+${RUN_HEAD_REF}:${RUN_HEAD_REF}`], { timeoutMs: 30 * 60_000 });
    if (f.code !== 0) return { head: local, fetched: false, note: `could not take the run's commits: ${f.stderr.trim().split('\n').slice(-2).join(' ').slice(0, 300)}` };
  } finally {
    rmSync(bundle, { force: true });
  }
  return { head: observedHead(paths.mirror), fetched: true };
}
