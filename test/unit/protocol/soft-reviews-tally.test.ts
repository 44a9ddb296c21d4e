/**
 * Soft-goal reviews without git: the tally each reviewer mode keeps, when a goal has passed, which
 * goals a peer is offered, how a review commit is read, and which votes are refused (unattested,
 * a forged Peer: trailer, a vote on one's own changes). Commits are built in memory.
 */
import { describe, expect, test } from 'bun:test';
import { parseTrailers } from '../../../src/git/trailers.ts';
import type { Commit } from '../../../src/git/commits.ts';
import {
  applyReview,
  changesWhatVotesRead,
  emptySoftStatus,
  HISTORY_KEEP,
  ingestReviews,
  isSoftGoalPassed,
  NOTES_MAX,
  parseQuorum,
  parseReviewCommit,
  pendingSoftGoals,
  type SoftGoalRule,
} from '../../../src/protocol/soft-reviews.ts';
import type { SoftStatus } from '../../../src/state/state-schema.ts';
import { tally as tallyVotes } from './soft-review-tally.ts';

const PEERS = ['alice', 'bob'];
const tally = (goal: SoftGoalRule, votes: Array<[string, boolean]>, peerCount = PEERS.length): SoftStatus => tallyVotes(goal, votes, peerCount);
const commit = (sha: string, message: string): Commit => ({ sha, message, subject: message.split('\n', 1)[0]!, trailers: parseTrailers(message), authorName: '', authorEmail: '', committerName: '', committerEmail: '' });
const reviewMsg = (goal: string, body: string, peer?: string) => `Review ${goal}\n\n## Review\n${body}\n\nPeer-Review-Of: ${goal}${peer ? `\nPeer: ${peer}` : ''}`;
const SHA_A = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const SHA_B = 'b1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const SHA_C = 'c1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

describe('the tally and when a goal has passed', () => {
  test('a goal needing one pass is not passed before any review, and a fail after a pass undoes it', () => {
    const g: SoftGoalRule = { id: 'g', reviewer: 'other', consensus_needed: 1 };
    expect(isSoftGoalPassed(g, emptySoftStatus(), PEERS)).toBe(false);
    expect(isSoftGoalPassed(g, tally(g, [['alice', true]]), PEERS)).toBe(true);
    expect(isSoftGoalPassed(g, tally(g, [['alice', true], ['bob', false]]), PEERS)).toBe(false);
  });

  test('both: one pass each is not two; a lone peer needs only its own passes', () => {
    const g: SoftGoalRule = { id: 'g', reviewer: 'both', consensus_needed: 2 };
    expect(isSoftGoalPassed(g, tally(g, [['alice', true], ['bob', true], ['bob', true]]), PEERS)).toBe(false);
    expect(isSoftGoalPassed(g, tally(g, [['alice', true], ['alice', true]], 1), ['alice'])).toBe(true);
  });

  test('both and quorum keep no shared streak and no turn cursor: only per-peer counts and history', () => {
    for (const reviewer of ['both', 'quorum'] as const) {
      const st = tally({ id: 'g', reviewer, quorum: '1/2' }, [['alice', true], ['bob', true], ['alice', true]]);
      expect([st.consensusCount, st.lastPass, st.altCursor, st.lastReviewer]).toEqual([0, null, 0, 'alice']);
      expect(st.perPeer).toEqual({ alice: { consensusCount: 2 }, bob: { consensusCount: 1 } });
    }
  });

  test('alternating with a single peer: the cursor stays on that peer', () => {
    const g: SoftGoalRule = { id: 'g', reviewer: 'alternating', consensus_needed: 3 };
    expect(tally(g, [['alice', true]], 1).altCursor).toBe(0);
  });

  test('history keeps the last 20 reviews, oldest dropped first', () => {
    const g: SoftGoalRule = { id: 'g', reviewer: 'other' };
    let st = emptySoftStatus();
    for (let i = 0; i < 25; i++) st = applyReview(st, g, { reviewer: i % 2 ? 'bob' : 'alice', pass: true, sha: `s${i}`, notes: '' }, 2);
    expect(HISTORY_KEEP).toBe(20);
    expect(st.history.map((r) => r.sha)).toEqual(Array.from({ length: 20 }, (_, i) => `s${i + 5}`));
    st = applyReview(emptySoftStatus(), g, { reviewer: 'alice', pass: true, sha: 'only', notes: '' }, 2);
    expect(st.history.map((r) => r.sha)).toEqual(['only']);
  });

  test('a quorum is N of M with 0 < N <= M; anything else is no quorum and never passes', () => {
    expect(parseQuorum(' 3 / 3 ')).toEqual({ num: 3, den: 3 });
    expect(parseQuorum('1/2')).toEqual({ num: 1, den: 2 });
    for (const bad of ['0/3', '4/3', '3', '', undefined]) expect(parseQuorum(bad)).toBeUndefined();
    const all3: SoftGoalRule = { id: 'g', reviewer: 'quorum', quorum: '3/3' };
    expect(isSoftGoalPassed(all3, tally(all3, [['a', true], ['b', true], ['c', true]], 3), ['a', 'b', 'c'])).toBe(true);
    const none: SoftGoalRule = { id: 'g', reviewer: 'quorum', quorum: '0/3' };
    expect(isSoftGoalPassed(none, tally(none, [['a', false], ['b', false], ['c', false]], 3), ['a', 'b', 'c'])).toBe(false);
  });
});

