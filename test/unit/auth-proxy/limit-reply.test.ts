/**
 * What a vendor's 429 says: a usage limit (the peer sleeps until the reset), a quota (credit gone:
 * waiting does not help) or a rate limit (the CLI retries), and when it lifts. A wrong reading puts
 * a peer to sleep for nothing or lets the run spin against a closed door. Pure; mutation testing
 * runs it against auth-proxy/usage/limit-reply.ts (the model server's own shapes are in
 * test/unit/peers/vendor-limit.test.ts).
 */
import { describe, expect, test } from 'bun:test';
import { limitFromReply, parseGoDuration, parseRetryAfter, type ReplyFacts } from '../../../auth-proxy/usage/limit-reply.ts';

const NOW = Date.parse('2026-03-01T10:00:00Z');
const S = NOW / 1000;
const r429 = (headers: ReplyFacts['headers'], error?: Record<string, unknown>): ReplyFacts => ({ status: 429, headers, body: error ? JSON.stringify({ error }) : '' });
const limit = (headers: ReplyFacts['headers'], error?: Record<string, unknown>) => limitFromReply(r429(headers, error), NOW);

describe('retry-after and Go durations', () => {
  test('retry-after: whole or fractional seconds from now, or an HTTP date; anything else is no reset', () => {
    expect(parseRetryAfter(' 12 ', NOW)).toBe(NOW + 12_000);
    expect(parseRetryAfter('1.5', NOW)).toBe(NOW + 1500);
    expect(parseRetryAfter('0', NOW)).toBe(NOW);
    expect(parseRetryAfter('Sun, 01 Mar 2026 10:05:00 GMT', NOW)).toBe(NOW + 300_000);
    expect(parseRetryAfter('', NOW)).toBeNull();
    expect(parseRetryAfter(undefined, NOW)).toBeNull();
    expect(parseRetryAfter('soon', NOW)).toBeNull();
    expect(parseRetryAfter('12s', NOW)).toBeNull();
  });

  test('Go durations: hours, minutes, seconds, milliseconds, summed; anything else is no reset', () => {
    expect(parseGoDuration('1h')).toBe(3_600_000);
    expect(parseGoDuration('6m0s')).toBe(360_000);
    expect(parseGoDuration(' 20ms ')).toBe(20);
    expect(parseGoDuration('1.5s')).toBe(1500);
    expect(parseGoDuration('0.4ms')).toBe(0);
    expect(parseGoDuration('1h2m3.5s')).toBe(3_723_500);
    for (const bad of [undefined, '', '5', '1d', 'm5', '1h 2m', '-1s', '1sx']) expect(parseGoDuration(bad)).toBeNull();
  });
});

describe('not a limit', () => {
  test('any status but 429', () => {
    for (const status of [200, 400, 402, 500, 503]) expect(limitFromReply({ status, headers: { 'retry-after': '5' }, body: '' }, NOW)).toBeNull();
  });
});

describe('a quota: credit gone', () => {
  test('insufficient_quota in the error type or code, whatever the headers say', () => {
    expect(limit({ 'retry-after': '20' }, { type: 'insufficient_quota', message: 'You exceeded your current quota' })).toEqual({ kind: 'quota', resetAtMs: null, source: 'error insufficient_quota', message: 'You exceeded your current quota' });
    expect(limit({ 'anthropic-ratelimit-unified-status': 'rejected' }, { code: 'insufficient_quota' })).toMatchObject({ kind: 'quota' });
  });
});

