import { describe, expect, test } from 'bun:test';
import { subordinateRange } from '../../../apps/doctor/doctor-checks.ts';

describe('subordinate id ranges (/etc/subuid format)', () => {
  test('sums every range of the user, by name or by uid, ignoring others and junk', () => {
    const text = 'alice:100000:65536\nbob:165536:65536\n1000:231072:1000\n\ngarbage\nalice:300000:10\n';
    expect(subordinateRange(text, 'alice', 1001)).toBe(65546);
    expect(subordinateRange(text, 'carol', 1000)).toBe(1000);
    expect(subordinateRange(text, 'dave', 1002)).toBe(0);
    expect(subordinateRange(undefined, 'alice', 1001)).toBe(0);
  });
});
