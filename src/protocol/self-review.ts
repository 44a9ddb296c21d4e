/**
 * What makes a commit a self-reviewed handoff (docs/ARCHITECTURE.md, The tick protocol): the trailers `Peer-Status: handoff` and
 * `Self-Review: pass`, and a body section headed exactly `## Self-Review`. The loop's handoff rule
 * and the `self-review-on-handoff` check both ask this one predicate, so they can never disagree
 * (a heading such as `## Self-Review notes` is not the section, for either of them).
 */
export type TrailerView = { get(key: string): string | undefined };
export type ReviewableCommit = { message: string; trailers: TrailerView };

const SELF_REVIEW_SECTION = /^##[ \t]+Self-Review[ \t]*\r?$/im;

export function hasSelfReviewSection(message: string): boolean {
  return SELF_REVIEW_SECTION.test(message);
}

/** Why a commit is not a self-reviewed handoff, or null when it is one. */
export function selfReviewProblem(c: ReviewableCommit): string | null {
  const status = c.trailers.get('Peer-Status');
  if (status !== 'handoff') return `Peer-Status is ${status === undefined ? '(missing)' : JSON.stringify(status)}, not "handoff"`;
  const verdict = c.trailers.get('Self-Review');
  if (verdict !== 'pass') return `Self-Review is ${verdict === undefined ? '(missing)' : JSON.stringify(verdict)}; it must be exactly "pass"`;
  if (!hasSelfReviewSection(c.message)) return 'the body has no "## Self-Review" section (a line that is exactly that heading)';
  return null;
}

/** A self-reviewed handoff; with `peer`, one whose `Peer:` trailer also names that peer. */
export function isSelfReviewedHandoff(c: ReviewableCommit, peer?: string): boolean {
  if (peer !== undefined && c.trailers.get('Peer') !== peer) return false;
  return selfReviewProblem(c) === null;
}
