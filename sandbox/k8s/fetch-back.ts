/**
 * The run's commits coming home from a cluster as the branch `peers/<project>` of the user's
 * repository (docs/ARCHITECTURE.md, "Kubernetes"). In the reader container, git writes a bundle of
 * the run's head since the commit the run started from (system and global config off, hooks and
 * fsmonitor off); the host fetches that bundle, a pack git verifies object by object, into the one
 * ref. Nothing of the run's repository configuration ever reaches the host. The user's checked-out
 * branch, index, working tree, config and hooks are not touched, and a branch the user moved since
 * peers last wrote it is left alone.
 */
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/fs/atomic-write.ts';
import { MiB, readTextIfExists } from '../../src/fs/safe-read.ts';
import { git } from '../../src/git/git.ts';
import { execText, type PodExec } from './pod-exec.ts';
import { READER_CONTAINER } from './transport.ts';

export type FetchBack = { branch: string; sha: string | null; ahead: number; updated: boolean; note?: string };

/** `peers/<name>` from the project key (`app-1a2b3c4d` → `peers/app`). */
export function runBranchName(projectKey: string): string {
  const name = projectKey.replace(/-[0-9a-f]{8}$/, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+|[.]+$/g, '') || 'run';
  return `peers/${name}`;
}

/** git in the run's repository inside the reader: nothing of any config file but the repository's own. */
function podGit(repoInPod: string, args: string[]): string[] {
  return ['env', 'GIT_CONFIG_NOSYSTEM=1', 'GIT_CONFIG_GLOBAL=/dev/null', 'HOME=/tmp', 'git', '-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', '-c', 'safe.directory=*', '-C', repoInPod, ...args];
}

function published(stateDir: string): { branch: string; sha: string } | undefined {
  try {
    const text = readTextIfExists(join(stateDir, 'k8s', 'published.json'), MiB);
    return text ? (JSON.parse(text) as { branch: string; sha: string }) : undefined;
  } catch {
    return undefined;
  }
}

export async function fetchRunBranch(exec: PodExec, o: { repoInPod: string; base: string; userRepo: string; branch: string; stateDir: string }): Promise<FetchBack> {
  const { branch } = o;
  const ref = `refs/heads/${branch}`;
  const head = (await execText(exec, READER_CONTAINER, podGit(o.repoInPod, ['rev-parse', '--verify', 'HEAD^{commit}']), 'reading the run\'s head')).trim();
  if (!/^[0-9a-f]{40,64}$/.test(head)) return { branch, sha: null, ahead: 0, updated: false, note: `the run's head is not a commit (${head.slice(0, 80)})` };
  const cur = git(o.userRepo, ['rev-parse', '--verify', '--quiet', ref]);
  const current = cur.code === 0 ? cur.stdout.trim() : null;
  if (head === o.base) return { branch, sha: head, ahead: 0, updated: false, note: 'the run has no commit yet' };
  const last = published(o.stateDir);
  if (current && current !== head && !(last?.branch === branch && last.sha === current)) {
    return { branch, sha: head, ahead: 0, updated: false, note: `${branch} was moved outside peers (it is at ${current.slice(0, 10)}); not overwritten` };
  }
  const dir = join(o.stateDir, 'k8s');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const bundle = join(dir, 'run.bundle');
  try {
    const file = createWriteStream(bundle, { mode: 0o600 });
    const closed = new Promise<void>((resolve, reject) => {
      file.on('close', () => resolve());
      file.on('error', reject);
    });
    const r = await exec(READER_CONTAINER, podGit(o.repoInPod, ['bundle', 'create', '-', 'HEAD', `^${o.base}`]), { stdout: file });
    if (!file.writableEnded) file.end();
    await closed;
    if (r.code !== 0) return { branch, sha: head, ahead: 0, updated: false, note: `could not bundle the run's commits (exit ${r.code})` };
    // The bundle's one ref is HEAD; fetch it into the branch, verifying every object.
    const f = git(o.userRepo, ['-c', 'gc.auto=0', '-c', 'fetch.recurseSubmodules=false', '-c', 'transfer.fsckObjects=true', 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', bundle, `+HEAD:${ref}`]);
    if (f.code !== 0) return { branch, sha: head, ahead: 0, updated: false, note: `could not update ${branch}: ${f.stderr.trim().split('\n').slice(-2).join(' ').slice(0, 300)}` };
  } finally {
    rmSync(bundle, { force: true });
  }
  // The loop may have committed between the two commands: the branch holds what the bundle held.
  const now = git(o.userRepo, ['rev-parse', '--verify', ref]).stdout.trim();
  const ahead = Number(git(o.userRepo, ['rev-list', '--count', `${o.base}..${now}`]).stdout.trim() || 0);
  writeFileAtomic(join(dir, 'published.json'), `${JSON.stringify({ branch, sha: now })}\n`);
  return { branch, sha: now, ahead, updated: current !== now };
}

export function describeFetchBack(r: FetchBack): string {
  if (r.note) return `results: ${r.note}`;
  return `results: branch ${r.branch} at ${r.sha!.slice(0, 10)} (${r.ahead} commit${r.ahead === 1 ? '' : 's'} by the run); review with \`git log -p ${r.branch}\`, take them with \`git merge ${r.branch}\``;
}
