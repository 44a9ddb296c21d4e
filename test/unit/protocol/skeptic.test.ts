import { describe, expect, test } from 'bun:test';
import { skepticPrompt } from '../../../src/protocol/skeptic.ts';

describe('skeptic tick', () => {
  test('the prompt calls the convergence suspicious and asks for a critical re-audit', () => {
    const p = skepticPrompt(3);
    expect(p).toStartWith('=== POST-CONVERGENCE SKEPTIC RE-AUDIT ===');
    expect(p).toContain('3 consecutive clean ticks');
    expect(p).toContain('suspicious');
    expect(p).toContain('at least 5 concrete failure modes');
    expect(p).toEndWith('=== END SKEPTIC HEADER ===');
  });
});
