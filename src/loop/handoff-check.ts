/**
 * Did the turn end in a valid handoff? (docs/ARCHITECTURE.md, The tick protocol.) A turn succeeds when
 * history was only extended, and the peer's newest commit of the turn carries `Peer: <name>`,
 * `Peer-Status: handoff`, `Self-Review: pass` and a `## Self-Review` section, and nothing is left
 * uncommitted. Commits after the handoff were not self-reviewed; uncommitted work never counts.
 * Those two cases, and commits without a handoff, are soft failures (half credit toward degrading).
 *
 * The honest way out: a last commit with `Peer-Status: blocked`, `Peer: <name>` and the reason (a
 * `## Blocked` section or a `Blocked-Reason:` trailer, at least 20 characters) ends the turn as
 * a declaration that the task cannot be done as specified; the loop stops when another peer
 * confirms it the same way (tick.ts).
 */
import { isSelfReviewedHandoff } from '../protocol/self-review.ts';
import type { TurnCredit } from './peer-health.ts';
import type { Classification } from './classify.ts';

export type CommitView = { sha: string; message: string; trailers: { get(key: string): string | undefined } };

export type HandoffInput = {
  peer: string;
  classification: Classification;
  /** Commits of `head_before..head_after`, oldest first (empty when history was rewritten). */
  newCommits: CommitView[];
  headBefore: string | null;
  rewritten: boolean;
  dirtyPaths: string[];
};

export type HandoffVerdict = {
  success: boolean;
  credit: TurnCredit;
  /** Why the turn is not a success (the runs.jsonl `soft_fail_reason`); null on success. */
  reason: string | null;
  handoffSha: string | null;
  /** An idle-timeout turn whose handoff commit had landed before the kill. */
  rescuedFromIdle: boolean;
  /** Set when the turn ended with a valid `Peer-Status: blocked` declaration. */
  blocked: { reason: string; sha: string } | null;
};

export function isHandoffCommit(c: CommitView, peer: string): boolean {
  return isSelfReviewedHandoff(c, peer);
}

export const BLOCKED_REASON_MIN = 20;

/** The reason a `Peer-Status: blocked` commit gives: its `## Blocked` section, else its `Blocked-Reason:` trailer. */
export function blockedReason(c: CommitView): string {
  const lines = c.message.split('\n').map((l) => l.replace(/\r$/, ''));
  const at = lines.findIndex((l) => /^##[ \t]+Blocked[ \t]*$/.test(l));
  let section: string[] = [];
  if (at >= 0) {
    for (const line of lines.slice(at + 1)) {
      if (/^##[ \t]/.test(line)) break;
      section.push(line);
    }
    while (section.length && section.at(-1)!.trim() === '') section = section.slice(0, -1);
    // The trailer paragraph (after the last blank line, every line `Key: value`) is protocol, not reason.
    const blank = section.map((l) => l.trim()).lastIndexOf('');
    const tail = section.slice(blank + 1);
    if (blank >= 0 && tail.length && tail.every((l) => /^[A-Za-z][A-Za-z0-9-]+:[ \t]/.test(l))) section = section.slice(0, blank);
  }
  const text = section.join(' ').trim() || (c.trailers.get('Blocked-Reason') ?? '').trim();
  return text.replace(/\s+/g, ' ').slice(0, 1000);
}

function fail(reason: string, credit: TurnCredit = 0): HandoffVerdict {
  return { success: false, credit, reason, handoffSha: null, rescuedFromIdle: false, blocked: null };
}

const short = (sha: string) => sha.slice(0, 8);

export function checkHandoff(i: HandoffInput): HandoffVerdict {
  if (i.classification !== 'success' && i.classification !== 'idle-timeout') return fail(`run classification ${i.classification}`);
  if (i.rewritten) {
    return fail(`history was rewritten: ${short(i.headBefore ?? '')} is no longer an ancestor of HEAD (amend / rebase / reset is not allowed)`);
  }
  const mine = i.newCommits.filter((c) => c.trailers.get('Peer') === i.peer);
  if (mine.length === 0) {
    const why = i.classification === 'success' ? '' : ` (classification was ${i.classification})`;
    // Commits without the trailer are the turn's work all the same: say what they lack, not that there were none.
    if (i.newCommits.length === 0) return fail(`no commit by ${i.peer} this turn${why}`);
    const others = [...new Set(i.newCommits.map((c) => c.trailers.get('Peer')).filter((p): p is string => p !== undefined))];
    const lack = others.length ? `carry Peer: ${others.join(', ')}` : 'carry no Peer: trailer';
    return fail(`${i.newCommits.length} commit(s) this turn (${i.newCommits.slice(-3).map((c) => short(c.sha)).join(', ')}) ${lack}: a handoff commit needs Peer: ${i.peer}, Peer-Status: handoff and Self-Review: pass${why}`);
  }
  const last = i.newCommits[i.newCommits.length - 1]!;
  if (last.trailers.get('Peer') === i.peer && last.trailers.get('Peer-Status') === 'blocked') {
    const reason = blockedReason(last);
    if (reason.length < BLOCKED_REASON_MIN) return fail(`Peer-Status: blocked in ${short(last.sha)} gives no reason (a "## Blocked" section or a Blocked-Reason: trailer of at least ${BLOCKED_REASON_MIN} characters)`, 0.5);
    if (i.dirtyPaths.length > 0) return fail(`uncommitted changes left after the blocked declaration: ${i.dirtyPaths.slice(0, 20).join(', ')}`, 0.5);
    return { success: true, credit: 1, reason: null, handoffSha: last.sha, rescuedFromIdle: i.classification === 'idle-timeout', blocked: { reason, sha: last.sha } };
  }
  const handoffs = i.newCommits.filter((c) => isHandoffCommit(c, i.peer));
  if (handoffs.length === 0) {
    const claimed = mine.find((c) => c.trailers.get('Peer-Status') === 'handoff' && c.trailers.get('Self-Review') === 'pass');
    if (claimed) return fail(`handoff commit ${short(claimed.sha)} has no "## Self-Review" section`, 0.5);
    return fail('productive commit(s) this turn but no Peer-Status: handoff + Self-Review: pass trailers', 0.5);
  }
  if (!isHandoffCommit(last, i.peer)) {
    const after = i.newCommits.slice(i.newCommits.indexOf(handoffs[handoffs.length - 1]!) + 1).map((c) => short(c.sha));
    return fail(`commit(s) after the handoff were not self-reviewed: ${after.join(', ')}`, 0.5);
  }
  if (i.dirtyPaths.length > 0) {
    const shown = i.dirtyPaths.slice(0, 20).join(', ') + (i.dirtyPaths.length > 20 ? `, … (+${i.dirtyPaths.length - 20})` : '');
    return fail(`uncommitted changes left after the handoff: ${shown}`, 0.5);
  }
  return { success: true, credit: 1, reason: null, handoffSha: last.sha, rescuedFromIdle: i.classification === 'idle-timeout', blocked: null };
}
