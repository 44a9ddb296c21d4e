/**
 * `self-review-on-handoff`: the newest handoff
 * commit must be a self-reviewed handoff, judged by the same predicate the loop uses for every
 * turn (src/protocol/self-review.ts). A peer that hands off without reviewing its own diff fails.
 * Before any peer has handed off there is nothing to judge: the gate passes with a note, so
 * `peers verify` is green on a fresh repository (a tick still counts only with a valid handoff,
 * judged by the loop itself).
 */
import { listCommits } from '../../src/git/commits.ts';
import { headSha } from '../../src/git/git.ts';
import { resolveRunBaseline } from '../../src/protocol/run-baseline.ts';
import { spawnEnv } from '../../src/proc/spawn-env.ts';
import { selfReviewProblem } from '../../src/protocol/self-review.ts';
import type { Check } from './types.ts';

const SCAN_LIMIT = 1000;
const NOTHING_YET = 'nothing to check until a peer hands off';

export const selfReviewOnHandoff: Check = {
  description: 'The newest handoff commit has `Self-Review: pass` and a `## Self-Review` section (passes with a note before the first handoff).',
  async run(repoDir) {
    if (!headSha(repoDir)) return { pass: true, report: `self-review: the repository has no commits yet, so no handoff commit; ${NOTHING_YET}` };
    // Handoffs are made after the run's baseline; the range keeps a long history out of the scan.
    const base = resolveRunBaseline(repoDir, spawnEnv());
    if ('error' in base) return { pass: false, report: `self-review: ${base.error}` };
    const baseline = base.source !== 'root';
    const since = base.source === 'tag' ? ' since peers-baseline' : " since the run's baseline";
    const commits = listCommits(repoDir, baseline ? `${base.sha}..HEAD` : 'HEAD', { newestFirst: true, limit: SCAN_LIMIT });
    const handoff = commits.find((c) => c.trailers.get('Peer-Status') === 'handoff');
    if (!handoff) {
      if (commits.length < SCAN_LIMIT) return { pass: true, report: `self-review: no commit with "Peer-Status: handoff"${baseline ? since : ''} yet; ${NOTHING_YET}` };
      return { pass: false, report: `self-review: no commit with "Peer-Status: handoff" among the newest ${SCAN_LIMIT}${baseline ? since : ''}` };
    }
    const where = `${handoff.sha.slice(0, 8)} "${handoff.subject}"`;
    const problem = selfReviewProblem(handoff);
    if (problem) return { pass: false, report: `self-review: handoff ${where}: ${problem}` };
    return { pass: true, report: `self-review: handoff ${where} carries a self-review` };
  },
};
