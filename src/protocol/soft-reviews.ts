/**
 * Soft-goal reviews: a review is a commit with `Peer-Review-Of: <goal>`
 * and a `## Review` section whose first JSON object has a boolean `pass`. The tally per goal is a
 * pure state transition; whether a goal has passed depends on its reviewer mode.
 *
 * A pass vote counts for the tree it read: a later commit that changes code (anything but
 * documents) voids every vote cast before it (`voidVotes`), so the goal is asked for again. A vote
 * that kept counting let the implementer special-case the tested input right after the reviewer
 * passed the code, and with the skeptic re-audit off the run ended `complete` with a commit no
 * other peer read (SECURITY.md, "Done means done", "A pass vote counts only for the code it read").
 *
 * The reviewer of record is the peer the LOOP attested for the commit (git notes, see
 * attestation.ts), never the `Peer:` trailer a peer writes itself: an unattested review, or one
 * whose trailer claims a different peer than the attestation, is ignored with a warning.
 */
import type { Commit } from '../git/commits.ts';
import type { ReviewRecord, SoftStatus } from '../state/state-schema.ts';
import { firstJsonBlock } from './json-blocks.ts';
import { notProse } from './prose-paths.ts';

export type ReviewerMode = 'other' | 'both' | 'alternating' | 'quorum';
/** The fields of a soft goal the tally needs (structurally a subset of config's SoftGoal). */
export type SoftGoalRule = { id: string; reviewer: ReviewerMode; consensus_needed?: number; quorum?: string };

export const HISTORY_KEEP = 20;
export const NOTES_MAX = 500;
const SHA_LIKE = /^[0-9a-fA-F]{7,64}$/;
const REVIEW_HEADING = /^##[ \t]+Review[ \t]*\r?$/im;

export function emptySoftStatus(): SoftStatus {
  return { consensusCount: 0, lastPass: null, history: [], altCursor: 0, perPeer: {} };
}

export function parseQuorum(q: string | undefined): { num: number; den: number } | undefined {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(q ?? '');
  if (!m) return undefined;
  const num = Number(m[1]);
  const den = Number(m[2]);
  return num > 0 && num <= den ? { num, den } : undefined;
}

/**
 * One review applied to a goal's tally. `peerCount` is the number of peers in the loop
 * (alternating's cursor wraps on it). History keeps the last 20 counted entries, or the quorum's M
 * when that is larger: a fixed 20 would make a quorum over more than 20 reviews unreachable
 * (trimHistory).
 */
export function applyReview(status: SoftStatus, goal: SoftGoalRule, review: ReviewRecord, peerCount: number): SoftStatus {
  const next: SoftStatus = { ...status, history: [...status.history], perPeer: { ...status.perPeer } };
  if (goal.reviewer === 'other' || goal.reviewer === 'alternating') {
    if (review.pass) {
      // A repeat pass by the same reviewer is still one vote: consensus needs independent peers.
      next.consensusCount = status.lastPass === true && status.lastReviewer !== review.reviewer ? status.consensusCount + 1 : 1;
    } else {
      next.consensusCount = 0;
    }
    next.lastPass = review.pass;
  }
  next.lastReviewer = review.reviewer;
  const mine = status.perPeer[review.reviewer]?.consensusCount ?? 0;
  next.perPeer[review.reviewer] = { consensusCount: review.pass ? mine + 1 : 0 };
  if (goal.reviewer === 'alternating') next.altCursor = (status.altCursor + 1) % Math.max(peerCount, 1);
  next.history.push(review);
  next.history = trimHistory(next.history, goal);
  return next;
}

/**
 * The history kept: the last 20 reviews that count, or the quorum's M when that is larger, and the
 * refused self passes among them (windowStart reads them), at most as many again. Kept by count of
 * all records, an author's refused passes pushed the other peers' counted votes out of a quorum's
 * window, and the goal could not pass.
 */
