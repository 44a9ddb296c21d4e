/** The run's baseline for a check, or the failing result that says why there is none (fail closed). */
import { CheckRepoError, type Baseline, type CheckRepo } from './check-repo.ts';
import type { CheckResult } from './types.ts';

export function baselineOrFail(repo: CheckRepo, id: string): Baseline | CheckResult {
  try {
    return repo.baseline();
  } catch (error) {
    if (error instanceof CheckRepoError) return { pass: false, report: `${id}: ${error.message}` };
    throw error;
  }
}

export function describeBaseline(b: Baseline): string {
  return `${b.sha.slice(0, 8)} (${b.source === 'run' ? "the run's baseline" : b.source === 'tag' ? 'tag peers-baseline' : 'root commit'})`;
}

/** The attested peers of the commits in `range` that touched `path`. */
export function authorsOf(repo: CheckRepo, range: string, path: string): Set<string> {
  const out = new Set<string>();
  for (const c of repo.commits(range, { paths: [path] })) {
    const p = repo.peerOf(c.sha);
    if (p) out.add(p);
  }
  return out;
}

/** Why a vouch did not count, in the words a peer can act on. */
export function notVouchedWhy(sha: string, writer: string | undefined): string {
  if (writer === undefined) return `commit ${sha.slice(0, 12)} was not made in any peer's tick, so it vouches for nothing`;
  return `${writer} wrote it for its own change; another peer must approve commit ${sha.slice(0, 12)} (a review commit with "## Review" {"pass": true} and "Peer-Review-Of: ${sha.slice(0, 12)}")`;
}
