import { describe, expect, test } from 'bun:test';
import { classifyTurn } from '../../../src/loop/classify.ts';

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