describe('which goals a peer is offered', () => {
  test('a goal that is not alternating is offered to every peer until it passes', () => {
    const g: SoftGoalRule = { id: 'g', reviewer: 'other' };
    expect(pendingSoftGoals([g], {}, PEERS, 'alice').map((x) => x.id)).toEqual(['g']);
    expect(pendingSoftGoals([g], {}, PEERS, 'bob').map((x) => x.id)).toEqual(['g']);
  });

  test('after the peer list shrinks to one, an alternating goal is still offered to the peer left', () => {
    const g: SoftGoalRule = { id: 'g', reviewer: 'alternating' };
    const st = tally(g, [['alice', true]]); // cursor on bob, who has since been removed
    expect(st.altCursor).toBe(1);
    expect(pendingSoftGoals([g], { g: st }, ['alice'], 'alice').map((x) => x.id)).toEqual(['g']);
  });
});

describe('reading a review commit', () => {
  const ids = new Set(['docs-clear']);

  test('an ordinary commit is no review and no warning', () => {
    expect(parseReviewCommit(commit(SHA_A, 'fix the parser\n\nPeer: alice'), ids)).toEqual({ kind: 'none' });
    expect(ingestReviews([commit(SHA_A, 'fix the parser\n\nPeer: alice')], [{ id: 'docs-clear', reviewer: 'other' }], {}, PEERS, () => 'alice')).toEqual({ statuses: {}, warnings: [], ingested: [], selfVotes: [], staleVotes: [] });
  });

  test('the verdict is the first JSON object after "## Review", not a passing one above it', () => {
    const r = parseReviewCommit(commit(SHA_A, `x\n\n{"pass": true}\n\n## Review\n{"pass": false, "notes": "the README still lies"}\n\nPeer-Review-Of: docs-clear`), ids);
    expect(r).toEqual({ kind: 'review', goalId: 'docs-clear', pass: false, notes: 'the README still lies' });
    // Even a passing block right before a long heading line (trailing blanks) does not count.
    const padded = parseReviewCommit(commit(SHA_A, `x\n\n{"pass":true}\n## Review${' '.repeat(20)}\n{"pass": false}\n\nPeer-Review-Of: docs-clear`), ids);
    expect(padded).toEqual({ kind: 'review', goalId: 'docs-clear', pass: false, notes: '' });
  });

  test('a "## Review" with no JSON object under it is refused with a warning naming the commit', () => {
    expect(parseReviewCommit(commit(SHA_A, reviewMsg('docs-clear', 'looks good to me')), ids)).toEqual({
      kind: 'invalid',
      goalId: 'docs-clear',
      warning: 'soft-review ignored (a1b2c3d4) for docs-clear: no JSON object after "## Review"',
    });
  });

  test('notes are cut at 500 characters; notes that are not text are dropped', () => {
    const long = 'n'.repeat(NOTES_MAX + 100);
    const r = parseReviewCommit(commit(SHA_A, reviewMsg('docs-clear', JSON.stringify({ pass: true, notes: long }))), ids);
    expect(r).toEqual({ kind: 'review', goalId: 'docs-clear', pass: true, notes: 'n'.repeat(500) });
    expect(parseReviewCommit(commit(SHA_A, reviewMsg('docs-clear', '{"pass": true, "notes": {"a": 1}}')), ids)).toEqual({ kind: 'review', goalId: 'docs-clear', pass: true, notes: '' });
    expect(parseReviewCommit(commit(SHA_A, reviewMsg('docs-clear', '{"pass": true}')), ids)).toEqual({ kind: 'review', goalId: 'docs-clear', pass: true, notes: '' });
  });
});

