import { describe, expect, test } from 'bun:test';
import { subordinateRange } from '../../../apps/doctor/doctor-checks.ts';
import { userNameOf } from '../../../apps/doctor/host-probe.ts';

describe('subordinate id ranges (/etc/subuid format)', () => {
  test('sums every range of the user, by name or by uid, ignoring others and junk', () => {
    const text = 'alice:100000:65536\nbob:165536:65536\n1000:231072:1000\n\ngarbage\nalice:300000:10\n';
    expect(subordinateRange(text, 'alice', 1001)).toBe(65546);
    expect(subordinateRange(text, 'carol', 1000)).toBe(1000);
    expect(subordinateRange(text, 'dave', 1002)).toBe(0);
    expect(subordinateRange(undefined, 'alice', 1001)).toBe(0);
  });

  test('the account is named from /etc/passwd by uid, not from $USER (doctor ran with no USER said "unknown has 0 subordinate uids")', () => {
    const passwd = 'root:x:0:0:root:/root:/bin/bash\npeerstest:x:1001:1001::/home/peerstest:/bin/sh\n';
    expect(userNameOf(1001, passwd, () => 'unknown')).toBe('peerstest');
    expect(userNameOf(1002, passwd, () => 'unknown')).toBe('unknown');
    expect(userNameOf(1001, undefined, () => 'from-env')).toBe('from-env');
  });
});
