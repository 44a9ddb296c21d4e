/**
 * `self-review-on-handoff` (original-goals-modes §12.1 verify_self_review): the newest handoff
 * commit must say `Self-Review: pass` and carry a `## Self-Review` section. A peer that hands off
 * without reviewing its own diff fails the gate. Before any peer has handed off there is nothing
 * to judge: the gate passes with a note, so `peers verify` is green on a fresh repository (a tick
 * still counts only with a valid handoff, judged by the loop itself).
 */
import { listCommits } from '../../src/git/commits.ts';
import { git, headSha } from '../../src/git/git.ts';
import type { Check } from './types.ts';

const SELF_REVIEW_HEADING = /^##\s+Self-Review\b/m;
const SCAN_LIMIT = 1000;
const NOTHING_YET = 'nothing to check until a peer hands off';

export const selfReviewOnHandoff: Check = {
  description: 'The newest handoff commit has `Self-Review: pass` and a `## Self-Review` section (passes with a note before the first handoff).',
  async run(repoDir) {
    if (!headSha(repoDir)) return { pass: true, report: `self-review: the repository has no commits yet, so no handoff commit; ${NOTHING_YET}` };
    // Handoffs are made after `peers init` tagged the baseline; the range keeps a long history out of the scan.
    const baseline = git(repoDir, ['rev-parse', '--verify', '--quiet', 'peers-baseline^{commit}']).code === 0;
    const commits = listCommits(repoDir, baseline ? 'peers-baseline..HEAD' : 'HEAD', { newestFirst: true, limit: SCAN_LIMIT });
    const handoff = commits.find((c) => c.trailers.get('Peer-Status') === 'handoff');
    if (!handoff) {
      if (commits.length < SCAN_LIMIT) return { pass: true, report: `self-review: no commit with "Peer-Status: handoff"${baseline ? ' since peers-baseline' : ''} yet; ${NOTHING_YET}` };
      return { pass: false, report: `self-review: no commit with "Peer-Status: handoff" among the newest ${SCAN_LIMIT}${baseline ? ' since peers-baseline' : ''}` };
    }
    const where = `${handoff.sha.slice(0, 8)} "${handoff.subject}"`;
    const verdict = handoff.trailers.get('Self-Review');
    if (verdict !== 'pass') return { pass: false, report: `self-review: handoff ${where} has Self-Review: ${verdict ?? '(missing)'}; it must be exactly "pass"` };
    if (!SELF_REVIEW_HEADING.test(handoff.message)) return { pass: false, report: `self-review: handoff ${where} has no "## Self-Review" section in its body` };
    return { pass: true, report: `self-review: handoff ${where} carries a self-review` };
  },
};