describe('an Anthropic subscription usage limit', () => {
  const rejected = { 'anthropic-ratelimit-unified-status': 'rejected' };

  test('until the unified reset (epoch seconds), before retry-after', () => {
    expect(limit({ ...rejected, 'anthropic-ratelimit-unified-reset': String(S + 7200), 'retry-after': '30' })).toEqual({ kind: 'usage', resetAtMs: NOW + 7_200_000, source: 'anthropic-ratelimit-unified-reset', message: 'HTTP 429' });
  });

  test('a header sent twice: the first value counts', () => {
    expect(limit({ 'anthropic-ratelimit-unified-status': ['rejected', 'allowed'], 'anthropic-ratelimit-unified-reset': [String(S + 60), String(S + 120)] })).toMatchObject({ kind: 'usage', resetAtMs: NOW + 60_000 });
    expect(limit({ 'anthropic-ratelimit-unified-status': ['allowed', 'rejected'] })).toMatchObject({ kind: 'rate' });
  });

  test('a reset that is not epoch seconds falls back to retry-after, then to no reset', () => {
    expect(limit({ ...rejected, 'anthropic-ratelimit-unified-reset': '2026-03-01T12:00:00Z', 'retry-after': '30' })).toEqual({ kind: 'usage', resetAtMs: NOW + 30_000, source: 'retry-after', message: 'HTTP 429' });
    expect(limit({ ...rejected, 'anthropic-ratelimit-unified-reset': String(S * 1000) })).toEqual({ kind: 'usage', resetAtMs: null, source: 'anthropic-ratelimit-unified-status (no reset)', message: 'HTTP 429' });
  });

  test('epoch seconds are read only between 1e9 and 1e11, fractions rounded to the millisecond', () => {
    const at = (v: string) => limit({ ...rejected, 'anthropic-ratelimit-unified-reset': v })?.resetAtMs;
    expect(at('1000000000')).toBeNull();
    expect(at('1000000001')).toBe(1_000_000_001_000);
    expect(at('99999999999')).toBe(99_999_999_999_000);
    expect(at('100000000000')).toBeNull();
    expect(at(`${S}.0004`)).toBe(NOW);
    expect(at(' 1772359200 ')).toBe(1_772_359_200_000);
    expect(at('17e8')).toBeNull();
  });

  test('a status other than rejected is not a usage limit', () => {
    expect(limit({ 'anthropic-ratelimit-unified-status': 'allowed_warning', 'anthropic-ratelimit-unified-reset': String(S + 60) })).toMatchObject({ kind: 'rate', source: 'HTTP 429 (no reset)' });
  });
});