function trimHistory(history: ReviewRecord[], goal: SoftGoalRule): ReviewRecord[] {
  const keep = Math.max(HISTORY_KEEP, parseQuorum(goal.quorum)?.den ?? 0);
  let counted = history.filter((r) => !r.self).length;
  let drop = 0;
  while (counted > keep) if (!history[drop++]!.self) counted--;
  const kept = history.slice(drop);
  // Refused passes beyond `keep` go oldest first, the counted votes staying.
  let excess = kept.length - counted - keep;
  return excess > 0 ? kept.filter((r) => !(r.self && excess-- > 0)) : kept;
}

/** Whether a goal's tally means it has passed. */
/**
 * A soft goal's review progress as isSoftGoalPassed counts it, for people and peers to read: a goal
 * every peer must pass (`reviewer: both`) is counted per peer, never by the shared streak it leaves at 0.
 */
export function softProgress(goal: SoftGoalRule, status: SoftStatus | undefined, peerOrder: string[]): string {
  const needed = goal.consensus_needed ?? 2;
  if (goal.reviewer === 'both') return peerOrder.map((p) => `${p} ${status?.perPeer[p]?.consensusCount ?? 0}/${needed}`).join(', ');
  return `${status?.consensusCount ?? 0}/${needed}`;
}

export function isSoftGoalPassed(goal: SoftGoalRule, status: SoftStatus, peerOrder: string[]): boolean {
  const needed = goal.consensus_needed ?? 2;
  switch (goal.reviewer) {
    case 'other':
    case 'alternating':
      return status.consensusCount >= needed;
    case 'both': {
      const satisfied = Object.values(status.perPeer).filter((p) => p.consensusCount >= needed).length;
      return satisfied >= Math.max(peerOrder.length, 1);
    }
    case 'quorum': {
      const q = parseQuorum(goal.quorum);
      const live = status.history.filter((r) => !r.stale && !r.self);
      if (!q || live.length < q.den) return false;
      const window = live.slice(-q.den);
      return new Set(window.filter((r) => r.pass).map((r) => r.reviewer)).size >= q.num;
    }
  }
}

/**
 * Whether a commit that changes `paths` voids the votes before it: anything but prose does
 * (prose-paths.ts). A document by name where code lives may be data the code reads: add()
 * answered from a table in `src/answers.txt`, the tested input's answer was written there after
 * the reviewer's pass vote, and the vote counted for it; and one at the top that code names is
 * code (`require('../KERNEL.txt')`) (SECURITY.md, "A pass vote counts only for the code it read").
 * `namedByCode` says which prose-by-place paths a non-prose file of the commit's tree names
 * (proseNamedByCode); without it, none.
 */
export function changesWhatVotesRead(paths: readonly string[], namedByCode: (candidates: string[]) => ReadonlySet<string> = () => new Set()): boolean {
  return notProse(paths, namedByCode).length > 0;
}

/** Whether any vote in the tally still counts toward the goal. */
function hasLiveVotes(status: SoftStatus): boolean {
  return status.consensusCount > 0 || Object.values(status.perPeer).some((p) => p.consensusCount > 0) || status.history.some((r) => !r.stale && !r.self);
}

/**
 * The tally after a commit that changes code: no vote cast before it counts any more (each is kept
 * in the history, marked stale, so the next review's window of authors still starts at it).
 */
export function voidVotes(status: SoftStatus): SoftStatus {
  const { lastReviewer: _, ...rest } = status;
  return { ...rest, consensusCount: 0, lastPass: null, perPeer: {}, history: status.history.map((r) => (r.stale ? r : { ...r, stale: true })) };
}

