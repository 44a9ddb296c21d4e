import { describe, expect, test } from 'bun:test';
import { PROMPT_CAP_BYTES, buildPrompt, type PromptInput } from '../../../src/prompt/prompt-builder.ts';

const input = (over: Partial<PromptInput> = {}): PromptInput => ({
  peer: 'alice',
  others: ['bob'],
  skeptic: false,
  cleanTicks: 0,
  goals: [
    { id: 'tests-pass', type: 'hard', state: 'fail', diagnostic: '3 failed' },
    { id: 'lint', type: 'hard', state: 'pass' },
    { id: 'docs-clear', type: 'soft', state: 'not yet evaluated' },
  ],
  stuckGates: [],
  warnings: [],
  inbox: [],
  openBlockingBugs: [],
  softReviewsRequested: [],
  ...over,
});

describe('prompt builder', () => {
  // Attack ("Trojan Source"): a bidi override or a zero-width character in what peers wrote (the code
  // map of their code, a bug title, a blocked reason) makes the text read otherwise than it is.
  test('bidi controls and zero-width characters a peer wrote reach the prompt marked as <U+XXXX>', () => {
    const p = buildPrompt(
      input({
        codemap: 'src/auth.ts: is\u200bAdmin()',
        openBlockingBugs: ['[high] BUG-1: login \u202eevil\u202c'],
        blockedByOther: { by: 'bob', sha: 'f'.repeat(40), reason: 'spec \u2066contradicts\u2069 test' },
      }),
    );
    expect(p).toContain('src/auth.ts: is<U+200B>Admin()');
    expect(p).toContain('BUG-1: login <U+202E>evil<U+202C>');
    expect(p).toContain('spec <U+2066>contradicts<U+2069> test');
    expect(p.match(/[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u2060\ufeff]/g) ?? []).toEqual([]);
  });

  test('sections appear in the protocol order', () => {
    const p = buildPrompt(
      input({
        skeptic: true,
        recon: '# Recon',
        stuckGates: [{ id: 'tests-pass', redTicks: 4 }],
        warnings: ['w1'],
        inbox: ['[bob] fix parser (abcd1234)'],
        changes: 'diff --git a/p.ts b/p.ts\n+fixed line',
        softReviewsRequested: [{ id: 'docs-clear', prompt: 'Are the docs clear?' }],
      }),
    );
    const order = ['POST-CONVERGENCE SKEPTIC', "You are peer 'alice'. Your counterpart is 'bob'.", 'NO SLOP', 'PROJECT CONTEXT', '# Recon', 'GOAL STATUS:', 'OPEN GOALS', 'STUCK:', 'WARNINGS', 'SOFT REVIEWS REQUESTED', 'INBOX', 'CHANGES TO REVIEW', '+fixed line', 'TASK:', 'THOROUGH TESTING', 'BUG HUNT', 'SELF-REVIEW AND HANDOFF', 'CONVENTIONS'];
    const idx = order.map((s) => p.indexOf(s));
    expect(idx.every((i) => i >= 0)).toBe(true);
    expect([...idx].sort((a, b) => a - b)).toEqual(idx);
    expect(p).toContain('  - tests-pass (hard): fail — 3 failed');
    expect(p).toContain('Peer: alice');
  });

  test('deterministic for the same input; n > 2 peers are listed', () => {
    expect(buildPrompt(input())).toBe(buildPrompt(input()));
    expect(buildPrompt(input({ others: ['bob', 'carol'] }))).toContain('Your counterparts in this loop are: bob, carol.');
  });

  test('capped at 64 KiB with a truncation note; the handoff protocol is never cut', () => {
    const p = buildPrompt(input({ recon: 'r'.repeat(200_000), warnings: Array.from({ length: 2000 }, (_, i) => `warning ${i} ${'x'.repeat(100)}`) }));
    expect(Buffer.byteLength(p)).toBeLessThanOrEqual(PROMPT_CAP_BYTES);
    expect(p).toContain('truncated');
    expect(p).toContain('Peer-Status: handoff');
    expect(p).toContain('CONVENTIONS');
  });
});
