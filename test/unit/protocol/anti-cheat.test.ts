import { describe, expect, test } from 'bun:test';
import { parseTrailers } from '../../../src/protocol/trailers.ts';
import { classifyNumstat, decideAntiCheat, findJustification, initialAntiCheatState } from '../../../src/protocol/anti-cheat.ts';
import { isTestPath } from '../../../src/protocol/test-paths.ts';

describe('test path classifier', () => {
  test('recognises the baseline and JS/TS test conventions', () => {
    for (const p of ['tests/a.py', 'test/x.ts', 'pkg/tests/y.py', 'src/test/z.java', 'test_a.py', 'pkg/a_test.py', 'conftest.py', 'lib/a_spec.rb', 'spec/models/u.rb', 'x/a_test.go', 'src/a.test.ts', 'src/a.spec.js', 'src/__tests__/b.ts', 'Test/Upper.cs']) {
      expect(isTestPath(p)).toBe(true);
    }
  });
  test('source files, including look-alikes, are not tests', () => {
    for (const p of ['src/a.py', 'src/testing.py', 'src/contest.py', 'spec/readme.md', 'src/latest.ts', 'attestation.ts', 'src/test-paths.ts']) {
      expect(isTestPath(p)).toBe(false);
    }
  });
});

describe('classifyNumstat', () => {
  test('splits test and source lines, skips binaries and follows renames', () => {
    const s = classifyNumstat('3\t1\ttests/test_a.py\n-\t-\timg.png\n2\t0\tsrc/{old => new}/a.py\n1\t1\tsrc/x.ts => src/x.test.ts\n');
    expect(s).toEqual({ testLines: 6, srcLines: 2, testFiles: ['tests/test_a.py', 'src/x.test.ts'], srcFiles: ['src/new/a.py'] });
  });
});

describe('decideAntiCheat', () => {
  const testOnly = { testLines: 5, srcLines: 0, testFiles: ['t/a.test.ts'], srcFiles: [] };
  const mixed = { testLines: 5, srcLines: 3, testFiles: ['t/a.test.ts'], srcFiles: ['src/a.ts'] };

  test('first test-only turn warns, second reverts, a second revert in a row degrades', () => {
    const first = decideAntiCheat(initialAntiCheatState(), { success: true, stats: testOnly });
    expect(first.action).toBe('warn');
    expect(first.warning).toContain('anti-cheating pre-warning');
    const second = decideAntiCheat(first.next, { success: true, stats: testOnly });
    expect(second).toMatchObject({ action: 'revert', degrade: false });
    expect(second.warning).toContain('your previous handoff was reverted');
    const third = decideAntiCheat(second.next, { success: true, stats: testOnly });
    expect(third).toMatchObject({ action: 'revert', degrade: true });
  });

  test('a failed tick between two reverts breaks the streak but keeps the warning', () => {
    const warned = decideAntiCheat(initialAntiCheatState(), { success: true, stats: testOnly }).next;
    const reverted = decideAntiCheat(warned, { success: true, stats: testOnly }).next;
    const failed = decideAntiCheat(reverted, { success: false, stats: undefined }).next;
    expect(decideAntiCheat(failed, { success: true, stats: testOnly })).toMatchObject({ action: 'revert', degrade: false });
  });

  test('a turn that also changes source resets the streak', () => {
    const warned = decideAntiCheat(initialAntiCheatState(), { success: true, stats: testOnly }).next;
    const clean = decideAntiCheat(warned, { success: true, stats: mixed });
    expect(clean).toMatchObject({ action: 'none', next: { consecutiveReverts: 0 } });
    expect(clean.next.prewarned).toBeUndefined();
  });

  test('a justified test-only turn is accepted and its reason reported', () => {
    const warned = decideAntiCheat(initialAntiCheatState(), { success: true, stats: testOnly }).next;
    const d = decideAntiCheat(warned, { success: true, stats: testOnly, justification: 'adding regression tests for the parser fix in 3f2a' });
    expect(d.action).toBe('accept-justified');
    expect(d.warning).toContain('Audit the rationale: adding regression tests');
  });

  test('findJustification needs at least 20 characters of reason', () => {
    const c = (message: string) => ({ sha: 'x', subject: '', message, trailers: parseTrailers(message), authorEmail: '' });
    expect(findJustification([c('tests\n\nJUSTIFIED-TEST-ONLY: too short')])).toBeUndefined();
    expect(findJustification([c('tests\n\nJUSTIFIED-TEST-ONLY: # the suite lacked any empty-input case #')])).toBe('the suite lacked any empty-input case');
  });
});
