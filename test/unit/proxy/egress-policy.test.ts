import { describe, expect, test } from 'bun:test';
import { AllowEntryError, DEFAULT_EGRESS_ALLOW, EgressPolicy, parseAllowEntry } from '../../../proxy/egress-policy.ts';

describe('egress allow-list', () => {
  const policy = EgressPolicy.fromLists(DEFAULT_EGRESS_ALLOW, ['registry.npmjs.org', 'git.example.com:22']);

  test('defaults admit the peers APIs on 443 only', () => {
    expect(policy.check('api.anthropic.com', 443).ok).toBe(true);
    expect(policy.check('API.OpenAI.com.', 443).ok).toBe(true);
    expect(policy.check('chatgpt.com', 443).ok).toBe(true);
    expect(policy.check('ab.chatgpt.com', 443).ok).toBe(true);
    const v = policy.check('api.anthropic.com', 80);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toContain('port 80 is not allowed for api.anthropic.com');
  });

  test('a wildcard matches names below the suffix, never look-alikes', () => {
    for (const h of ['evilchatgpt.com', 'chatgpt.com.evil.test', 'statsig.anthropic.com', 'anthropic.com']) {
      const v = policy.check(h, 443);
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.reason).toContain('not on the egress allow-list');
    }
  });

  test('project entries add hosts and explicit ports', () => {
    expect(policy.check('registry.npmjs.org', 443).ok).toBe(true);
    expect(policy.check('git.example.com', 22).ok).toBe(true);
    expect(policy.check('git.example.com', 443).ok).toBe(false);
  });

  test('IP literals are refused even when asked for directly', () => {
    const v = policy.check('127.0.0.1', 443);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toContain('IP address');
  });

  test('bad entries are refused with the entry index and the reason', () => {
    const bad: [string, RegExp][] = [
      ['https://x.com', /no scheme/],
      ['10.0.0.1', /IP addresses cannot be allow-listed/],
      ['*.com', /whole top-level domain/],
      ['a.*.com', /whole first label/],
      ['x.com:70000', /out of range/],
      ['', /empty/],
      ['a.com,b.com', /no scheme, path or spaces/],
      ['-bad.com', /not a valid host name/],
    ];
    for (const [entry, why] of bad) {
      expect(() => parseAllowEntry(entry, 3)).toThrow(AllowEntryError);
      try {
        parseAllowEntry(entry, 3);
      } catch (e) {
        expect((e as Error).message).toMatch(/^egress\.allow\[3\]/);
        expect((e as Error).message).toMatch(why);
      }
    }
  });
});