/** Soft goals to offer `peer` this turn: alternating goals only to the peer whose turn it is. */
export function pendingSoftGoals(goals: SoftGoalRule[], statuses: Record<string, SoftStatus>, peerOrder: string[], peer: string): SoftGoalRule[] {
  return goals.filter((g) => {
    const st = statuses[g.id] ?? emptySoftStatus();
    if (isSoftGoalPassed(g, st, peerOrder)) return false;
    if (g.reviewer !== 'alternating') return true;
    return peerOrder[st.altCursor % Math.max(peerOrder.length, 1)] === peer;
  });
}

export type ParsedReview =
  | { kind: 'none' }
  | { kind: 'invalid'; goalId: string; warning: string }
  | { kind: 'review'; goalId: string; pass: boolean; notes: string };

/** Reads a commit as a soft review, without deciding who the reviewer is. */
export function parseReviewCommit(commit: Commit, goalIds: ReadonlySet<string>): ParsedReview {
  const value = commit.trailers.get('Peer-Review-Of')?.trim();
  if (!value) return { kind: 'none' };
  const short = commit.sha.slice(0, 8);
  if (!goalIds.has(value)) {
    // A sha-shaped value is a code review of a commit, not a soft-goal review: not ours to count.
    if (SHA_LIKE.test(value)) return { kind: 'none' };
    return { kind: 'invalid', goalId: value, warning: `soft-review ignored (${short}): Peer-Review-Of: ${value} — no soft goal with that id exists in goals.yaml` };
  }
  const heading = REVIEW_HEADING.exec(commit.message);
  if (!heading) return { kind: 'invalid', goalId: value, warning: `soft-review ignored (${short}) for ${value}: the body has no "## Review" line` };
  const block = firstJsonBlock(commit.message, heading.index + heading[0].length);
  if (!block) return { kind: 'invalid', goalId: value, warning: `soft-review ignored (${short}) for ${value}: no JSON object after "## Review"` };
  if (typeof block.pass !== 'boolean') return { kind: 'invalid', goalId: value, warning: `soft-review ignored (${short}) for ${value}: "pass" must be true or false, got ${JSON.stringify(block.pass)}` };
  // Notes go into state and prompts: bounded, so one verbose review cannot crowd them out.
  return { kind: 'review', goalId: value, pass: block.pass, notes: typeof block.notes === 'string' ? block.notes.slice(0, NOTES_MAX) : '' };
}

export type IngestResult = {
  statuses: Record<string, SoftStatus>;
  warnings: string[];
  ingested: Array<{ goalId: string } & ReviewRecord>;
  /** Passing votes not counted because the voter wrote changes under review (every mode but `both`). */
  selfVotes: Array<{ goalId: string; reviewer: string; sha: string }>;
  /** Goals whose votes a code-changing commit (`sha`) voided. */
  staleVotes: Array<{ goalId: string; sha: string }>;
};

/**
 * Who wrote changes under review for a vote cast in `reviewSha`: the peers whose commits change
 * the tree between the goal's last review by another peer than the voter (`since`, windowStart;
 * the run's start when undefined) and the vote.
 */
export type AuthorsUnderReview = (since: string | undefined, reviewSha: string) => ReadonlySet<string>;

/**
 * Where the changes a `voter`'s vote is checked against begin: at the goal's last PASS by ANOTHER
 * peer, counted or not (the run's start when none): what that peer read and let through. The
 * voter's own reviews never move it: the implementer special-cased the tested input, voted fail on
 * its own change, then pass, and the window that began at its own fail vote held none of its code.
 * Another peer's fail does not either: the reviewer, fooled into filing nothing, voted fail on the
 * special case, the implementer voted pass on the same tree, and its pass counted as another
 * peer's. Both ended `complete` (SECURITY.md, "No vote on your own change"). An author's refused
 * pass is kept (`self`) so that the other peers' windows start after what it read.
 */
export function windowStart(status: SoftStatus, voter: string): string | undefined {
  return status.history.findLast((r) => r.reviewer !== voter && r.pass)?.sha;
}

