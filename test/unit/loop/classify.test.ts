import { describe, expect, test } from 'bun:test';
import { CLASSIFICATIONS, classifyTurn } from '../../../src/loop/classify.ts';

const exit0 = { exitCode: 0, endedBy: 'exit' as const };
const none = { live: null, post: null };

describe('turn classification', () => {
  test('exit status and timeouts', () => {
    expect(classifyTurn(exit0, none, null).classification).toBe('success');
    expect(classifyTurn({ exitCode: 2, endedBy: 'exit' }, none, null).classification).toBe('process-fail');
    expect(classifyTurn({ exitCode: null, endedBy: 'spawn-error' }, none, null).classification).toBe('process-fail');
    expect(classifyTurn({ exitCode: null, endedBy: 'idle-timeout' }, none, null).classification).toBe('idle-timeout');
    expect(classifyTurn({ exitCode: null, endedBy: 'absolute-timeout' }, none, null).classification).toBe('absolute-timeout');
  });

  test('a halt pattern is api-error with a halt, even when the process exited 0', () => {
    const v = classifyTurn(exit0, { live: null, post: { kind: 'halt', pattern: 'auth', snippet: 'ERROR: authentication failed' } }, null);
    expect(v.classification).toBe('api-error');
    expect(v.halt).toMatchObject({ source: 'post-join', snippet: 'ERROR: authentication failed' });
  });

  test('a rate-limit error pattern is the neutral rate-limited; other error patterns are api-error', () => {
    expect(classifyTurn({ exitCode: 1, endedBy: 'exit' }, { live: { kind: 'error', pattern: 'x', snippet: 'Error: rate_limit' }, post: null }, null).classification).toBe('rate-limited');
    const v = classifyTurn({ exitCode: 1, endedBy: 'exit' }, { live: { kind: 'error', pattern: 'x', snippet: 'ERROR API error 503' }, post: null }, null);
    expect(v).toMatchObject({ classification: 'api-error', halt: null });
  });

  test('a structured halt overrides everything; a structured transient only fills in for a plain failure', () => {
    const halt = { kind: 'halt' as const, label: 'structured:claude:invalid-api-key', snippet: 'Invalid API key' };
    expect(classifyTurn({ exitCode: null, endedBy: 'idle-timeout' }, none, halt)).toMatchObject({ classification: 'api-error', halt: { source: 'structured' } });
    const transient = { kind: 'transient' as const, label: 'transient:codex:rate-limited', snippet: '429' };
    expect(classifyTurn({ exitCode: 1, endedBy: 'exit' }, none, transient).classification).toBe('rate-limited');
    expect(classifyTurn({ exitCode: null, endedBy: 'idle-timeout' }, none, transient).classification).toBe('idle-timeout');
  });
});

describe('turn classification: the full verdict users see in status and runs.jsonl', () => {
  const exit1 = { exitCode: 1, endedBy: 'exit' as const };
  const usage = { kind: 'usage' as const, resetAtMs: null, source: 'header retry-after', message: 'You have hit your usage limit. '.repeat(10) };
  const quota = { kind: 'quota' as const, resetAtMs: null, source: 'error insufficient_quota', message: 'q'.repeat(150) };
  const rate = { kind: 'rate' as const, resetAtMs: null, source: 'header', message: 'slow down' };

  test('the seven classifications, in the order status lists them', () => {
    expect(CLASSIFICATIONS).toEqual(['success', 'process-fail', 'idle-timeout', 'absolute-timeout', 'api-error', 'rate-limited', 'usage-limited', 'vendor-unreachable']);
  });

  test('a structured halt names its label and the first 80 characters of what the CLI said', () => {
    const snippet = 'E'.repeat(100);
    expect(classifyTurn(exit0, none, { kind: 'halt', label: 'structured:claude:http-401', snippet })).toEqual({
      classification: 'api-error',
      halt: { reason: `structured: ${'E'.repeat(80)}`, pattern: 'structured:claude:http-401', snippet, source: 'structured' },
      matched: { pattern: 'structured:claude:http-401', snippet, source: 'structured' },
    });
  });

  test('a halt pattern seen live is in-loop, after the join post-join; its reason quotes at most 80 characters of the pattern', () => {
    const live = { kind: 'halt' as const, pattern: 'p'.repeat(90), snippet: 'bad key' };
    expect(classifyTurn(exit1, { live, post: null }, null)).toEqual({
      classification: 'api-error',
      halt: { reason: `halt-pattern: ${'p'.repeat(80)}`, pattern: 'p'.repeat(90), snippet: 'bad key', source: 'in-loop' },
      matched: { pattern: 'p'.repeat(90), snippet: 'bad key', source: 'in-loop' },
    });
    const err = { kind: 'error' as const, pattern: 'e', snippet: 'Too Many Requests' };
    expect(classifyTurn(exit1, { live: null, post: err }, null)).toEqual({ classification: 'rate-limited', halt: null, matched: { pattern: 'e', snippet: 'Too Many Requests', source: 'post-join' } });
  });

  test('a structured transient error is matched as structured-transient', () => {
    expect(classifyTurn(exit1, none, { kind: 'transient', label: 't', snippet: '529' })).toEqual({ classification: 'rate-limited', halt: null, matched: { pattern: 't', snippet: '529', source: 'structured-transient' } });
  });

  test('a usage limit puts a failed turn to sleep (usage-limited, no halt) with the vendor words cut at 200', () => {
    expect(classifyTurn(exit1, none, null, usage)).toEqual({
      classification: 'usage-limited',
      halt: null,
      matched: { pattern: 'vendor-limit:usage', snippet: usage.message.slice(0, 200), source: 'header retry-after' },
    });
  });

  test('a quota halts the peer with the first 120 characters of the vendor words; an existing halt stays as it was', () => {
    expect(classifyTurn(exit1, none, null, quota)).toEqual({
      classification: 'api-error',
      halt: { reason: `quota: ${'q'.repeat(120)}`, pattern: 'vendor-limit:quota', snippet: 'q'.repeat(150), source: 'structured' },
      matched: { pattern: 'vendor-limit:quota', snippet: 'q'.repeat(150), source: 'error insufficient_quota' },
    });
    const structuredHalt = { kind: 'halt' as const, label: 'structured:codex:quota', snippet: 'You ran out of credit' };
    expect(classifyTurn(exit1, none, structuredHalt, quota).halt?.reason).toBe('structured: You ran out of credit');
  });

  test('a refused credential stays a halt even when a usage limit was also reported', () => {
    const auth = { kind: 'halt' as const, label: 'structured:claude:http-401', snippet: 'Invalid API key' };
    expect(classifyTurn(exit1, none, auth, usage)).toMatchObject({ classification: 'api-error', halt: { reason: 'structured: Invalid API key' } });
    // A halt that is not about the credential gives way to the usage limit.
    const other = { kind: 'halt' as const, label: 'structured:codex:model', snippet: 'model not found' };
    expect(classifyTurn(exit1, none, other, usage).classification).toBe('usage-limited');
  });

  test('a plain rate limit reported by the vendor changes nothing; nor does any limit on a successful turn', () => {
    expect(classifyTurn(exit1, none, null, rate)).toEqual({ classification: 'process-fail', halt: null, matched: null });
    expect(classifyTurn(exit0, none, null, quota)).toEqual({ classification: 'success', halt: null, matched: null });
  });
});
