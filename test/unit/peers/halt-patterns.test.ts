import { describe, expect, test } from 'bun:test';
import { DEFAULT_ERROR_PATTERNS, DEFAULT_HALT_PATTERNS, LiveScanner, compilePatterns, isEchoedContent, scanLines } from '../../../src/peers/halt-patterns.ts';

const p = compilePatterns(DEFAULT_HALT_PATTERNS, DEFAULT_ERROR_PATTERNS);

describe('halt and error patterns', () => {
  test.each([
    'ERROR: authentication failed (401)',
    'Error: authentication_error: invalid bearer',
    'FATAL: invalid api key provided',
    'ERROR quota exhausted for org',
    '2026-01-01 ERROR usage limit reached, resets at 5pm',
    'ERROR: You have hit your usage limit',
  ])('halts on %p', (line) => {
    expect(scanLines(`some output\n${line}\nmore`, p)?.kind).toBe('halt');
  });

  test.each([
    ['+ERROR: quota exhausted', 'added diff line'],
    ['-FATAL: authentication failed', 'removed diff line'],
    ['3f2a9c1 ERROR: quota exhausted handling', 'git log --oneline'],
    ['src/errors.ts:12: ERROR: invalid api key', 'grep -n listing'],
    ['  "message": "ERROR: authentication failed"', 'JSON member'],
    ['> ERROR: usage limit reached', 'quoted text'],
    ['1. ERROR: quota exhausted', 'numbered list'],
    ['{"type":"tool_result","content":"ERROR: authentication failed"}', 'quoted in JSON'],
  ])('does not halt on echoed content %p (%s)', (line) => {
    expect(scanLines(line, p)).toBeNull();
  });

  test('error patterns (rate limit, API 5xx) match but do not halt', () => {
    expect(scanLines('Error: rate_limit exceeded', p)).toMatchObject({ kind: 'error' });
    expect(scanLines('ERROR API error 529 overloaded', p)).toMatchObject({ kind: 'error' });
    // error patterns are not echo-filtered, like the baseline
    expect(isEchoedContent('+ERROR: rate limit')).toBe(true);
  });

  test('patterns are case-sensitive like the baseline: prose "error: authentication failed" does not match', () => {
    expect(scanLines('the test checks that error: authentication failed is shown', p)).toBeNull();
  });

  test('the live scanner sees a line split across chunks and only complete lines', () => {
    const s = new LiveScanner(p);
    expect(s.feed('stderr', 'ERROR: authenti')).toBeNull();
    expect(s.feed('stdout', 'unrelated\n')).toBeNull();
    expect(s.feed('stderr', 'cation failed\n')?.kind).toBe('halt');
  });
});
