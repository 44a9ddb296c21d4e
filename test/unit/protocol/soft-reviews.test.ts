import { afterEach, describe, expect, test } from 'bun:test';
import { listCommits } from '../../../src/git/commits.ts';
import { attestCommits, attestedPeer, attestedPeerLookup } from '../../../src/protocol/attestation.ts';
import {
  applyReview,
  emptySoftStatus,
  ingestReviews,
  isSoftGoalPassed,
  pendingSoftGoals,
  type SoftGoalRule,
} from '../../../src/protocol/soft-reviews.ts';
import type { SoftStatus } from '../../../src/state/state-schema.ts';
import { makeRepo, sh, type Repo } from './git-fixture.ts';
import { tally as tallyVotes } from './soft-review-tally.ts';

const PEERS = ['alice', 'bob'];
const tally = (goal: SoftGoalRule, votes: Array<[string, boolean]>, peers = PEERS): SoftStatus => tallyVotes(goal, votes, peers.length);

describe('reviewer modes', () => {
  test('other: two passes by different peers reach consensus', () => {
    const g: SoftGoalRule = { id: 'g', reviewer: 'other', consensus_needed: 2 };
    expect(isSoftGoalPassed(g, tally(g, [['alice', true], ['bob', true]]), PEERS)).toBe(true);
  });

  test('other: the same peer passing twice is one vote; a fail resets the count', () => {
    const g: SoftGoalRule = { id: 'g', reviewer: 'other', consensus_needed: 2 };
    expect(isSoftGoalPassed(g, tally(g, [['alice', true], ['alice', true]]), PEERS)).toBe(false);
    const st = tally(g, [['alice', true], ['bob', false], ['alice', true]]);
    expect(st.consensusCount).toBe(1);
    expect(isSoftGoalPassed(g, st, PEERS)).toBe(false);
  });

  test('both: each peer needs consensus_needed consecutive passes of its own', () => {
    const g: SoftGoalRule = { id: 'g', reviewer: 'both', consensus_needed: 2 };
    expect(isSoftGoalPassed(g, tally(g, [['alice', true], ['bob', true], ['alice', true], ['bob', true]]), PEERS)).toBe(true);
    // bob's fail resets only bob: alice has 2, bob has 1 → not yet.
    expect(isSoftGoalPassed(g, tally(g, [['alice', true], ['bob', true], ['alice', true], ['bob', false], ['bob', true]]), PEERS)).toBe(false);
    expect(isSoftGoalPassed(g, tally(g, [['alice', true], ['alice', true], ['alice', true]]), PEERS)).toBe(false);
  });

  test('alternating: the cursor moves on every review and only the current peer is offered the goal', () => {
    const g: SoftGoalRule = { id: 'g', reviewer: 'alternating', consensus_needed: 2 };
    let st = emptySoftStatus();
    expect(pendingSoftGoals([g], { g: st }, PEERS, 'alice').map((x) => x.id)).toEqual(['g']);
    expect(pendingSoftGoals([g], { g: st }, PEERS, 'bob')).toEqual([]);
    st = applyReview(st, g, { reviewer: 'alice', pass: true, sha: 'a', notes: '' }, 2);
    expect(st.altCursor).toBe(1);
    expect(pendingSoftGoals([g], { g: st }, PEERS, 'bob').map((x) => x.id)).toEqual(['g']);
    expect(isSoftGoalPassed(g, st, PEERS)).toBe(false);
    st = applyReview(st, g, { reviewer: 'bob', pass: true, sha: 'b', notes: '' }, 2);
    expect(isSoftGoalPassed(g, st, PEERS)).toBe(true);
    expect(pendingSoftGoals([g], { g: st }, PEERS, 'alice')).toEqual([]);
  });

  test('alternating: a fail misses consensus and still advances the cursor', () => {
    const g: SoftGoalRule = { id: 'g', reviewer: 'alternating', consensus_needed: 2 };
    const st = tally(g, [['alice', true], ['bob', false]]);
    expect(st.altCursor).toBe(0);
    expect(isSoftGoalPassed(g, st, PEERS)).toBe(false);
  });

  test('quorum N/M: the last M reviews need passes from N distinct reviewers', () => {
    const peers = ['a', 'b', 'c'];
    const g: SoftGoalRule = { id: 'g', reviewer: 'quorum', quorum: '2/3' };
    expect(isSoftGoalPassed(g, tally(g, [['a', true], ['b', false], ['c', true]], peers), peers)).toBe(true);
    expect(isSoftGoalPassed(g, tally(g, [['a', true], ['a', true], ['b', false]], peers), peers)).toBe(false);
    expect(isSoftGoalPassed(g, tally(g, [['a', true], ['b', true]], peers), peers)).toBe(false); // fewer than M reviews
  });

  test('quorum over more than 20 reviews is reachable (history keeps M entries)', () => {
    const g: SoftGoalRule = { id: 'g', reviewer: 'quorum', quorum: '2/25' };
    const votes: Array<[string, boolean]> = Array.from({ length: 25 }, (_, i) => [i === 0 ? 'a' : 'b', i < 2]);
    expect(isSoftGoalPassed(g, tally(g, votes), ['a', 'b'])).toBe(true);
  });

  test('consensus_needed defaults to 2 and can be raised', () => {
    const g: SoftGoalRule = { id: 'g', reviewer: 'other', consensus_needed: 3 };
    expect(isSoftGoalPassed(g, tally(g, [['alice', true], ['bob', true]]), PEERS)).toBe(false);
    expect(isSoftGoalPassed(g, tally(g, [['alice', true], ['bob', true], ['alice', true]]), PEERS)).toBe(true);
    expect(isSoftGoalPassed({ id: 'g', reviewer: 'other' }, tally(g, [['alice', true], ['bob', true]]), PEERS)).toBe(true);
  });
});

