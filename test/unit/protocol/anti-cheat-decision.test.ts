/**
 * The anti-cheat decision word for word: what every peer reads after a test-only turn (warned,
 * reverted, accepted because another peer vouched), when a peer is degraded, and which
 * JUSTIFIED-TEST-ONLY reason counts. Pure: no git.
 */
import { describe, expect, test } from 'bun:test';
import { parseTrailers } from '../../../src/git/trailers.ts';
import type { Commit } from '../../../src/git/commits.ts';
import { decideAntiCheat, findJustification, initialAntiCheatState, testOnlyReason, type AntiCheatInput } from '../../../src/protocol/anti-cheat.ts';
import type { TurnDiff } from '../../../src/protocol/turn-diff.ts';

const testOnly: TurnDiff = { testLines: 5, srcLines: 0, cosmeticLines: 0, testFiles: ['t/a.test.ts'], srcFiles: [], cosmeticFiles: [] };
const withDocs: TurnDiff = { ...testOnly, cosmeticLines: 3, cosmeticFiles: ['README.md'] };
const obs = (o: Partial<AntiCheatInput> = {}): AntiCheatInput => ({ peer: 'alice', success: true, diff: testOnly, turnedGreen: [], ...o });
const REASON = 'the turn changed only tests (+5 test lines, 0 substantive source lines). Production behaviour cannot have been the reason a gate flipped.';
const c = (sha: string, message: string): Commit => ({ sha, message, subject: message.split('\n', 1)[0]!, trailers: parseTrailers(message), authorName: '', authorEmail: '', committerName: '', committerEmail: '' });

describe('what the peers are told', () => {
  test('the reason counts the test lines, and the comment or doc lines when there are some', () => {
    expect(testOnlyReason(testOnly)).toBe(REASON);
    expect(testOnlyReason(withDocs)).toBe('the turn changed only tests (+5 test lines, 0 substantive source lines, 3 comment/blank/doc line(s) elsewhere). Production behaviour cannot have been the reason a gate flipped.');
  });

  test('a first test-only turn is warned, not degraded; the warning names the way out', () => {
    const d = decideAntiCheat(initialAntiCheatState(), obs());
    expect(d).toEqual({
      action: 'warn',
      reason: REASON,
      warning: `anti-cheating pre-warning for alice: ${REASON} A second test-only turn will be reverted unless another peer writes "JUSTIFIED-TEST-ONLY: <reason>".`,
      degrade: false,
      next: { prewarned: REASON, consecutiveReverts: 0 },
    });
  });

  test('its own JUSTIFIED-TEST-ONLY is called out as not counting, in the warning and in the revert', () => {
    const own = ' Its own JUSTIFIED-TEST-ONLY does not count: only another peer can justify a test-only turn.';
    const warned = decideAntiCheat(initialAntiCheatState(), obs({ selfJustification: 'trust me, these tests were wrong' }));
    expect(warned.warning).toBe(`anti-cheating pre-warning for alice: ${REASON}${own} A second test-only turn will be reverted unless another peer writes "JUSTIFIED-TEST-ONLY: <reason>".`);
    const reverted = decideAntiCheat(warned.next, obs({ selfJustification: 'trust me, these tests were wrong' }));
    expect(reverted.warning).toBe(`anti-cheating: alice's handoff was reverted because ${REASON}${own}`);
  });

  test('turning two red gates green with tests only is reverted at once, naming both gates; it is not yet a degrade', () => {
    const d = decideAntiCheat(initialAntiCheatState(), obs({ turnedGreen: ['unit', 'lint'] }));
    const why = `it turned unit, lint from red to green by changing only tests. ${REASON}`;
    expect(d).toEqual({ action: 'revert', reason: why, warning: `anti-cheating: alice's handoff was reverted because ${why}`, degrade: false, next: { prewarned: why, consecutiveReverts: 1 } });
  });

  test('a test-only turn another peer vouched for is accepted, not degraded, and the audit text is cut at 240 characters', () => {
    const long = 'r'.repeat(300);
    const d = decideAntiCheat({ consecutiveReverts: 1, prewarned: 'x' }, obs({ justifiedByOther: { reason: long, by: 'bob' } }));
    expect(d).toEqual({
      action: 'accept-justified',
      reason: REASON,
      justification: long,
      warning: `anti-cheating: accepted alice's test-only handoff because bob wrote JUSTIFIED-TEST-ONLY. Audit it: ${'r'.repeat(240)}`,
      degrade: false,
      next: { consecutiveReverts: 1 },
    });
  });

  test('a failed tick or a turn that changes source is no test-only turn: nothing happens, nobody is degraded', () => {
    const failed = decideAntiCheat({ consecutiveReverts: 1, prewarned: 'x' }, obs({ success: false }));
    expect(failed).toEqual({ action: 'none', degrade: false, next: { consecutiveReverts: 0, prewarned: 'x' } });
    const source = decideAntiCheat({ consecutiveReverts: 1, prewarned: 'x' }, obs({ diff: { ...testOnly, srcLines: 2, srcFiles: ['src/a.ts'] } }));
    expect(source).toEqual({ action: 'none', degrade: false, next: { consecutiveReverts: 0 } });
  });
});

describe('which JUSTIFIED-TEST-ONLY counts', () => {
  test('a reason of exactly 20 characters counts, 19 do not; comment marks around it are not part of it', () => {
    expect(findJustification([c('s1', `x\n\n# JUSTIFIED-TEST-ONLY: ${'a'.repeat(19)} #`)])).toBeUndefined();
    expect(findJustification([c('s1', `x\n\n# JUSTIFIED-TEST-ONLY:  ${'a'.repeat(20)} ##`)])).toEqual({ reason: 'a'.repeat(20), sha: 's1' });
    expect(findJustification([c('s1', 'plain commit')])).toBeUndefined();
  });

  test('a long reason is kept to 500 characters', () => {
    expect(findJustification([c('s2', `JUSTIFIED-TEST-ONLY: ${'b'.repeat(800)}`)])).toEqual({ reason: 'b'.repeat(500), sha: 's2' });
  });
});
