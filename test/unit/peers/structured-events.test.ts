import { describe, expect, test } from 'bun:test';
import { structuredStatus } from '../../../src/peer-output/structured-events.ts';

describe('structured status events', () => {
  test('claude: the last result event with is_error and auth vocabulary is a halt', () => {
    const out = [
      '{"type":"assistant","message":{"content":[{"type":"text","text":"authentication failed in the test fixture"}]}}',
      '{"type":"result","subtype":"success","is_error":true,"result":"Invalid API key · Please run /login"}',
    ].join('\n');
    // The subtype `success` of an error result is no word of the failure (the trial showed "success Invalid API key").
    expect(structuredStatus('claude', out)).toEqual({ kind: 'halt', label: 'structured:claude:invalid-api-key', snippet: 'Invalid API key · Please run /login' });
  });

  test('claude: assistant text mentioning errors never halts; a successful result neither', () => {
    const out = ['{"type":"assistant","message":{"content":"quota exhausted"}}', '{"type":"result","is_error":false,"result":"done"}'].join('\n');
    expect(structuredStatus('claude', out)).toBeNull();
  });

  test('claude: api_error_status 429/529 is transient', () => {
    expect(structuredStatus('claude', '{"type":"result","is_error":true,"result":"API Error","api_error_status":529}')?.kind).toBe('transient');
  });

  test('codex: error and turn.failed events', () => {
    expect(structuredStatus('codex', '{"type":"error","message":"You\'ve hit your usage limit. Upgrade to Pro"}')?.kind).toBe('halt');
    expect(structuredStatus('codex', '{"type":"turn.failed","error":{"message":"stream error: 429 Too Many Requests; try again later"}}')?.kind).toBe('transient');
  });

  test('codex: a rejected credential (401) is a halt, not a process failure', () => {
    const failed = '{"type":"turn.failed","error":{"message":"unexpected status 401 Unauthorized: Incorrect API key provided., url: http://127.0.0.1:9/v1/responses"}}';
    expect(structuredStatus('codex', failed)?.kind).toBe('halt');
  });

  test('opencode: error events with name and data.message', () => {
    expect(structuredStatus('opencode', '{"type":"error","error":{"name":"ProviderAuthError","data":{"message":"authentication failed"}}}')?.label).toBe('structured:opencode:authentication-failed');
  });

  test('opencode: a 401 from the API is a halt (Anthropic says "invalid x-api-key")', () => {
    const ev = '{"type":"error","error":{"name":"APIError","data":{"message":"invalid x-api-key","statusCode":401}}}';
    expect(structuredStatus('opencode', ev)?.kind).toBe('halt');
    const noStatus = '{"type":"error","error":{"name":"APIError","data":{"message":"invalid x-api-key"}}}';
    expect(structuredStatus('opencode', noStatus)?.kind).toBe('halt');
  });

  test('custom tools have no structured channel', () => {
    expect(structuredStatus('custom', '{"type":"error","message":"authentication failed"}')).toBeNull();
  });
});
