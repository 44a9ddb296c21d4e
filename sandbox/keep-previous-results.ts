/**
 * `peers reset` / `peers up --fresh`: the old run's results branch is kept under a name of its
 * own before the next run may replace it (README "A run's life"), so starting over never costs the
 * user the old run's work on a branch they can find: `peers/<project>-previous`, else
 * `-previous-2`, `-previous-3`… The archive keeps the commits too (its mirror), but a branch is
 * what `git log` and `git merge` reach.
 *
 * Only a branch peers itself wrote and that holds work outside the user's HEAD is kept: one the
 * user moved since is theirs (and no run overwrites it: publish-branch.ts), one the user deleted
 * they chose to drop, one already merged (or without commits of the run) has nothing to lose.
 */
import { git } from '../src/git/git.ts';
import { isSafeRefName } from '../src/git/repo-layout.ts';

export type KeepPlan = { kind: 'keep'; branch: string; sha: string } | { kind: 'none'; why: 'moved' | 'deleted' | 'in-head' | 'no-free-name' | 'failed'; detail?: string };

/** The decision, given what the user's repository holds. `taken(name)`: a ref (or a folder of refs) of that name exists. */
export function planKeep(o: { published: { branch: string; sha: string }; current: string | null; inHead: boolean; taken: (branch: string) => boolean }): KeepPlan {
  if (o.current === null) return { kind: 'none', why: 'deleted' };
  if (o.current !== o.published.sha) return { kind: 'none', why: 'moved' };
  if (o.inHead) return { kind: 'none', why: 'in-head' };
  for (let n = 1; n <= 100; n++) {
    const branch = `${o.published.branch}-previous${n === 1 ? '' : `-${n}`}`;
    if (isSafeRefName(`refs/heads/${branch}`) && !o.taken(branch)) return { kind: 'keep', branch, sha: o.published.sha };
  }
  return { kind: 'none', why: 'no-free-name' };
}

/** Git in the user's repository for this one ref: their config, no auto-gc, no hooks (the ref write runs none but reference-transaction). */
const USER_REPO_FLAGS = ['-c', 'gc.auto=0', '-c', 'maintenance.auto=false', '-c', 'core.hooksPath=/dev/null'];

/** Applies planKeep in `repo`: creates the branch only if it still does not exist (update-ref with an empty old value). */
export function keepPreviousResults(repo: string, published: { branch: string; sha: string }): KeepPlan {
  const cur = git(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${published.branch}`]);
  const current = cur.code === 0 ? cur.stdout.trim() : null;
  const inHead = current !== null && git(repo, ['merge-base', '--is-ancestor', current, 'HEAD']).code === 0;
  const taken = (branch: string) => {
    // A branch of that name, or one that has it as a folder (peers/app-previous/x), or one that is a folder of it.
    const refs = git(repo, ['for-each-ref', '--format=%(refname)', `refs/heads/${branch}`, `refs/heads/${branch}/`]).stdout.trim();
    return refs !== '' || branch.split('/').some((_, i, parts) => i > 0 && git(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${parts.slice(0, i).join('/')}`]).code === 0);
  };
  const plan = planKeep({ published, current, inHead, taken });
  if (plan.kind !== 'keep') return plan;
  const made = git(repo, [...USER_REPO_FLAGS, 'update-ref', '-m', 'peers: the results of the run before a reset', `refs/heads/${plan.branch}`, plan.sha, '']);
  return made.code === 0 ? plan : { kind: 'none', why: 'failed', detail: made.stderr.trim().split('\n').slice(-1)[0]?.slice(0, 200) ?? '' };
}
