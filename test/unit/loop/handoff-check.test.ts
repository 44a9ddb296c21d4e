import { describe, expect, test } from 'bun:test';
import { checkHandoff, type CommitView } from '../../../src/loop/handoff-check.ts';
import { parseTrailers } from '../../../src/git/trailers.ts';

function commit(sha: string, message: string): CommitView {
  return { sha, message, trailers: parseTrailers(message) };
}
const handoff = (sha: string, peer = 'alice', body = '## Self-Review\nchecked') => commit(sha, `work\n\n${body}\n\nSelf-Review: pass\nPeer-Status: handoff\nPeer: ${peer}`);
const base = { peer: 'alice', classification: 'success' as const, headBefore: 'a'.repeat(40), rewritten: false, dirtyPaths: [] };

describe('handoff check', () => {
  test('a final commit with Peer, Peer-Status: handoff, Self-Review: pass and a ## Self-Review section succeeds', () => {
    expect(checkHandoff({ ...base, newCommits: [commit('1'.repeat(40), 'wip\n\nPeer: alice'), handoff('2'.repeat(40))] })).toEqual({
      success: true, credit: 1, reason: null, handoffSha: '2'.repeat(40), rescuedFromIdle: false, blocked: null,
    });
  });

  test('"## Self-Review notes" is not the section: the loop and the self-review-on-handoff check agree', async () => {
    const { selfReviewOnHandoff } = await import('../../../modes/checks/self-review-on-handoff.ts');
    const { makeRepo } = await import('../protocol/git-fixture.ts');
    const notes = handoff('5'.repeat(40), 'alice', '## Self-Review notes\nchecked');
    expect(checkHandoff({ ...base, newCommits: [notes] })).toMatchObject({ success: false, reason: 'handoff commit 55555555 has no "## Self-Review" section' });
    const repo = makeRepo();
    try {
      repo.commit(notes.message);
      const r = await selfReviewOnHandoff.run(repo.dir);
      expect(r.pass).toBe(false);
      expect(r.report).toContain('no "## Self-Review" section');
      repo.commit(handoff('6'.repeat(40)).message);
      expect((await selfReviewOnHandoff.run(repo.dir)).pass).toBe(true);
    } finally {
      repo.cleanup();
    }
  });

  test('Peer-Status: blocked with a reason ends the turn as a declaration; without one it is a soft failure', () => {
    const blocked = commit('7'.repeat(40), 'The task contradicts the spec\n\n## Blocked\ntest/a.test.ts expects 5 for 2+2; SPEC.md says add returns the sum.\n\nPeer-Status: blocked\nPeer: alice');
    expect(checkHandoff({ ...base, newCommits: [blocked] })).toEqual({
      success: true, credit: 1, reason: null, handoffSha: '7'.repeat(40), rescuedFromIdle: false,
      blocked: { reason: 'test/a.test.ts expects 5 for 2+2; SPEC.md says add returns the sum.', sha: '7'.repeat(40) },
    });
    const viaTrailer = commit('8'.repeat(40), 'Blocked\n\nBlocked-Reason: the test and SPEC.md disagree on add(2, 2)\nPeer-Status: blocked\nPeer: alice');
    expect(checkHandoff({ ...base, newCommits: [viaTrailer] }).blocked?.reason).toBe('the test and SPEC.md disagree on add(2, 2)');
    const bare = commit('9'.repeat(40), 'Blocked\n\nPeer-Status: blocked\nPeer: alice');
    expect(checkHandoff({ ...base, newCommits: [bare] })).toMatchObject({ success: false, credit: 0.5, blocked: null });
  });

  test('no commit at all fails with full charge', () => {
    expect(checkHandoff({ ...base, newCommits: [] })).toMatchObject({ success: false, credit: 0, reason: 'no commit by alice this turn' });
  });

  test("another peer's handoff does not count for this peer", () => {
    expect(checkHandoff({ ...base, newCommits: [handoff('3'.repeat(40), 'bob')] }).reason).toBe('no commit by alice this turn');
  });

  test('trailers without the ## Self-Review section: soft failure naming the commit', () => {
    const r = checkHandoff({ ...base, newCommits: [handoff('4'.repeat(40), 'alice', 'no section here')] });
    expect(r).toMatchObject({ success: false, credit: 0.5 });
    expect(r.reason).toBe('handoff commit 44444444 has no "## Self-Review" section');
  });

  test('commits after the handoff: soft failure listing them', () => {
    const r = checkHandoff({ ...base, newCommits: [handoff('5'.repeat(40)), commit('6'.repeat(40), 'junk\n\nPeer: alice')] });
    expect(r).toMatchObject({ success: false, credit: 0.5, reason: 'commit(s) after the handoff were not self-reviewed: 66666666' });
  });

  test('uncommitted leftovers: soft failure with the dirty paths', () => {
    const r = checkHandoff({ ...base, newCommits: [handoff('7'.repeat(40))], dirtyPaths: ['a.txt', 'b/c.ts'] });
    expect(r).toMatchObject({ success: false, credit: 0.5, reason: 'uncommitted changes left after the handoff: a.txt, b/c.ts' });
  });

  test('history rewrite fails even with a valid handoff commit', () => {
    const r = checkHandoff({ ...base, rewritten: true, newCommits: [] });
    expect(r.reason).toMatch(/^history was rewritten: aaaaaaaa is no longer an ancestor of HEAD/);
  });

  test('a failed run fails regardless of commits; an idle-timeout after a handoff is rescued', () => {
    expect(checkHandoff({ ...base, classification: 'process-fail', newCommits: [handoff('8'.repeat(40))] }).reason).toBe('run classification process-fail');
    expect(checkHandoff({ ...base, classification: 'idle-timeout', newCommits: [handoff('9'.repeat(40))] })).toMatchObject({ success: true, rescuedFromIdle: true });
  });
});