let repo: Repo;
afterEach(() => repo?.cleanup());

const review = (goal: string, pass: unknown, peer: string) => `Review ${goal}\n\n## Review\n{"pass": ${JSON.stringify(pass)}, "notes": "read the diff"}\n\nPeer-Review-Of: ${goal}\nPeer: ${peer}`;
const GOALS: SoftGoalRule[] = [{ id: 'docs-clear', reviewer: 'other', consensus_needed: 2 }];

describe('review ingestion from attested commits', () => {
  test('reviews attested to two different peers reach consensus', () => {
    repo = makeRepo();
    const base = repo.commit('init');
    repo.commit(review('docs-clear', true, 'alice'));
    attestCommits(repo.dir, 'alice', base, repo.head());
    const mid = repo.head();
    repo.commit(review('docs-clear', true, 'bob'));
    attestCommits(repo.dir, 'bob', mid, repo.head());
    const res = ingestReviews(listCommits(repo.dir, `${base}..HEAD`), GOALS, {}, PEERS, attestedPeerLookup(repo.dir));
    expect(res.warnings).toEqual([]);
    expect(res.ingested.map((r) => r.reviewer)).toEqual(['alice', 'bob']);
    expect(isSoftGoalPassed(GOALS[0]!, res.statuses['docs-clear']!, PEERS)).toBe(true);
  });

  test('a review whose trailer claims another peer than its attested tick is ignored with a warning', () => {
    repo = makeRepo();
    const base = repo.commit('init');
    repo.commit(review('docs-clear', true, 'alice'));
    // alice forges a second vote in the name of bob during her own tick.
    repo.commit(review('docs-clear', true, 'bob'));
    attestCommits(repo.dir, 'alice', base, repo.head());
    const res = ingestReviews(listCommits(repo.dir, `${base}..HEAD`), GOALS, {}, PEERS, attestedPeerLookup(repo.dir));
    expect(res.ingested).toHaveLength(1);
    expect(res.warnings[0]).toContain('Peer: trailer says "bob" but the commit came from alice\'s tick');
    expect(isSoftGoalPassed(GOALS[0]!, res.statuses['docs-clear']!, PEERS)).toBe(false);
  });

  test('an unattested review is ignored; a forged note is overwritten by the loop', () => {
    repo = makeRepo();
    const base = repo.commit('init');
    const sha = repo.commit(review('docs-clear', true, 'bob'), {}, null);
    let res = ingestReviews(listCommits(repo.dir, `${base}..HEAD`), GOALS, {}, PEERS, attestedPeerLookup(repo.dir));
    expect(res.ingested).toEqual([]);
    expect(res.warnings[0]).toContain('not attested');
    sh(repo.dir, ['notes', '--ref=peers-attest', 'add', '-m', 'bob', sha]); // the peer forges its note
    attestCommits(repo.dir, 'alice', base, sha); // the loop re-attests its tick
    expect(attestedPeer(repo.dir, sha)).toBe('alice');
    res = ingestReviews(listCommits(repo.dir, `${base}..HEAD`), GOALS, {}, PEERS, attestedPeerLookup(repo.dir));
    expect(res.ingested).toEqual([]);
    expect(res.warnings[0]).toContain('came from alice');
  });

  test('malformed reviews warn; sha-shaped Peer-Review-Of values are code reviews and stay silent', () => {
    repo = makeRepo();
    const base = repo.commit('init');
    repo.commit(review('docs-clear', 'yes', 'alice'));
    repo.commit('No heading\n\n{"pass": true}\n\nPeer-Review-Of: docs-clear\nPeer: alice');
    repo.commit(review('no-such-goal', true, 'alice'));
    repo.commit(review('abc1234def', true, 'alice'));
    attestCommits(repo.dir, 'alice', base, repo.head());
    const res = ingestReviews(listCommits(repo.dir, `${base}..HEAD`), GOALS, {}, PEERS, attestedPeerLookup(repo.dir));
    expect(res.ingested).toEqual([]);
    expect(res.warnings).toHaveLength(3);
    expect(res.warnings[0]).toContain('"pass" must be true or false');
    expect(res.warnings[1]).toContain('no "## Review" line');
    expect(res.warnings[2]).toContain('no soft goal with that id exists');
  });

  test('attestCommits on the first tick of an empty repository attests every commit; an empty range does nothing', () => {
    repo = makeRepo();
    const a = repo.commit('one');
    const b = repo.commit('two');
    expect(attestCommits(repo.dir, 'alice', undefined, b)).toEqual([a, b]);
    expect(attestCommits(repo.dir, 'bob', b, b)).toEqual([]);
    expect(attestedPeer(repo.dir, a)).toBe('alice');
    expect(attestedPeer(repo.dir, 'deadbeef')).toBeUndefined();
  });
});
