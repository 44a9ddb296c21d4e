/**
 * Soft-goal reviewer modes through the real loop: with shell-script peers that review
 * every goal they are offered, each mode reaches consensus when both peers pass and misses it when
 * one keeps failing; a review signed with another peer's name is ignored.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { isSoftGoalPassed } from '../../../src/protocol/soft-reviews.ts';
import type { SoftStatus } from '../../../src/state/state-schema.ts';
import { loop, makeProject, promptOf, state, ticks, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

const MODES = [
  { reviewer: 'other', consensus_needed: 2 },
  { reviewer: 'both', consensus_needed: 2 },
  { reviewer: 'alternating', consensus_needed: 2 },
  { reviewer: 'quorum', quorum: '2/2' },
] as const;

const goalOf = (mode: (typeof MODES)[number]) => ({ id: 'docs-clear', type: 'soft', prompt: 'Is the README clear?', ...mode });

function passed(mode: (typeof MODES)[number]): boolean {
  const s = state(p!);
  return isSoftGoalPassed(goalOf(mode), s.soft_status['docs-clear'] as unknown as SoftStatus, s.peer_order);
}

describe('reviewer modes', () => {
  for (const mode of MODES) {
    test(`${mode.reviewer}: two passing reviewers reach consensus and the run completes`, async () => {
      p = makeProject({ peers: { alice: 'reviews-as', bob: 'reviews-as' }, goals: [goalOf(mode)] });
      const out = await loop(p, { maxTicks: 10 });
      expect(out.reason).toBe('complete');
      expect(passed(mode)).toBe(true);
      const reviewers = (state(p).soft_status['docs-clear'] as unknown as SoftStatus).history.map((h) => h.reviewer);
      expect(new Set(reviewers)).toEqual(new Set(['alice', 'bob']));
    });

    test(`${mode.reviewer}: a reviewer that keeps failing the goal holds consensus and the run does not complete`, async () => {
      p = makeProject({ peers: { alice: 'reviews-as', bob: 'reviews-as' }, goals: [goalOf(mode)], peerExtra: { bob: { env: { REVIEW_PASS: 'false' } } } });
      const out = await loop(p, { maxTicks: 6 });
      expect(out.reason).toBe('max_ticks');
      expect(passed(mode)).toBe(false);
      const st = state(p).soft_status['docs-clear'] as unknown as SoftStatus;
      expect(st.history.some((h) => h.reviewer === 'bob' && !h.pass)).toBe(true);
      // the goal is still requested in the last prompt
      const last = ticks(p).at(-1)!;
      expect(promptOf(p, last)).toContain('  - docs-clear (soft): in review');
    });
  }
});

describe('reviewer of record', () => {
  test("a review whose Peer: trailer names the other peer is ignored: the loop's attestation decides", async () => {
    p = makeProject({ peers: { alice: 'reviews-as', bob: 'reviews-as' }, goals: [goalOf(MODES[0])], peerExtra: { alice: { env: { REVIEW_AS: 'bob' } } } });
    const out = await loop(p, { maxTicks: 4 });
    expect(out.reason).toBe('max_ticks');
    const t = ticks(p);
    expect(t[0]!.soft_reviews_ingested).toBe(0);
    expect(t[0]!.soft_reviews_rejected).toBe(1);
    expect((t[0]!.warnings_emitted as string[]).some((w) => w.includes('its Peer: trailer says "bob" but the commit came from alice\'s tick'))).toBe(true);
    expect(promptOf(p, t[1]!)).toContain('its Peer: trailer says "bob"');
    const st = state(p).soft_status['docs-clear'] as unknown as SoftStatus;
    // only bob's own reviews count, and one reviewer alone is one vote
    expect(st.history.every((h) => h.reviewer === 'bob')).toBe(true);
    expect(st.consensusCount).toBe(1);
  });
});
