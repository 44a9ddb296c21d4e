/**
 * Approvals of commits by review commits, the second way an escape valve gets vouched for (the
 * first: another peer wrote it). A review commit approves commits by sha:
 *
 *     ## Review
 *     {"pass": true, "notes": "..."}
 *
 *     Peer-Review-Of: <sha of the approved commit, 7-40 hex digits>   (repeatable)
 *
 * The approver is the peer the loop attested for the review commit, never a trailer; an unattested
 * review approves nothing. Pure over commits and a lookup of attested peers.
 */
import type { Commit } from '../git/commits.ts';
import { firstJsonBlock } from '../protocol/json-blocks.ts';

export type Approval = { target: string; approver: string; reviewSha: string };

const SHA_PREFIX = /^[0-9a-f]{7,40}$/;
const REVIEW_HEADING = /^##[ \t]+Review[ \t]*\r?$/im;
/** Attested names that are not peers and approve nothing. */
const NOT_A_REVIEWER = new Set(['operator', 'peers-substrate', 'peers-init']);

export function approvedShas(c: Pick<Commit, 'message' | 'trailers'>): string[] {
  const targets = c.trailers.all('Peer-Review-Of').map((v) => v.trim().toLowerCase()).filter((v) => SHA_PREFIX.test(v));
  if (targets.length === 0) return [];
  const heading = REVIEW_HEADING.exec(c.message);
  if (!heading) return [];
  return firstJsonBlock(c.message, heading.index + heading[0].length)?.pass === true ? targets : [];
}

export function approvalsOf(commits: Commit[], peerOf: (sha: string) => string | undefined): Approval[] {
  const out: Approval[] = [];
  for (const c of commits) {
    const targets = approvedShas(c);
    if (targets.length === 0) continue;
    const approver = peerOf(c.sha);
    if (approver === undefined || NOT_A_REVIEWER.has(approver)) continue;
    for (const target of targets) out.push({ target, approver, reviewSha: c.sha });
  }
  return out;
}
