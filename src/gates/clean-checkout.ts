/**
 * A throwaway checkout of one commit, so gates judge exactly what was committed: uncommitted or
 * untracked files in the user's (or a peer's) working tree can neither make a gate pass nor fail.
 *
 * The checkout is cloned from a peers-owned repository (the run's trusted mirror, or a read-only
 * view of a user's repository, observer.ts) with hermetic git: no configuration from any
 * repository a peer could write applies, so no planted smudge filter, hook or fsmonitor runs
 * while checking out, and the source repository is never written (no `git worktree add`). The
 * checkout lives outside the repository and is always removed, even when `fn` throws.
 */
import { realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeScratchDir } from '../proc/scratch-dir.ts';
import { git, gitOk, isObserverRepo } from '../git/git.ts';
import { ATTEST_NOTES_REF, openView } from '../git/observer.ts';

/**
 * Clones `sha` of the observer repo `source` into `dir` (which must not exist or be empty), with
 * the loop's attestation notes: `peers check` in a gate judges approvals and escape valves by who
 * made each commit, which only those notes say (a clone copies branches and tags, never notes).
 */
export function checkoutFromObserver(source: string, sha: string, dir: string): void {
  const commit = gitOk(source, ['rev-parse', '--verify', '--quiet', `${sha}^{commit}`]).trim();
  gitOk(tmpdir(), ['clone', '--quiet', '--shared', '--no-checkout', source, dir], { hermetic: true });
  const notes = git(source, ['rev-parse', '--verify', '--quiet', ATTEST_NOTES_REF]);
  // The clone borrows the source's objects, so the notes' commit is already readable there.
  if (notes.code === 0) gitOk(dir, ['update-ref', ATTEST_NOTES_REF, notes.stdout.trim()], { hermetic: true });
  gitOk(dir, ['checkout', '--quiet', '--detach', commit], { hermetic: true });
}

/**
 * `source`: an observer repo, or a user's working repository (read through a temporary view).
 */
export async function withCleanCheckout<T>(source: string, sha: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const scratch = realpathSync(makeScratchDir('peers-checkout-'));
  try {
    let from = source;
    if (!isObserverRepo(source)) {
      from = join(scratch, 'view.git');
      openView(source, from);
    }
    const dir = join(scratch, 'tree');
    checkoutFromObserver(from, sha, dir);
    return await fn(dir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
