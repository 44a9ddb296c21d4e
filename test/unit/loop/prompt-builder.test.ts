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
