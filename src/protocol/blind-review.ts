/**
 * The reviewer's view for a blind review: what changed and what it was supposed to achieve, but
 * not what the implementer SAYS about it. Commit messages are cut to their subject and protocol
 * trailers; self-review sections, free-text notes and the implementer's `.peers/` messages are left
 * out, so a reviewer judges the code rather than the author's account of it.
 */
import { listCommits } from '../git/commits.ts';
import { git } from '../git/git.ts';

/** Trailers that carry protocol facts, not opinions; everything else in a message is dropped. */
const PROTOCOL_TRAILERS = ['Peer', 'Peer-Status', 'Bug-Report', 'Bug-Resolves', 'Bug-Defer', 'Bug-Reproduce', 'Peer-Review-Of'];
export const BLIND_DIFF_LIMIT = 200_000;

export type ReviewGoal = { id: string; description?: string; prompt?: string };

/** A commit message reduced to its subject and protocol trailers (never `Self-Review`). */
export function redactCommitMessage(message: string, trailers: Array<[string, string]>): string {
  const subject = message.split('\n', 1)[0]?.trim() ?? '';
  const kept = trailers.filter(([k]) => PROTOCOL_TRAILERS.includes(k)).map(([k, v]) => `${k}: ${v}`);
  return [subject, ...kept.map((t) => `    ${t}`)].join('\n');
}

/** Removes every `## Self-Review` section (up to the next `## ` heading) from text. */
export function stripSelfReview(text: string): string {
  return text.replace(/^##[ \t]+Self-Review\b[^\n]*\n(?:(?!##[ \t])[^\n]*\n?)*/gim, '');
}

export type BlindReviewView = { text: string; diffTruncated: boolean; commitCount: number };

export function buildBlindReviewView(repo: string, base: string, goals: ReviewGoal[], head = 'HEAD'): BlindReviewView {
  const commits = listCommits(repo, `${base}..${head}`);
  const diffRes = git(repo, ['diff', '--no-color', '--no-ext-diff', `${base}..${head}`, '--', '.', ':(exclude).peers']);
  let diff = diffRes.code === 0 ? diffRes.stdout : `(diff unavailable: ${diffRes.stderr.trim()})`;
  const diffTruncated = diff.length > BLIND_DIFF_LIMIT;
  if (diffTruncated) diff = `${diff.slice(0, BLIND_DIFF_LIMIT)}\n…[diff truncated at ${BLIND_DIFF_LIMIT} characters; read the rest with git diff ${base.slice(0, 12)}..HEAD]\n`;
  const goalLines = goals.map((g) => `  - ${g.id}${g.description ? `: ${g.description}` : ''}${g.prompt ? `\n${g.prompt.trim().split('\n').map((l) => `      ${l}`).join('\n')}` : ''}`);
  const commitLines = commits.map((c) => `  ${c.sha.slice(0, 8)} ${redactCommitMessage(c.message, c.trailers.entries)}`);
  const text = [
    '=== BLIND REVIEW ===',
    "You review this change without the implementer's notes or self-review. Judge the code against the goals; do not trust claims, verify them.",
    '',
    'GOALS:',
    ...(goalLines.length ? goalLines : ['  (none)']),
    '',
    `COMMITS (${base.slice(0, 8)}..${head === 'HEAD' ? 'HEAD' : head.slice(0, 8)}, subjects and protocol trailers only):`,
    ...(commitLines.length ? commitLines : ['  (none)']),
    '',
    'DIFF:',
    diff,
    '=== END BLIND REVIEW ===',
  ].join('\n');
  return { text, diffTruncated, commitCount: commits.length };
}
