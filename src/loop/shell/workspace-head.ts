/**
 * Moving the run clone's HEAD back after a history rewrite, and keeping the rewritten history for
 * the report. The rewritten commits are kept in the trusted mirror (where the sync already brought
 * them, and where no peer can delete them) under `refs/peers/rewritten/tick-N`; the clone itself is
 * moved only through the workspace (WorkspaceGit.moveHeadTo): no git runs in the peers' repository
 * outside the workspace (docs/ARCHITECTURE.md, "Changing the run clone").
 */
import { git } from '../../git/git.ts';
import type { WorkspaceGit } from '../../git/workspace-git.ts';

/** Where rewritten histories are kept in the mirror: `refs/peers/rewritten/tick-NNNNN`. */
export const REWRITTEN_REF_PREFIX = 'refs/peers/rewritten/';

/** Keeps `sha` reachable in the mirror under a ref named for the tick; returns the ref, or null when it could not. */
export function keepRewrittenHistory(mirror: string, tick: number, sha: string): string | null {
  const ref = `${REWRITTEN_REF_PREFIX}tick-${String(tick).padStart(5, '0')}`;
  return git(mirror, ['update-ref', ref, sha]).code === 0 ? ref : null;
}

export type RestoreOutcome = { rewrittenRef: string | null; error: string | null };

/** Keeps the rewritten head (when there is one) in the mirror, then moves the clone back to `to`. */
export async function restoreHead(o: { mirror: string; workspace: WorkspaceGit }, tick: number, rewritten: string | null, to: string): Promise<RestoreOutcome> {
  const rewrittenRef = rewritten ? keepRewrittenHistory(o.mirror, tick, rewritten) : null;
  const moved = await o.workspace.moveHeadTo(to, 'restoring HEAD after a history rewrite');
  return { rewrittenRef, error: moved.ok ? null : moved.error };
}
