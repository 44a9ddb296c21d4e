/**
 * Reading a limit and its reset time from what the vendors send (the reply the auth sidecar
 * relays) and from what the CLIs print (the fallback outside the pod). Reply shapes are the ones
 * the scripted model server serves (src/model-server, fault `usage_limit`) and the CLIs were seen
 * to print against it (test/integration/real-cli/usage-limits.test.ts).
 */
import { describe, expect, test } from 'bun:test';
import { limitFromReply, parseGoDuration, parseRetryAfter } from '../../../auth-proxy/usage/limit-reply.ts';
import { clockTimeMs, limitFromOutput } from '../../../src/peer-output/vendor-limit.ts';
import { anthropicError, anthropicUsageLimitHeaders } from '../../../src/model-server/anthropic-wire.ts';
import { responsesError, responsesUsageLimit } from '../../../src/model-server/responses-wire.ts';

const NOW = Date.parse('2026-03-01T10:00:00Z');
const nowS = NOW / 1000;

describe("a vendor's 429", () => {
  test('Anthropic subscription: unified status rejected → usage limit until the unified reset', () => {
    const e = anthropicError('usage_limit');
    const l = limitFromReply({ status: 429, headers: { ...anthropicUsageLimitHeaders(nowS + 7200), 'retry-after': '30' }, body: JSON.stringify(e.body) }, NOW);
    expect(l).toEqual({ kind: 'usage', resetAtMs: NOW + 7_200_000, source: 'anthropic-ratelimit-unified-reset', message: "This request would exceed your account's rate limit. Please try again later." });
  });

  test('Codex on a ChatGPT plan: usage_limit_reached → until resets_at; the x-codex headers when the body has none', () => {
    const r = responsesUsageLimit(nowS + 5400, nowS);
    expect(limitFromReply({ status: 429, headers: r.headers, body: JSON.stringify(r.body) }, NOW)).toMatchObject({ kind: 'usage', resetAtMs: NOW + 5_400_000, source: 'error.resets_at' });
    const bare = JSON.stringify({ error: { type: 'usage_limit_reached', message: 'The usage limit has been reached' } });
    expect(limitFromReply({ status: 429, headers: r.headers, body: bare }, NOW)).toMatchObject({ kind: 'usage', resetAtMs: NOW + 5_400_000, source: 'x-codex-primary-reset-after-seconds' });
    const inS = JSON.stringify({ error: { type: 'usage_limit_reached', resets_in_seconds: 90 } });
    expect(limitFromReply({ status: 429, headers: {}, body: inS }, NOW)).toMatchObject({ resetAtMs: NOW + 90_000, source: 'error.resets_in_seconds' });
  });

  test('OpenAI insufficient_quota is a quota (credit gone), not something to wait for', () => {
    const body = JSON.stringify({ error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', code: 'insufficient_quota' } });
    expect(limitFromReply({ status: 429, headers: { 'retry-after': '20' }, body }, NOW)).toMatchObject({ kind: 'quota', resetAtMs: null });
  });

  test('an ordinary rate limit is a rate limit, with the reset it names', () => {
    const e = anthropicError('rate_limit');
    expect(limitFromReply({ status: 429, headers: { 'retry-after': '12' }, body: JSON.stringify(e.body) }, NOW)).toMatchObject({ kind: 'rate', resetAtMs: NOW + 12_000 });
    expect(limitFromReply({ status: 429, headers: { 'anthropic-ratelimit-tokens-reset': '2026-03-01T10:00:40Z' }, body: '' }, NOW)).toMatchObject({ kind: 'rate', resetAtMs: NOW + 40_000 });
    const o = responsesError('rate_limit');
    expect(limitFromReply({ status: 429, headers: { 'x-ratelimit-reset-requests': '6m0s', 'x-ratelimit-reset-tokens': '20ms' }, body: JSON.stringify(o.body) }, NOW)).toMatchObject({ kind: 'rate', resetAtMs: NOW + 360_000, source: 'x-ratelimit-reset-requests' });
    expect(limitFromReply({ status: 429, headers: {}, body: 'not json' }, NOW)).toEqual({ kind: 'rate', resetAtMs: null, source: 'HTTP 429 (no reset)', message: 'HTTP 429' });
  });

  test('anything but a 429 is not a limit', () => {
    for (const status of [200, 401, 403, 500, 529]) expect(limitFromReply({ status, headers: anthropicUsageLimitHeaders(nowS + 60), body: '' }, NOW)).toBeNull();
  });

  test('retry-after as seconds or an HTTP date; Go durations', () => {
    expect(parseRetryAfter('120', NOW)).toBe(NOW + 120_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 10:05:00 GMT', NOW)).toBe(NOW + 300_000);
    expect(parseRetryAfter('soon', NOW)).toBeNull();
    expect(parseGoDuration('1h2m3.5s')).toBe(3_723_500);
    expect(parseGoDuration('1d')).toBeNull();
  });
});

describe("a CLI's words (outside the pod)", () => {
  const codexEvent = (msg: string) => `${JSON.stringify({ type: 'turn.started' })}\n${JSON.stringify({ type: 'error', message: msg })}\n${JSON.stringify({ type: 'turn.failed', error: { message: msg } })}\n`;

  test('codex: "try again at 3:44 AM" is the next 3:44 AM of this clock; a date when it is another day', () => {
    const at = (msg: string) => limitFromOutput('codex', codexEvent(msg), '', NOW);
    const l = at('You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at 3:44 AM.');
    expect(l?.kind).toBe('usage');
    expect(l?.resetAtMs).toBe(clockTimeMs(3, 44, NOW));
    expect(new Date(l!.resetAtMs!).getHours()).toBe(3);
    expect(l!.resetAtMs! - NOW).toBeGreaterThan(0);
    expect(l!.resetAtMs! - NOW).toBeLessThanOrEqual(86_400_000);
    expect(at("You've hit your usage limit. Try again at Mar 3rd, 2026 1:05 PM.")?.resetAtMs).toBe(new Date(2026, 2, 3, 13, 5).getTime());
    expect(at("You've hit your usage limit. Try again in 2 hours 5 minutes.")?.resetAtMs).toBe(NOW + 7_500_000);
  });

  test('claude: the epoch after "usage limit reached|", or "resets 3pm (Zone)"', () => {
    const result = (text: string) => JSON.stringify({ type: 'result', subtype: 'success', is_error: true, result: text });
    expect(limitFromOutput('claude', result('Claude AI usage limit reached|1772373600'), '', NOW)?.resetAtMs).toBe(1_772_373_600_000);
    const berlin = limitFromOutput('claude', result("You've hit your limit · resets 3pm (Europe/Berlin)"), '', NOW)!;
    // 15:00 in Berlin (UTC+1 in March before the switch) is 14:00Z.
    expect(new Date(berlin.resetAtMs!).toISOString()).toBe('2026-03-01T14:00:00.000Z');
  });

  test('words the peer echoed (tool output, assistant text) are never read: a peer cannot put itself or the run to sleep', () => {
    const echoed = [
      JSON.stringify({ type: 'assistant', message: { content: [{ type: 'text', text: "You've hit your usage limit. Try again at 3:44 AM." }] } }),
      JSON.stringify({ type: 'user', message: { content: [{ type: 'tool_result', content: 'Claude AI usage limit reached|1772373600' }] } }),
      JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'credit balance is too low' }),
    ].join('\n');
    expect(limitFromOutput('claude', echoed, '', NOW)).toBeNull();
    expect(limitFromOutput('codex', JSON.stringify({ type: 'item.completed', item: { type: 'command_execution', aggregated_output: "You've hit your usage limit" } }), '', NOW)).toBeNull();
    // A custom CLI: its own lines count, a diff line it printed does not.
    expect(limitFromOutput('custom', "+ You've hit your usage limit\n", '', NOW)).toBeNull();
    expect(limitFromOutput('custom', '', 'Error: usage limit reached\n', NOW)).toMatchObject({ kind: 'usage', resetAtMs: null });
  });

  test('credit gone is a quota; a plain rate limit is no usage limit', () => {
    const result = (text: string) => JSON.stringify({ type: 'result', is_error: true, result: text });
    expect(limitFromOutput('claude', result('Credit balance is too low'), '', NOW)?.kind).toBe('quota');
    expect(limitFromOutput('claude', result('API Error: Request rejected (429) · Number of request tokens has exceeded your per-minute rate limit'), '', NOW)).toBeNull();
  });
});