describe('a Codex (ChatGPT plan) usage limit', () => {
  test('until error.resets_at (a number or a numeric string)', () => {
    expect(limit({}, { type: 'usage_limit_reached', resets_at: S + 5400, message: 'The usage limit has been reached' })).toEqual({ kind: 'usage', resetAtMs: NOW + 5_400_000, source: 'error.resets_at', message: 'The usage limit has been reached' });
    expect(limit({}, { code: 'usage_limit_reached', resets_at: String(S + 60) })).toMatchObject({ resetAtMs: NOW + 60_000, source: 'error.resets_at' });
  });

  test('else error.resets_in_seconds from now (zero included); a negative one is ignored', () => {
    expect(limit({}, { type: 'usage_limit_reached', resets_in_seconds: 90.5 })).toEqual({ kind: 'usage', resetAtMs: NOW + 90_500, source: 'error.resets_in_seconds', message: 'HTTP 429' });
    expect(limit({}, { type: 'usage_limit_reached', resets_in_seconds: 0 })).toMatchObject({ resetAtMs: NOW, source: 'error.resets_in_seconds' });
    expect(limit({}, { type: 'usage_limit_reached', resets_in_seconds: -1 })).toMatchObject({ resetAtMs: null, source: 'usage_limit_reached (no reset)' });
    expect(limit({}, { type: 'usage_limit_reached', resets_in_seconds: '90' })).toMatchObject({ resetAtMs: null });
  });

  test('else the x-codex window that is at 100%, the later one when both are', () => {
    const h = { 'x-codex-primary-used-percent': '100', 'x-codex-primary-reset-after-seconds': '600', 'x-codex-secondary-used-percent': '40', 'x-codex-secondary-reset-after-seconds': '90000' };
    expect(limit(h, { type: 'usage_limit_reached' })).toMatchObject({ kind: 'usage', resetAtMs: NOW + 600_000, source: 'x-codex-primary-reset-after-seconds' });
    expect(limit({ ...h, 'x-codex-secondary-used-percent': '100' }, { type: 'usage_limit_reached' })).toMatchObject({ resetAtMs: NOW + 90_000_000, source: 'x-codex-secondary-reset-after-seconds' });
    expect(limit({ ...h, 'x-codex-primary-used-percent': '101', 'x-codex-primary-reset-after-seconds': '0', 'x-codex-secondary-used-percent': '0' }, { type: 'usage_limit_reached' })).toMatchObject({ resetAtMs: NOW, source: 'x-codex-primary-reset-after-seconds' });
    const later = { 'x-codex-primary-used-percent': '100', 'x-codex-primary-reset-after-seconds': '900', 'x-codex-secondary-used-percent': '100', 'x-codex-secondary-reset-after-seconds': '300' };
    expect(limit(later, { type: 'usage_limit_reached' })).toMatchObject({ resetAtMs: NOW + 900_000, source: 'x-codex-primary-reset-after-seconds' });
  });

  test('two windows at 100% resetting together: the first named (primary); a later one only when strictly later', () => {
    const both = (p: string, s2: string) => ({ 'x-codex-primary-used-percent': '100', 'x-codex-primary-reset-after-seconds': p, 'x-codex-secondary-used-percent': '100', 'x-codex-secondary-reset-after-seconds': s2 });
    expect(limit(both('600', '600'), { type: 'usage_limit_reached' })).toMatchObject({ resetAtMs: NOW + 600_000, source: 'x-codex-primary-reset-after-seconds' });
    expect(limit(both('1000', '999.5'), { type: 'usage_limit_reached' })).toMatchObject({ resetAtMs: NOW + 1_000_000, source: 'x-codex-primary-reset-after-seconds' });
  });

  test('a window at 99.9%, or with a negative or missing reset, does not count', () => {
    expect(limit({ 'x-codex-primary-used-percent': '99.9', 'x-codex-primary-reset-after-seconds': '600' }, { type: 'usage_limit_reached' })).toMatchObject({ resetAtMs: null });
    expect(limit({ 'x-codex-primary-used-percent': '100', 'x-codex-primary-reset-after-seconds': '-1' }, { type: 'usage_limit_reached' })).toMatchObject({ resetAtMs: null });
    expect(limit({ 'x-codex-primary-used-percent': '100' }, { type: 'usage_limit_reached' })).toMatchObject({ resetAtMs: null });
  });

  test('the reached-type header alone marks it; without any reset, retry-after, then no reset named after the signal', () => {
    expect(limit({ 'x-codex-rate-limit-reached-type': 'primary' })).toEqual({ kind: 'usage', resetAtMs: null, source: 'x-codex-rate-limit-reached-type (no reset)', message: 'HTTP 429' });
    expect(limit({ 'x-codex-rate-limit-reached-type': 'primary', 'retry-after': '7' })).toEqual({ kind: 'usage', resetAtMs: NOW + 7000, source: 'retry-after', message: 'HTTP 429' });
    expect(limit({}, { type: 'usage_limit_reached' })).toMatchObject({ source: 'usage_limit_reached (no reset)' });
  });
});

describe('a usage limit said only in words', () => {
  test('"usage limit" or "hit your limit" in the message', () => {
    expect(limit({}, { message: "You've hit your usage limit." })).toEqual({ kind: 'usage', resetAtMs: null, source: 'error message (no reset)', message: "You've hit your usage limit." });
    expect(limit({ 'retry-after': '60' }, { message: 'You have hit your limit' })).toEqual({ kind: 'usage', resetAtMs: NOW + 60_000, source: 'retry-after', message: 'You have hit your limit' });
    expect(limit({}, { message: 'Usage Limit reached' })).toMatchObject({ kind: 'usage' });
  });
});

