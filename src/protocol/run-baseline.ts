/**
 * Where the run began, for the checks a gate runs (`peers check …`). The loop records the run's
 * baseline commit in its state at start and passes it to every gate as PEERS_RUN_BASELINE; a peer
 * can move the `peers-baseline` tag in the repository, so inside a run the tag is never consulted.
 * Outside a run (`peers verify`, a user's own `peers check`) the tag, then the root commit, stand in.
 */
import { git } from '../git/git.ts';

export const RUN_BASELINE_ENV = 'PEERS_RUN_BASELINE';
/** The tag `peers init` puts on the starting commit (a convenience for humans; movable by anyone). */
export const BASELINE_TAG = 'peers-baseline';

export type RunBaseline = { sha: string; source: 'run' | 'tag' | 'root' } | { error: string };

function commitOf(repo: string, rev: string): string | undefined {
  const res = git(repo, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  return res.code === 0 ? res.stdout.trim() : undefined;
}

export function resolveRunBaseline(repo: string, env: NodeJS.ProcessEnv = process.env): RunBaseline {
  const fromRun = env[RUN_BASELINE_ENV]?.trim();
  if (fromRun) {
    // Fail closed: a baseline the loop named but the repository lacks is an error, never a fallback.
    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(fromRun)) return { error: `${RUN_BASELINE_ENV}=${fromRun.slice(0, 80)} is not a commit id` };
    const sha = commitOf(repo, fromRun);
    return sha ? { sha, source: 'run' } : { error: `${RUN_BASELINE_ENV} names ${fromRun.slice(0, 12)}, which is not in this repository` };
  }
  const tag = commitOf(repo, BASELINE_TAG);
  if (tag) return { sha: tag, source: 'tag' };
  const roots = git(repo, ['rev-list', '--max-parents=0', 'HEAD']);
  const root = roots.code === 0 ? roots.stdout.trim().split('\n').pop() : undefined;
  return root ? { sha: root, source: 'root' } : { error: 'no run baseline, no peers-baseline tag and no root commit' };
}