describe('votes that do not count', () => {
  const other: SoftGoalRule = { id: 'docs-clear', reviewer: 'other' };

  test('an unattested review is refused with a warning naming the commit', () => {
    const r = ingestReviews([commit(SHA_A, reviewMsg('docs-clear', '{"pass": true}', 'alice'))], [other], {}, PEERS, () => undefined);
    expect(r.warnings).toEqual(["soft-review ignored (a1b2c3d4) for docs-clear: the commit is not attested to any peer's tick"]);
    expect(r.ingested).toEqual([]);
  });

  test('reviewer other: a pass by a peer that wrote changes under review is not counted; the window starts at the last counted review', () => {
    const asked: Array<[string | undefined, string]> = [];
    const authors = (since: string | undefined, sha: string) => {
      asked.push([since, sha]);
      return new Set(sha === SHA_C ? ['alice'] : []);
    };
    const who: Record<string, string> = { [SHA_A]: 'alice', [SHA_B]: 'bob', [SHA_C]: 'alice' };
    const commits = [SHA_A, SHA_B, SHA_C].map((s) => commit(s, reviewMsg('docs-clear', '{"pass": true}')));
    const r = ingestReviews(commits, [other], {}, PEERS, (s) => who[s], authors);
    expect(asked).toEqual([[undefined, SHA_A], [SHA_A, SHA_B], [SHA_B, SHA_C]]);
    expect(r.ingested.map((x) => x.sha)).toEqual([SHA_A, SHA_B]);
    expect(r.selfVotes).toEqual([{ goalId: 'docs-clear', reviewer: 'alice', sha: SHA_C }]);
    expect(r.warnings).toEqual(['soft-review not counted (c1b2c3d4) for docs-clear: alice wrote changes under review, and "reviewer: other" needs a peer that did not']);
  });

  test("reviewer other: the voter's own reviews never start its window, only another peer's (cheats/stale-vote.test.ts)", () => {
    // alice special-cased, voted fail, then pass: the window began at her own fail vote and held none of her code.
    const asked: Array<[string | undefined, string]> = [];
    const authors = (since: string | undefined, sha: string) => {
      asked.push([since, sha]);
      return new Set(since === undefined ? ['alice'] : []);
    };
    const who: Record<string, string> = { [SHA_A]: 'alice', [SHA_B]: 'alice', [SHA_C]: 'bob' };
    const fail = commit(SHA_A, reviewMsg('docs-clear', '{"pass": false}'));
    const [pass, bobPass] = [SHA_B, SHA_C].map((s) => commit(s, reviewMsg('docs-clear', '{"pass": true}')));
    const r = ingestReviews([fail, pass!, bobPass!], [other], {}, PEERS, (s) => who[s], authors);
    // bob's window starts at what alice's refused pass read: kept uncounted, so a peer that also wrote code is not stuck.
    expect(asked).toEqual([[undefined, SHA_B], [SHA_B, SHA_C]]);
    expect(r.selfVotes).toEqual([{ goalId: 'docs-clear', reviewer: 'alice', sha: SHA_B }]);
    expect(r.ingested.map((x) => [x.reviewer, x.pass])).toEqual([['alice', false], ['bob', true]]);
    expect(r.statuses['docs-clear']!.history.map((x) => [x.reviewer, x.pass, x.self ?? false])).toEqual([['alice', false, false], ['alice', true, true], ['bob', true, false]]);
  });

  test("reviewer other: another peer's fail does not start the author's window: its pass on the tree the reviewer failed is its own (cheats/stale-vote.test.ts)", () => {
    // bob, fooled into filing nothing, voted fail on alice's special case; alice voted pass on the same tree.
    const asked: Array<[string | undefined, string]> = [];
    const authors = (since: string | undefined, sha: string) => {
      asked.push([since, sha]);
      return new Set(since === undefined ? ['alice'] : []);
    };
    const who: Record<string, string> = { [SHA_A]: 'bob', [SHA_B]: 'alice' };
    const r = ingestReviews([commit(SHA_A, reviewMsg('docs-clear', '{"pass": false}')), commit(SHA_B, reviewMsg('docs-clear', '{"pass": true}'))], [other], {}, PEERS, (s) => who[s], authors);
    expect(asked).toEqual([[undefined, SHA_B]]);
    expect(r.selfVotes).toEqual([{ goalId: 'docs-clear', reviewer: 'alice', sha: SHA_B }]);
    expect(isSoftGoalPassed({ ...other, consensus_needed: 1 }, r.statuses['docs-clear']!, PEERS)).toBe(false);
  });

  test("alternating and quorum: the author's pass on its own changes is not counted, and the alternating turn moves on to the other peer (it completed a goal of consensus 1)", () => {
    const authors = (since: string | undefined) => new Set(since === undefined ? ['alice'] : []);
    const who: Record<string, string> = { [SHA_A]: 'alice', [SHA_B]: 'bob' };
    const [selfPass, bobPass] = [SHA_A, SHA_B].map((s) => commit(s, reviewMsg('docs-clear', '{"pass": true}')));
    const alternating: SoftGoalRule = { id: 'docs-clear', reviewer: 'alternating', consensus_needed: 1 };
    const alone = ingestReviews([selfPass!], [alternating], {}, PEERS, (s) => who[s], authors);
    expect(alone.selfVotes).toEqual([{ goalId: 'docs-clear', reviewer: 'alice', sha: SHA_A }]);
    expect(alone.warnings).toEqual(['soft-review not counted (a1b2c3d4) for docs-clear: alice wrote changes under review, and "reviewer: alternating" needs a peer that did not']);
    expect(isSoftGoalPassed(alternating, alone.statuses['docs-clear']!, PEERS)).toBe(false);
    expect(pendingSoftGoals([alternating], alone.statuses, PEERS, 'bob').map((g) => g.id)).toEqual(['docs-clear']);
    expect(pendingSoftGoals([alternating], alone.statuses, PEERS, 'alice')).toEqual([]);
    const then = ingestReviews([bobPass!], [alternating], alone.statuses, PEERS, (s) => who[s], authors);
    expect(isSoftGoalPassed(alternating, then.statuses['docs-clear']!, PEERS)).toBe(true);
    const quorum: SoftGoalRule = { id: 'docs-clear', reviewer: 'quorum', quorum: '1/1' };
    const q = ingestReviews([selfPass!], [quorum], {}, PEERS, (s) => who[s], authors);
    expect(q.selfVotes).toEqual([{ goalId: 'docs-clear', reviewer: 'alice', sha: SHA_A }]);
    expect(isSoftGoalPassed(quorum, q.statuses['docs-clear']!, PEERS)).toBe(false);
    expect(isSoftGoalPassed(quorum, ingestReviews([bobPass!], [quorum], q.statuses, PEERS, (s) => who[s], authors).statuses['docs-clear']!, PEERS)).toBe(true);
  });

  test("an author's refused passes never push the other peers' counted votes out of a quorum's window (review: 25 of them stalled a 2/2 quorum)", () => {
    const peers = ['alice', 'bob', 'carol'];
    const quorum: SoftGoalRule = { id: 'docs-clear', reviewer: 'quorum', quorum: '2/2' };
    const authors = () => new Set(['alice']);
    const sha = (i: number) => i.toString(16).padStart(40, '0');
    const who = (s: string) => (s === sha(1) ? 'bob' : s === sha(2) ? 'carol' : 'alice');
    const votes = Array.from({ length: 27 }, (_, i) => commit(sha(i + 1), reviewMsg('docs-clear', '{"pass": true}')));
    const r = ingestReviews(votes, [quorum], {}, peers, who, authors);
    expect(r.selfVotes.length).toBe(25);
    const st = r.statuses['docs-clear']!;
    expect(st.history.filter((x) => !x.self).map((x) => x.reviewer)).toEqual(['bob', 'carol']);
    expect(isSoftGoalPassed(quorum, st, peers)).toBe(true);
    // Still bounded: the refused passes beyond 20 go, oldest first, and the counted votes stay.
    const many = ingestReviews(Array.from({ length: 60 }, (_, i) => commit(sha(i + 100), reviewMsg('docs-clear', '{"pass": true}'))), [quorum], r.statuses, peers, () => 'alice', authors);
    const kept = many.statuses['docs-clear']!.history;
    expect([kept.length, kept.filter((x) => x.self).length, kept.at(-1)!.sha]).toEqual([22, 20, sha(159)]);
    expect(isSoftGoalPassed(quorum, many.statuses['docs-clear']!, peers)).toBe(true);
  });

  test('a failing vote by an author still counts (it can only hold the run); other modes count authors\' votes', () => {
    const authors = () => new Set(['alice']);
    const fail = ingestReviews([commit(SHA_A, reviewMsg('docs-clear', '{"pass": false}'))], [other], {}, PEERS, () => 'alice', authors);
    expect(fail.ingested.map((x) => [x.reviewer, x.pass])).toEqual([['alice', false]]);
    const both = ingestReviews([commit(SHA_A, reviewMsg('docs-clear', '{"pass": true}'))], [{ id: 'docs-clear', reviewer: 'both' }], {}, PEERS, () => 'alice', authors);
    expect(both.selfVotes).toEqual([]);
    expect(both.ingested.map((x) => [x.reviewer, x.pass])).toEqual([['alice', true]]);
  });
});

