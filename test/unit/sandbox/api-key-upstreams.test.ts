/**
 * With API keys, the auth sidecar serves the vendors whose key `peers up`'s shell holds and no
 * other: an upstream without its key stops the sidecar at start, and the run then holds as
 * `auth down` for ever (test/e2e/up-one-vendor-key.test.ts is the pod-level proof).
 */
import { describe, expect, test } from 'bun:test';
import { apiKeyUpstreamArgs } from '../../../sandbox/pod-plan.ts';

describe('apiKeyUpstreamArgs', () => {
  test('each vendor whose key is set, and only those', () => {
    expect(apiKeyUpstreamArgs({ ANTHROPIC_API_KEY: 'k', OPENAI_API_KEY: 'k' })).toEqual(['--upstream', 'anthropic', '--upstream', 'openai']);
    expect(apiKeyUpstreamArgs({ ANTHROPIC_API_KEY: 'k' })).toEqual(['--upstream', 'anthropic']);
    expect(apiKeyUpstreamArgs({ OPENAI_API_KEY: 'k' })).toEqual(['--upstream', 'openai']);
  });

  test('no key (custom peers, or providers only): no vendor upstream, said explicitly (the flag would default to both)', () => {
    expect(apiKeyUpstreamArgs({})).toEqual(['--upstream', 'none']);
    expect(apiKeyUpstreamArgs({ ANTHROPIC_API_KEY: '' })).toEqual(['--upstream', 'none']);
  });
});
