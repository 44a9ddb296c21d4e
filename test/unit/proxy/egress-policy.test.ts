import { describe, expect, test } from 'bun:test';
import { claudeCredentials, codexAuth } from '../../../auth-proxy/oauth/formats.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { AllowEntryError, DEFAULT_EGRESS_ALLOW, EgressPolicy, OAUTH_REFRESH_ALLOW, parseAllowEntry } from '../../../proxy/egress-policy.ts';

describe('egress allow-list', () => {
  const policy = EgressPolicy.fromLists(DEFAULT_EGRESS_ALLOW, ['registry.npmjs.org', 'git.example.com:22']);

  test('defaults admit the peers APIs on 443 only', () => {
    expect(policy.check('api.anthropic.com', 443).ok).toBe(true);
    expect(policy.check('API.OpenAI.com.', 443).ok).toBe(true);
    expect(policy.check('chatgpt.com', 443).ok).toBe(true);
    // No wildcard among the defaults: nothing below a vendor's host is reachable.
    expect(policy.check('ab.chatgpt.com', 443).ok).toBe(false);
    const v = policy.check('api.anthropic.com', 80);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toContain('port 80 is not allowed for api.anthropic.com');
  });

  test('a wildcard matches names below the suffix, never look-alikes', () => {
    const wild = EgressPolicy.fromLists(DEFAULT_EGRESS_ALLOW, ['*.chatgpt.com']);
    expect(wild.check('ab.chatgpt.com', 443).ok).toBe(true);
    for (const h of ['evilchatgpt.com', 'chatgpt.com.evil.test', 'statsig.anthropic.com', 'anthropic.com']) {
      const v = wild.check(h, 443);
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.reason).toContain('not on the egress allow-list');
    }
  });

  test('the vendor defaults are exactly the auth sidecar\'s origins and token endpoints: no wildcard, nothing extra', () => {
    const hostOf = (url: string) => new URL(url).hostname;
    expect([...DEFAULT_EGRESS_ALLOW].sort()).toEqual(Object.values(UPSTREAMS).map((u) => hostOf(u.origin)).sort());
    expect([...OAUTH_REFRESH_ALLOW].sort()).toEqual([claudeCredentials.defaultTokenUrl, codexAuth.defaultTokenUrl].map(hostOf).sort());
    for (const e of [...DEFAULT_EGRESS_ALLOW, ...OAUTH_REFRESH_ALLOW]) expect(e).not.toContain('*');
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
