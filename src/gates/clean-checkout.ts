/**
 * A throwaway checkout of one commit, so gates judge exactly what was committed: uncommitted or
 * untracked files in the user's (or a peer's) working tree can neither make a gate pass nor fail.
 *
 * The checkout is cloned from a peers-owned repository (the run's trusted mirror, or a read-only
 * view of a user's repository, observed-view.ts) with hermetic git: no configuration from any
 * repository a peer could write applies, so no planted smudge filter, hook or fsmonitor runs
 * while checking out, and the source repository is never written (no `git worktree add`). The
 * checkout lives outside the repository and is always removed, even when `fn` throws.
 */
import { mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { makeScratchDir } from '../proc/scratch-dir.ts';
import { gitOk, isObserverRepo } from '../git/git.ts';
import { openView } from '../git/observed-view.ts';
import { resealCheckoutGitDir, writeCheckoutGitDir } from './checkout-git-dir.ts';
import { removeTree } from '../fs/remove-tree.ts';

/**
 * Checks out `sha` of the observer repo `source` into `dir` (which must not exist or be empty),
 * with the loop's attestation notes: `peers check` in a gate judges approvals and escape valves by
 * who made each commit, which only those notes say. Its `.git` is written by checkout-git-dir.ts
 * (a clone copies no notes, and of a shallow source borrows no objects).
 */
export function checkoutFromObserver(source: string, sha: string, dir: string): string {
  const commit = gitOk(source, ['rev-parse', '--verify', '--quiet', `${sha}^{commit}`]).trim();
  // As a clone made it: the gates container's user works in it too.
  mkdirSync(dir, { recursive: true });
  const gitDir = join(dir, '.git');
  writeCheckoutGitDir(source, gitDir, commit);
  gitOk(dir, ['read-tree', '--reset', '-u', commit], { hermetic: true, env: { GIT_DIR: gitDir, GIT_WORK_TREE: dir } });
  return commit;
}

/**
 * What `fn` gets beside the checkout: `reseal` writes its `.git` again from the source, for the
 * caller to run once `setup` (the peers' code) is done with it (checkout-git-dir.ts).
 */
export type CheckoutUse<T> = (dir: string, reseal: () => void) => Promise<T>;

/**
 * `source`: an observer repo, or a user's working repository (read through a temporary view).
 */
export async function withCleanCheckout<T>(source: string, sha: string, fn: CheckoutUse<T>): Promise<T> {
  const scratch = realpathSync(makeScratchDir('peers-checkout-'));
  try {
    let from = source;
    if (!isObserverRepo(source)) {
      from = join(scratch, 'view.git');
      openView(source, from);
    }
    const dir = join(scratch, 'tree');
    const commit = checkoutFromObserver(from, sha, dir);
    return await fn(dir, () => resealCheckoutGitDir(from, dir, commit));
  } finally {
    removeTree(scratch);
  }
}