describe('an ordinary rate limit', () => {
  test('retry-after first', () => {
    expect(limit({ 'retry-after': '12', 'anthropic-ratelimit-tokens-reset': '2026-03-01T10:30:00Z' })).toEqual({ kind: 'rate', resetAtMs: NOW + 12_000, source: 'retry-after', message: 'HTTP 429' });
  });

  test('else the latest Anthropic reset of requests, tokens, input and output tokens', () => {
    const h = { 'anthropic-ratelimit-requests-reset': '2026-03-01T10:00:10Z', 'anthropic-ratelimit-tokens-reset': '2026-03-01T10:00:40Z', 'anthropic-ratelimit-input-tokens-reset': '2026-03-01T10:00:20Z', 'anthropic-ratelimit-output-tokens-reset': 'garbage' };
    expect(limit(h)).toEqual({ kind: 'rate', resetAtMs: NOW + 40_000, source: 'anthropic-ratelimit-tokens-reset', message: 'HTTP 429' });
    expect(limit({ 'anthropic-ratelimit-output-tokens-reset': '2026-03-01T10:01:00Z', 'anthropic-ratelimit-requests-reset': '2026-03-01T10:01:00Z' })).toMatchObject({ resetAtMs: NOW + 60_000, source: 'anthropic-ratelimit-requests-reset' });
    expect(limit({ 'anthropic-ratelimit-input-tokens-reset': '2026-03-01T10:00:05Z' })).toMatchObject({ source: 'anthropic-ratelimit-input-tokens-reset' });
    expect(limit({ 'anthropic-ratelimit-output-tokens-reset': '2026-03-01T10:00:05Z' })).toMatchObject({ source: 'anthropic-ratelimit-output-tokens-reset' });
  });

  test('else the later OpenAI reset of requests and tokens', () => {
    expect(limit({ 'x-ratelimit-reset-requests': '20ms', 'x-ratelimit-reset-tokens': '6m0s' })).toEqual({ kind: 'rate', resetAtMs: NOW + 360_000, source: 'x-ratelimit-reset-tokens', message: 'HTTP 429' });
    expect(limit({ 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '1s' })).toMatchObject({ resetAtMs: NOW + 1000, source: 'x-ratelimit-reset-requests' });
    expect(limit({ 'x-ratelimit-reset-requests': 'soon', 'x-ratelimit-reset-tokens': '2s' })).toMatchObject({ resetAtMs: NOW + 2000, source: 'x-ratelimit-reset-tokens' });
  });

  test('else no reset', () => {
    expect(limitFromReply({ status: 429, headers: {}, body: 'upstream overloaded' }, NOW)).toEqual({ kind: 'rate', resetAtMs: null, source: 'HTTP 429 (no reset)', message: 'HTTP 429' });
  });
});

describe('the message recorded', () => {
  test('control characters are flattened, the text trimmed and cut at 200 characters', () => {
    expect(limit({}, { message: '  slow\u0000\u001b[31m down\n\u007f  ' })?.message).toBe('slow [31m down');
    expect(limit({}, { message: 'x'.repeat(300) })?.message).toBe('x'.repeat(200));
    expect(limit({}, { message: '   ' })?.message).toBe('HTTP 429');
    expect(limit({}, { message: 42 })?.message).toBe('HTTP 429');
  });

  test('an error that is not an object, or a body that is JSON null, gives the plain HTTP 429', () => {
    expect(limitFromReply({ status: 429, headers: {}, body: '{"error":"insufficient_quota"}' }, NOW)).toMatchObject({ kind: 'rate', message: 'HTTP 429' });
    expect(limitFromReply({ status: 429, headers: {}, body: 'null' }, NOW)).toMatchObject({ kind: 'rate', message: 'HTTP 429' });
  });
});
