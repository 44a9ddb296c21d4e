import { describe, expect, test } from 'bun:test';
import { blockedReason, checkHandoff, type CommitView } from '../../../src/loop/handoff-check.ts';
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
    expect(checkHandoff({ ...base, newCommits: [handoff('3'.repeat(40), 'bob')] }).reason).toBe('1 commit(s) this turn (33333333) carry Peer: bob: a handoff commit needs Peer: alice, Peer-Status: handoff and Self-Review: pass');
  });

  // A new user's trial: commits without trailers read "no commit by claude this turn", and the user
  // looked for work that was never made.
  test('commits without a Peer: trailer are named as such, not as no commit', () => {
    const r = checkHandoff({ ...base, newCommits: [commit('4'.repeat(40), 'wip: discount')] });
    expect(r).toMatchObject({ success: false, credit: 0 });
    expect(r.reason).toBe('1 commit(s) this turn (44444444) carry no Peer: trailer: a handoff commit needs Peer: alice, Peer-Status: handoff and Self-Review: pass');
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

describe('the reason a blocked declaration gives', () => {
  const reasonOf = (message: string) => blockedReason(commit('b'.repeat(40), message));

  test('the ## Blocked section ends at the next heading; its paragraphs join into one line', () => {
    expect(reasonOf('Stop\n\n## Blocked\nthe spec and the test disagree\n\nsecond   paragraph\n## Other\nnot this\n\nPeer-Status: blocked\nPeer: alice')).toBe('the spec and the test disagree second paragraph');
  });

  test('CRLF endings, a tab after ##, and trailing blanks after the heading are accepted; a longer heading is not the section', () => {
    expect(reasonOf('Stop\r\n\r\n##\tBlocked  \r\nwindows line endings are fine\r\n\r\nPeer: alice')).toBe('windows line endings are fine');
    expect(reasonOf('Stop\n\n## Blocked by the spec\nnot a section\n\nBlocked-Reason: from the trailer instead\nPeer: alice')).toBe('from the trailer instead');
  });

  test('a last paragraph that is not all trailers is part of the reason', () => {
    expect(reasonOf('Stop\n\n## Blocked\nfirst part of it\n\nsee: the spec, and this is prose\nmore prose')).toBe('first part of it see: the spec, and this is prose more prose');
    expect(reasonOf('Stop\n\n## Blocked\nonly paragraph\n\nPeer: alice\nnot a trailer line')).toBe('only paragraph Peer: alice not a trailer line');
  });

  test('the section may be the first line of the message; blank lines at its end are dropped, not its first line', () => {
    expect(reasonOf('## Blocked\nthe reason is right here\n\nPeer: alice')).toBe('the reason is right here');
    expect(reasonOf('Stop\n\n## Blocked\nfirst line of the reason\nsecond line\n\n\n')).toBe('first line of the reason second line');
  });

  test('an empty section falls back to the Blocked-Reason trailer; the reason is cut at 1000 characters', () => {
    expect(reasonOf('Stop\n\n## Blocked\n\nBlocked-Reason: the trailer says why\nPeer: alice')).toBe('the trailer says why');
    expect(reasonOf(`Stop\n\n## Blocked\n${'w '.repeat(700)}`)).toBe('w '.repeat(500));
    expect(reasonOf('Stop\n\nPeer: alice')).toBe('');
  });
});

describe('handoff check edges', () => {
  const blockedWith = (reason: string, sha = 'c'.repeat(40)) => commit(sha, `Stop\n\nBlocked-Reason: ${reason}\nPeer-Status: blocked\nPeer: alice`);

  test('a blocked reason of 20 characters is enough; 19 is not, and the failure says what is missing', () => {
    expect(checkHandoff({ ...base, newCommits: [blockedWith('x'.repeat(20))] }).success).toBe(true);
    expect(checkHandoff({ ...base, newCommits: [blockedWith('x'.repeat(19))] })).toMatchObject({
      success: false,
      credit: 0.5,
      reason: 'Peer-Status: blocked in cccccccc gives no reason (a "## Blocked" section or a Blocked-Reason: trailer of at least 20 characters)',
    });
  });

  test('a blocked declaration with uncommitted work is a soft failure naming the paths', () => {
    expect(checkHandoff({ ...base, newCommits: [blockedWith('the spec contradicts the tests')], dirtyPaths: ['x.ts'] })).toEqual({
      success: false,
      credit: 0.5,
      reason: 'uncommitted changes left after the blocked declaration: x.ts',
      handoffSha: null,
      rescuedFromIdle: false,
      blocked: null,
    });
    const many = Array.from({ length: 22 }, (_, i) => `f${i}`);
    expect(checkHandoff({ ...base, newCommits: [blockedWith('the spec contradicts the tests')], dirtyPaths: many }).reason).toBe(`uncommitted changes left after the blocked declaration: ${many.slice(0, 20).join(', ')}`);
  });

  test('a blocked declaration that landed before an idle timeout is rescued too', () => {
    expect(checkHandoff({ ...base, classification: 'idle-timeout', newCommits: [blockedWith('the spec contradicts the tests')] })).toMatchObject({ success: true, rescuedFromIdle: true });
    expect(checkHandoff({ ...base, newCommits: [blockedWith('the spec contradicts the tests')] }).rescuedFromIdle).toBe(false);
  });

  test("another peer's blocked commit last is not this peer's declaration", () => {
    const bobBlocked = commit('d'.repeat(40), 'Stop\n\nBlocked-Reason: bob thinks the task is impossible\nPeer-Status: blocked\nPeer: bob');
    expect(checkHandoff({ ...base, newCommits: [handoff('e'.repeat(40)), bobBlocked] })).toMatchObject({ success: false, reason: 'commit(s) after the handoff were not self-reviewed: dddddddd', blocked: null });
  });

  test('an idle timeout without a commit says so', () => {
    expect(checkHandoff({ ...base, classification: 'idle-timeout', newCommits: [] }).reason).toBe('no commit by alice this turn (classification was idle-timeout)');
  });

  test('more than 20 dirty paths are counted, not listed', () => {
    const dirty = Array.from({ length: 23 }, (_, i) => `f${i}`);
    expect(checkHandoff({ ...base, newCommits: [handoff('7'.repeat(40))], dirtyPaths: dirty }).reason).toBe(`uncommitted changes left after the handoff: ${dirty.slice(0, 20).join(', ')}, … (+3)`);
    expect(checkHandoff({ ...base, newCommits: [handoff('7'.repeat(40))], dirtyPaths: dirty.slice(0, 21) }).reason).toBe(`uncommitted changes left after the handoff: ${dirty.slice(0, 20).join(', ')}, … (+1)`);
    expect(checkHandoff({ ...base, newCommits: [handoff('7'.repeat(40))], dirtyPaths: ['one.ts'] })).toMatchObject({ success: false, reason: 'uncommitted changes left after the handoff: one.ts' });
    const twenty = dirty.slice(0, 20);
    expect(checkHandoff({ ...base, newCommits: [handoff('7'.repeat(40))], dirtyPaths: twenty }).reason).toBe(`uncommitted changes left after the handoff: ${twenty.join(', ')}`);
  });

  test('every commit after the last handoff is listed; an earlier handoff followed by a later one succeeds', () => {
    const r = checkHandoff({ ...base, newCommits: [handoff('1'.repeat(40)), commit('2'.repeat(40), 'a\n\nPeer: alice'), handoff('3'.repeat(40)), commit('4'.repeat(40), 'b\n\nPeer: alice'), commit('5'.repeat(40), 'c\n\nPeer: alice')] });
    expect(r.reason).toBe('commit(s) after the handoff were not self-reviewed: 44444444, 55555555');
    expect(checkHandoff({ ...base, newCommits: [handoff('1'.repeat(40)), handoff('3'.repeat(40))] })).toMatchObject({ success: true, handoffSha: '3'.repeat(40) });
  });

  test('productive commits without handoff trailers: a soft failure saying which trailers are missing', () => {
    const plain = commit('6'.repeat(40), 'work\n\nPeer: alice');
    expect(checkHandoff({ ...base, newCommits: [plain] })).toMatchObject({ success: false, credit: 0.5, reason: 'productive commit(s) this turn but no Peer-Status: handoff + Self-Review: pass trailers' });
    const halfClaimed = commit('7'.repeat(40), 'work\n\n## Self-Review\nok\n\nSelf-Review: fail\nPeer-Status: handoff\nPeer: alice');
    expect(checkHandoff({ ...base, newCommits: [halfClaimed] }).reason).toBe('productive commit(s) this turn but no Peer-Status: handoff + Self-Review: pass trailers');
  });

  test('a rewritten history with no known start still fails with the rule named', () => {
    expect(checkHandoff({ ...base, rewritten: true, headBefore: null, newCommits: [] })).toMatchObject({ success: false, credit: 0, reason: 'history was rewritten:  is no longer an ancestor of HEAD (amend / rebase / reset is not allowed)' });
  });
});
