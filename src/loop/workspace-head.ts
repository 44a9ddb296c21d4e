/**
 * The loop's only writes to the peers' repository besides attestation and the anti-cheat revert
 * commit: moving HEAD back (after a history rewrite, or when a revert cannot apply) and keeping a
 * rewritten history under a ref for the report. Small on purpose, so the mutation of the run clone
 * has one seam. `git()` disables hooks and fsmonitor, so nothing a peer planted runs here.
 */
import { git, gitOk } from '../git/git.ts';

/** Where rewritten histories are kept: `refs/peers/rewritten/tick-NNNNN`. */
export const REWRITTEN_REF_PREFIX = 'refs/peers/rewritten/';

/** Points HEAD (and the branch it is on) at `sha`, and the index and tracked files with it. */
export function moveHeadTo(repo: string, sha: string): void {
  gitOk(repo, ['reset', '--hard', '--quiet', sha]);
}

/** Keeps `sha` reachable under a ref named for the tick; returns the ref, or null when it could not. */
export function keepRewrittenHistory(repo: string, tick: number, sha: string): string | null {
  const ref = `${REWRITTEN_REF_PREFIX}tick-${String(tick).padStart(5, '0')}`;
  return git(repo, ['update-ref', ref, sha]).code === 0 ? ref : null;
}
