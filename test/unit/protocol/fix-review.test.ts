/** Who reads a fix (SECURITY.md, "A fix is read against the whole change"): src/protocol/fix-review.ts. */
import { describe, expect, test } from 'bun:test';
import { reviewBaseAfterFixes } from '../../../src/protocol/fix-review.ts';

describe('a fix another peer closed since your last turn: the whole change again', () => {
  test('an unread fix by another peer, or by no attested peer, moves the base to the baseline', () => {
    expect(reviewBaseAfterFixes('bob', 'own', 'base', [{ sha: 'f1', fixer: 'alice', readBefore: false }])).toEqual({ base: 'base', rereads: ['f1'] });
    expect(reviewBaseAfterFixes('bob', 'own', 'base', [{ sha: 'f2', fixer: undefined, readBefore: false }])).toEqual({ base: 'base', rereads: ['f2'] });
  });
  test('a fix read before, or written by the peer itself, keeps the end of its last turn; a first turn starts at the baseline', () => {
    expect(reviewBaseAfterFixes('bob', 'own', 'base', [{ sha: 'f1', fixer: 'alice', readBefore: true }, { sha: 'f2', fixer: 'bob', readBefore: false }])).toEqual({ base: 'own', rereads: [] });
    expect(reviewBaseAfterFixes('bob', undefined, 'base', [{ sha: 'f1', fixer: 'alice', readBefore: false }])).toEqual({ base: 'base', rereads: [] });
  });
});