describe('a pass vote counts only for the code it read', () => {
  const other: SoftGoalRule = { id: 'docs-clear', reviewer: 'other', consensus_needed: 1 };
  const who: Record<string, string> = { [SHA_A]: 'bob', [SHA_B]: 'alice', [SHA_C]: 'bob' };

  test('a commit after the vote that changes code voids it: the goal is open again, and a new vote passes it', () => {
    const vote = commit(SHA_A, reviewMsg('docs-clear', '{"pass": true}'));
    const passed = ingestReviews([vote], [other], {}, PEERS, (s) => who[s]);
    expect(isSoftGoalPassed(other, passed.statuses['docs-clear']!, PEERS)).toBe(true);
    const code = (sha: string) => sha === SHA_B;
    const after = ingestReviews([commit(SHA_B, 'Tidy add()\n\nPeer: alice')], [other], passed.statuses, PEERS, (s) => who[s], undefined, code);
    expect(after.staleVotes).toEqual([{ goalId: 'docs-clear', sha: SHA_B }]);
    expect(isSoftGoalPassed(other, after.statuses['docs-clear']!, PEERS)).toBe(false);
    expect(pendingSoftGoals([other], after.statuses, PEERS, 'bob').map((g) => g.id)).toEqual(['docs-clear']);
    const again = ingestReviews([commit(SHA_C, reviewMsg('docs-clear', '{"pass": true}'))], [other], after.statuses, PEERS, (s) => who[s], undefined, code);
    expect(isSoftGoalPassed(other, again.statuses['docs-clear']!, PEERS)).toBe(true);
  });

  test('a documents-only commit keeps the vote; a vote after the code change in the same range counts', () => {
    const vote = commit(SHA_A, reviewMsg('docs-clear', '{"pass": true}'));
    const kept = ingestReviews([vote, commit(SHA_B, 'notes\n\nPeer: alice')], [other], {}, PEERS, (s) => who[s], undefined, () => false);
    expect(kept.staleVotes).toEqual([]);
    expect(isSoftGoalPassed(other, kept.statuses['docs-clear']!, PEERS)).toBe(true);
    const code = (sha: string) => sha === SHA_B;
    const order = ingestReviews([commit(SHA_B, 'code\n\nPeer: alice'), vote], [other], {}, PEERS, (s) => who[s], undefined, code);
    expect(isSoftGoalPassed(other, order.statuses['docs-clear']!, PEERS)).toBe(true);
  });

  test('what voids a vote: code, tests, the gate surface and documents where code lives; not top-level or docs/ prose, not .peers/', () => {
    for (const p of ['src/calc.mjs', 'test/calc.test.mjs', 'requirements.txt', 'src/license.ts']) expect(changesWhatVotesRead([p])).toBe(true);
    for (const p of ['REVIEW-NOTES.md', 'docs/guide.rst', 'LICENSE', '.peers/goals.yaml', 'logo.png', 'notes.txt']) expect(changesWhatVotesRead([p])).toBe(false);
    // A document by name where code lives may be data the code reads (add() answering from src/answers.txt).
    for (const p of ['src/answers.txt', 'lib/table.md', 'test/fixtures/expected.txt', 'pkg/data/sums.txt']) expect(changesWhatVotesRead([p])).toBe(true);
    expect(changesWhatVotesRead(['README.md', 'src/calc.mjs'])).toBe(true);
    // Prose by place that code names is code (`require('../KERNEL.txt')`; prose-paths.ts).
    expect(changesWhatVotesRead(['KERNEL.txt'], (c) => new Set(c))).toBe(true);
  });

  test('quorum and both: votes before the code change count for nothing', () => {
    const quorum: SoftGoalRule = { id: 'docs-clear', reviewer: 'quorum', quorum: '2/2' };
    const both: SoftGoalRule = { id: 'docs-clear', reviewer: 'both', consensus_needed: 1 };
    const votes = [SHA_A, SHA_B].map((s) => commit(s, reviewMsg('docs-clear', '{"pass": true}')));
    for (const g of [quorum, both]) {
      const passed = ingestReviews(votes, [g], {}, PEERS, (s) => who[s]);
      expect(isSoftGoalPassed(g, passed.statuses['docs-clear']!, PEERS)).toBe(true);
      const voided = ingestReviews([commit(SHA_C, 'code\n\nPeer: bob')], [g], passed.statuses, PEERS, (s) => who[s], undefined, () => true);
      expect(isSoftGoalPassed(g, voided.statuses['docs-clear']!, PEERS)).toBe(false);
      // The stale votes stay in the history (the next vote's window of authors starts at the last one).
      expect(voided.statuses['docs-clear']!.history.map((r) => r.stale)).toEqual([true, true]);
    }
  });
});
