/**
 * A throwaway checkout of one commit, so gates judge exactly what was committed: uncommitted or
 * untracked files in the user's (or a peer's) working tree can neither make a gate pass nor fail.
 * The checkout lives outside the repository and is always removed, even when `fn` throws.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, gitOk } from '../git/git.ts';

export async function withCleanCheckout<T>(repo: string, sha: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const commit = gitOk(repo, ['rev-parse', '--verify', '--quiet', `${sha}^{commit}`]).trim();
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'peers-checkout-')));
  try {
    // hooks are disabled by git() itself: a post-checkout hook planted in .git must not run here.
    gitOk(repo, ['worktree', 'add', '--detach', '--quiet', dir, commit]);
    return await fn(dir);
  } finally {
    git(repo, ['worktree', 'remove', '--force', dir]);
    rmSync(dir, { recursive: true, force: true });
    git(repo, ['worktree', 'prune']);
  }
}
