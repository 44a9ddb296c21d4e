/**
 * `self-review-on-handoff` (original-goals-modes §12.1 verify_self_review): the newest handoff
 * commit must be a self-reviewed handoff, judged by the same predicate the loop uses for every
 * turn (src/protocol/self-review.ts). A peer that hands off without reviewing its own diff fails.
 */
import { listCommits } from '../../src/git/commits.ts';
import { headSha } from '../../src/git/git.ts';
import { selfReviewProblem } from '../../src/protocol/self-review.ts';
import type { Check } from './types.ts';

const SCAN_LIMIT = 1000;

export const selfReviewOnHandoff: Check = {
  description: 'The newest handoff commit has `Self-Review: pass` and a `## Self-Review` section.',
  async run(repoDir) {
    if (!headSha(repoDir)) return { pass: false, report: 'self-review: the repository has no commits yet, so no handoff commit' };
    const handoff = listCommits(repoDir, 'HEAD', { newestFirst: true, limit: SCAN_LIMIT }).find((c) => c.trailers.get('Peer-Status') === 'handoff');
    if (!handoff) return { pass: false, report: `self-review: no commit with "Peer-Status: handoff" among the newest ${SCAN_LIMIT}` };
    const where = `${handoff.sha.slice(0, 8)} "${handoff.subject}"`;
    const problem = selfReviewProblem(handoff);
    if (problem) return { pass: false, report: `self-review: handoff ${where}: ${problem}` };
    return { pass: true, report: `self-review: handoff ${where} carries a self-review` };
  },
};
