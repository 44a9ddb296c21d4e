/**
 * Who vouched for what. Every escape valve (JUSTIFIED-TEST-ONLY, JUSTIFIED-TEST-REMOVAL, a skip
 * reason, Bug-Defer, Bug-Reproduce-Waive) and every gate-surface change counts only when a peer
 * OTHER than the one it excuses stands behind it (docs/ARCHITECTURE.md, The tick protocol): either that peer's tick wrote it
 * (the loop's attestation note, never a trailer), or that peer approved the commit carrying it in
 * a review commit:
 *
 *     ## Review
 *     {"pass": true, "notes": "..."}
 *
 *     Peer-Review-Of: <sha of the approved commit, 7-40 hex digits>   (repeatable)
 *     Peer: <reviewer>
 *
 * Pure over commits and an attestation lookup; src/protocol/attestation.ts reads them from git.
 */
import type { Commit } from '../git/commits.ts';
import { firstJsonBlock } from './json-blocks.ts';

/** The attested author of commits made before the run started: the operator, never a peer. */
export const OPERATOR = 'operator';
export const SUBSTRATE_PEER = 'peers-substrate';
/** The git identity of every object the loop itself writes (reverts, attestation notes, counterfactual commits). */
export const SUBSTRATE_GIT_ENV = { GIT_AUTHOR_NAME: SUBSTRATE_PEER, GIT_AUTHOR_EMAIL: 'peers-substrate@local', GIT_COMMITTER_NAME: SUBSTRATE_PEER, GIT_COMMITTER_EMAIL: 'peers-substrate@local' };

export type AttestationView = {
  /** The peer whose tick made the commit; OPERATOR for commits before the run; undefined = unknown. */
  peerOf(sha: string): string | undefined;
  /** Peers that approved the commit in an attested review commit. */
  approversOf(sha: string): ReadonlySet<string>;
};

export type Approval = { target: string; approver: string; reviewSha: string };

const SHA_PREFIX = /^[0-9a-f]{7,40}$/i;
const REVIEW_HEADING = /^##[ \t]+Review[ \t]*\r?$/im;

/** `Peer-Review-Of: <sha>` values of a commit whose `## Review` block says `"pass": true`. */
export function approvedTargets(c: Pick<Commit, 'message' | 'trailers'>): string[] {
  const targets = c.trailers.all('Peer-Review-Of').map((v) => v.trim().toLowerCase()).filter((v) => SHA_PREFIX.test(v));
  if (targets.length === 0) return [];
  const heading = REVIEW_HEADING.exec(c.message);
  if (!heading) return [];
  const block = firstJsonBlock(c.message, heading.index + heading[0].length);
  return block?.pass === true ? targets : [];
}

/**
 * Every approval among `commits` (oldest first), credited to the attested reviewer (unattested
 * reviews count for nobody). A `Peer-Review-Of` value is a prefix of a sha: it approves only the
 * commits listed before the review that it names, never one made after it. A prefix was matched
 * against every commit of the run, so an approval counted for a commit made later whose id shared
 * the prefix: a 7-digit prefix is 28 bits, which a peer's turn can search in minutes, so the
 * reviewer's approval of one commit approved the author's next, gate-surface change and all
 * (SECURITY.md, "The gate's surface needs another peer's approval").
 */
export function approvalsIn(commits: Commit[], peerOf: (sha: string) => string | undefined): Approval[] {
  const out: Approval[] = [];
  const seen: string[] = [];
  for (const c of commits) {
    const targets = approvedTargets(c);
    const approver = targets.length ? peerOf(c.sha) : undefined;
    if (approver !== undefined && approver !== OPERATOR && approver !== SUBSTRATE_PEER) {
      for (const target of targets) for (const sha of seen) if (sha.startsWith(target)) out.push({ target: sha, approver, reviewSha: c.sha });
    }
    seen.push(c.sha.toLowerCase());
  }
  return out;
}

export function makeAttestationView(peerOf: (sha: string) => string | undefined, approvals: Approval[]): AttestationView {
  return {
    peerOf,
    approversOf(sha) {
      const full = sha.toLowerCase();
      // A reviewer never approves its own commit: that vote is the author's, not another peer's.
      const author = peerOf(sha);
      return new Set(approvals.filter((a) => full.startsWith(a.target) && a.approver !== author).map((a) => a.approver));
    },
  };
}

export type Attested = { counts: true; by: string } | { counts: false; writer: string | undefined };

/**
 * Whether something written in commit `sha` counts against `owner`, the peer whose own change it
 * excuses: only when another peer wrote it or approved that commit. Commits from before the run
 * are the operator's and always count; an unattested commit never does (fail closed).
 */
export function attestedByAnother(view: AttestationView, sha: string, owner: string): Attested {
  const writer = view.peerOf(sha);
  if (writer === OPERATOR) return { counts: true, by: OPERATOR };
  if (writer !== undefined && writer !== owner && writer !== SUBSTRATE_PEER) return { counts: true, by: writer };
  for (const a of view.approversOf(sha)) if (a !== owner) return { counts: true, by: a };
  return { counts: false, writer };
}

/** The sentence every "does not count" warning ends with, so peers learn the one way to fix it. */
export function approvalHint(sha: string): string {
  return `another peer must approve it: a review commit with "## Review" {"pass": true, ...} and the trailer "Peer-Review-Of: ${sha.slice(0, 12)}"`;
}
