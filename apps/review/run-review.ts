/**
 * `peers review`: what the peers said about the work, read from history. The latest self-reviewed
 * handoff with its `## Self-Review` section, and the review commits (`Peer-Review-Of:`) with their
 * `## Review` verdict. The peer named is the one the loop attested in git notes (the reviewer of
 * record, docs/ARCHITECTURE.md), never the commit's own trailer; null when nothing attests it.
 * Pure over a list of commits; the command reads them through the run's trusted mirror.
 */
import type { Commit } from '../../src/git/commits.ts';
import { firstJsonBlock } from '../../src/protocol/json-blocks.ts';
import { isSelfReviewedHandoff } from '../../src/protocol/self-review.ts';

export type HandoffReview = { sha: string; peer: string | null; subject: string; self_review: string | null };
export type ReviewCommit = { sha: string; peer: string | null; goal: string; pass: boolean | null; subject: string; review: string | null };

const SECTION_CHARS = 4000;

/** The body under `## <heading>` up to the next `## ` heading or the trailers. */
export function sectionText(message: string, heading: string): string | null {
  const lines = message.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^##[ \\t]+${heading}[ \\t]*\\r?$`, 'i').test(l));
  if (start === -1) return null;
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^##[ \t]/.test(line) || /^[A-Z][A-Za-z-]+: /.test(line)) break;
    body.push(line);
  }
  return body.join('\n').trim().slice(0, SECTION_CHARS);
}

/** `commits` newest first; `peerOf` the attested author of a commit. */
export function runReview(commits: readonly Commit[], peerOf: (sha: string) => string | undefined, limit = 20): { handoff: HandoffReview | null; reviews: ReviewCommit[] } {
  const last = commits.find((c) => isSelfReviewedHandoff(c));
  const handoff = last ? { sha: last.sha, peer: peerOf(last.sha) ?? null, subject: last.subject, self_review: sectionText(last.message, 'Self-Review') } : null;
  const reviews = commits
    .filter((c) => c.trailers.get('Peer-Review-Of')?.trim())
    .slice(0, limit)
    .map((c) => {
      const review = sectionText(c.message, 'Review');
      const heading = /^##[ \t]+Review[ \t]*\r?$/im.exec(c.message);
      const block = heading ? firstJsonBlock(c.message, heading.index + heading[0].length) : undefined;
      return { sha: c.sha, peer: peerOf(c.sha) ?? null, goal: c.trailers.get('Peer-Review-Of')!.trim(), pass: typeof block?.pass === 'boolean' ? block.pass : null, subject: c.subject, review };
    });
  return { handoff, reviews };
}
