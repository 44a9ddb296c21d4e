/**
 * `self-review-on-handoff` (original-goals-modes §12.1 verify_self_review): the newest handoff
 * commit must say `Self-Review: pass` and carry a `## Self-Review` section. A peer that hands off
 * without reviewing its own diff fails the gate.
 */
import { listCommits } from '../../src/git/commits.ts';
import { headSha } from '../../src/git/git.ts';
import type { Check } from './types.ts';

const SELF_REVIEW_HEADING = /^##\s+Self-Review\b/m;
const SCAN_LIMIT = 1000;

export const selfReviewOnHandoff: Check = {
  description: 'The newest handoff commit has `Self-Review: pass` and a `## Self-Review` section.',
  async run(repoDir) {
    if (!headSha(repoDir)) return { pass: false, report: 'self-review: the repository has no commits yet, so no handoff commit' };
    const handoff = listCommits(repoDir, 'HEAD', { newestFirst: true, limit: SCAN_LIMIT }).find((c) => c.trailers.get('Peer-Status') === 'handoff');
    if (!handoff) return { pass: false, report: `self-review: no commit with "Peer-Status: handoff" among the newest ${SCAN_LIMIT}` };
    const where = `${handoff.sha.slice(0, 8)} "${handoff.subject}"`;
    const verdict = handoff.trailers.get('Self-Review');
    if (verdict !== 'pass') return { pass: false, report: `self-review: handoff ${where} has Self-Review: ${verdict ?? '(missing)'}; it must be exactly "pass"` };
    if (!SELF_REVIEW_HEADING.test(handoff.message)) return { pass: false, report: `self-review: handoff ${where} has no "## Self-Review" section in its body` };
    return { pass: true, report: `self-review: handoff ${where} carries a self-review` };
  },
};
