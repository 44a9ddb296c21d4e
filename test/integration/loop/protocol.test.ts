import { afterEach, describe, expect, test } from 'bun:test';
import { loop, makeProject, state, ticks, promptOf, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

describe('convergence with the bug ledger and soft reviews', () => {
  test('an open blocking bug holds convergence; the next prompt lists it; its fix lets the run complete', async () => {
    p = makeProject({ peers: { alice: 'files-bug', bob: 'resolves-bug' } });
    const out = await loop(p, { maxTicks: 10 });
    expect(out.reason).toBe('complete');
    const t = ticks(p);
    // tick 1 files the bug (not clean); tick 2 fixes it; ticks 2-3 clean; ticks 4-5 skeptic ticks
    // (both peers wrote changes: each is re-audited by the other); complete
    expect(t.map((x) => [x.peer, x.new_blocking_bugs, x.clean_ticks, x.skeptic])).toEqual([
      ['alice', 1, 0, false],
      ['bob', 0, 1, false],
      ['alice', 0, 2, false],
      ['bob', 0, 3, true],
      ['alice', 0, 4, true],
    ]);
    expect(promptOf(p!, t[1]!)).toMatch(/OPEN BLOCKING BUGS:\n {2}- \[high\] BUG-001/);
  });

  test('soft goals need consensus from reviews attested to the reviewing peer', async () => {
    const soft = { id: 'docs-clear', type: 'soft', prompt: 'Is the README clear?', reviewer: 'other', consensus_needed: 2 };
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [soft] });
    expect((await loop(p, { maxTicks: 4 })).reason).toBe('max_ticks');
    expect(promptOf(p!, ticks(p)[0]!)).toContain('SOFT REVIEWS REQUESTED');
    expect(promptOf(p!, ticks(p)[0]!)).toContain('  - docs-clear (soft): not yet evaluated');

    p.cleanup();
    p = makeProject({ peers: { alice: 'reviewer', bob: 'reviewer' }, goals: [soft] });
    const out = await loop(p, { maxTicks: 10 });
    expect(out.reason).toBe('complete');
    const st = state(p).soft_status['docs-clear'] as { consensusCount: number; history: Array<{ reviewer: string }> };
    expect(st.consensusCount).toBeGreaterThanOrEqual(2);
    expect(new Set(st.history.map((h) => h.reviewer))).toEqual(new Set(['alice', 'bob']));
    // after the first review the goal status shows its progress
    expect(promptOf(p!, ticks(p)[1]!)).toContain('  - docs-clear (soft): in review — consensus 1/2');
    const last = ticks(p).at(-1)!;
    expect((last.gates as { soft: Record<string, string> }).soft['docs-clear']).toMatch(/^[2-9]\/2$/);
    expect(ticks(p).some((t) => t.soft_reviews_ingested === 1)).toBe(true);
  });
});

describe('anti-cheat', () => {
  test('a test-only handoff is warned once, then reverted by peers-substrate; two reverts in a row degrade the peer', async () => {
    const { gitOk } = await import('../../../src/git/git.ts');
    p = makeProject({ peers: { alice: 'test-only', bob: 'always-handoff' } });
    await loop(p, { maxTicks: 4 });
    const t = ticks(p);
    expect(t.map((x) => [x.peer, x.success, (x.anti_cheat as { action: string } | null)?.action ?? 'none'])).toEqual([
      ['alice', true, 'warn'],
      ['bob', true, 'none'],
      ['alice', false, 'revert'],
      ['alice', false, 'revert'],
    ]);
    expect(t[2]!.soft_fail_reason).toContain('anti-cheating revert: the turn changed only tests');
    // The pre-warning reaches alice herself on her next turn, and bob, whose turn comes first.
    expect(promptOf(p!, t[1]!)).toContain('anti-cheating pre-warning for alice');
    expect(promptOf(p!, t[2]!)).toContain('anti-cheating pre-warning for alice');
    expect(promptOf(p!, t[3]!)).toContain("anti-cheating: alice's handoff was reverted");
    const s = state(p);
    expect(s.peers.alice).toMatchObject({ state: 'degraded', reason: 'anti-cheating-reverts:2' });
    const subjects = gitOk(p.repo, ['log', '--format=%s', '-n', '1']).trim();
    expect(subjects).toMatch(/^Anti-cheating revert: /);
  });
});