/**
 * The tally with `record` kept in its history and no vote counted: a refused self-vote
 * (windowStart). An alternating goal's turn still moves on, to a peer that may count.
 */
function keepUncounted(status: SoftStatus, goal: SoftGoalRule, record: ReviewRecord, peerCount: number): SoftStatus {
  const history = [...status.history, { ...record, self: true }];
  const altCursor = goal.reviewer === 'alternating' ? (status.altCursor + 1) % Math.max(peerCount, 1) : status.altCursor;
  return { ...status, altCursor, history: trimHistory(history, goal) };
}

/**
 * Ingests the reviews among `commits` (oldest first, typically the range a tick produced).
 * `attestedPeer(sha)` is the loop's record of which peer's tick made the commit. Under every
 * reviewer mode but `both` a passing vote by a peer that wrote changes under review does not count
 * (a failing one still does: it can only hold the run): with `alternating` or a quorum of one, the
 * author's own pass completed the goal when the turn or the window was its own. A commit for which `changesCode(sha)` holds
 * voids every vote before it, of every goal (`voidVotes`); a commit that is both a code change and
 * a review votes on its own code, after the void.
 */
export function ingestReviews(
  commits: Commit[],
  goals: SoftGoalRule[],
  statuses: Record<string, SoftStatus>,
  peerOrder: string[],
  attestedPeer: (sha: string) => string | undefined,
  authorsUnderReview?: AuthorsUnderReview,
  changesCode?: (sha: string) => boolean,
): IngestResult {
  const byId = new Map(goals.map((g) => [g.id, g]));
  const out: IngestResult = { statuses: { ...statuses }, warnings: [], ingested: [], selfVotes: [], staleVotes: [] };
  for (const c of commits) {
    if (changesCode?.(c.sha)) {
      for (const g of goals) {
        const st = out.statuses[g.id];
        if (!st || !hasLiveVotes(st)) continue;
        out.statuses[g.id] = voidVotes(st);
        out.staleVotes.push({ goalId: g.id, sha: c.sha });
      }
    }
    const parsed = parseReviewCommit(c, new Set(byId.keys()));
    if (parsed.kind === 'none') continue;
    if (parsed.kind === 'invalid') {
      out.warnings.push(parsed.warning);
      continue;
    }
    const short = c.sha.slice(0, 8);
    const reviewer = attestedPeer(c.sha);
    if (!reviewer) {
      out.warnings.push(`soft-review ignored (${short}) for ${parsed.goalId}: the commit is not attested to any peer's tick`);
      continue;
    }
    const claimed = c.trailers.get('Peer');
    if (claimed !== undefined && claimed !== reviewer) {
      out.warnings.push(`soft-review ignored (${short}) for ${parsed.goalId}: its Peer: trailer says "${claimed}" but the commit came from ${reviewer}'s tick`);
      continue;
    }
    const goal = byId.get(parsed.goalId)!;
    const current = out.statuses[goal.id] ?? emptySoftStatus();
    // `both` asks every peer's pass, the author's among them, so another peer's is always needed too.
    if (goal.reviewer !== 'both' && parsed.pass && authorsUnderReview?.(windowStart(current, reviewer), c.sha).has(reviewer)) {
      out.selfVotes.push({ goalId: goal.id, reviewer, sha: c.sha });
      out.warnings.push(`soft-review not counted (${short}) for ${goal.id}: ${reviewer} wrote changes under review, and "reviewer: ${goal.reviewer}" needs a peer that did not`);
      out.statuses[goal.id] = keepUncounted(current, goal, { pass: true, reviewer, sha: c.sha, notes: parsed.notes }, peerOrder.length);
      continue;
    }
    const record: ReviewRecord = { pass: parsed.pass, reviewer, sha: c.sha, notes: parsed.notes };
    out.statuses[goal.id] = applyReview(current, goal, record, peerOrder.length);
    out.ingested.push({ goalId: goal.id, ...record });
  }
  return out;
}
