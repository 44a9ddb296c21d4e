import { describe, expect, test } from 'bun:test';
import { DEFAULT_ERROR_PATTERNS, DEFAULT_HALT_PATTERNS, LINE_WINDOW, LiveScanner, compilePatterns, isEchoedContent, scanLines } from '../../../src/peer-output/halt-patterns.ts';
import { seededRandom, seedFrom } from '../../fuzz/seeded-random.ts';

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

const MiB = 1024 * 1024;

describe('scanning is linear in the output: long lines are judged by their head and tail windows', () => {
  // Before: one 240 KB line of ERROR words took 66 s (the lazy prefix retried from every ERROR).
  // Each case here is several MB; the generous test timeout is the only clock.
  test('a multi-MB line of ERROR words still halts on the auth failure at its end', () => {
    const line = `${'ERROR '.repeat((4 * MiB) / 6)}ERROR: authentication failed`;
    expect(scanLines(`start\n${line}\nend`, p)).toMatchObject({ kind: 'halt', snippet: expect.stringContaining('authentication failed') });
  }, 30_000);

  test('a multi-MB line with the failure at its start halts too, and a clean one does not', () => {
    expect(scanLines(`ERROR: quota exhausted ${'x '.repeat(2 * MiB)}`, p)?.kind).toBe('halt');
    expect(scanLines(`${'ERROR API error '.repeat(MiB / 4)}\n${'FATAL '.repeat(MiB)}`, p)).toBeNull();
  }, 30_000);

  test('a multi-MB diff line stays echoed content whatever its tail says', () => {
    expect(scanLines(`+${'ERROR '.repeat(MiB / 2)}ERROR: quota exhausted`, p)).toBeNull();
  }, 30_000);

  test('a multi-MB JSON event quoting the failure at its end is not a status line', () => {
    const event = `{"type":"tool_result","content":"${'ERROR: '.repeat(MiB / 2)} ERROR: authentication failed"}`;
    expect(scanLines(event, p)).toBeNull();
    // The same text unquoted is one.
    expect(scanLines(event.replaceAll('"', ''), p)?.kind).toBe('halt');
  }, 30_000);

  test('the middle of a long line is not scanned (a flood is not a status line)', () => {
    const middle = `${'x '.repeat(MiB)}ERROR: authentication failed ${'x '.repeat(MiB)}`;
    expect(scanLines(middle, p)).toBeNull();
  }, 30_000);

  test('a line just within two windows is scanned whole', () => {
    const line = `ERROR ${'x'.repeat(2 * LINE_WINDOW - 40)} authentication failed`;
    expect(line.length).toBeLessThanOrEqual(2 * LINE_WINDOW);
    expect(scanLines(line, p)?.kind).toBe('halt');
  });
});

describe('the live scanner sees exactly what scanLines sees, however the output is chunked', () => {
  const WORDS = ['ERROR', 'FATAL', ' ', ' ', '"', 'x', 'xx', '\r', 'authentication failed', 'quota exhausted', 'API error', ' 503', 'rate limit', '+', '3f2a9c1 '];
  test('random long lines in random chunks (fixed seed)', () => {
    const rnd = seededRandom(seedFrom('PEERS_SCAN_SEED', 1414));
    for (let round = 0; round < 150; round++) {
      const lines: string[] = [];
      for (let l = rnd.int(4); l >= 0; l--) {
        const target = rnd.pick([10, LINE_WINDOW - 3, 2 * LINE_WINDOW - 1, 2 * LINE_WINDOW + 1, 2 * LINE_WINDOW + 2, 3 * LINE_WINDOW, 40_000]);
        let line = '';
        while (line.length < target) line += rnd.chance(0.7) ? 'x' : rnd.pick(WORDS);
        lines.push(line);
      }
      const text = lines.join('\n') + (rnd.chance(0.5) ? '\n' : '');
      const expected = scanLines(text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1), p);
      const s = new LiveScanner(p);
      let got: ReturnType<LiveScanner['feed']> = null;
      for (let i = 0; i < text.length && !got; ) {
        const n = 1 + rnd.int(rnd.chance(0.3) ? 20 : 9000);
        got = s.feed('stdout', text.slice(i, i + n));
        i += n;
      }
      if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error(`round ${round} (seed ${rnd.seed}): live ${JSON.stringify(got)} vs whole ${JSON.stringify(expected)}`);
    }
  }, 60_000);
});

describe('the linear default patterns', () => {
  // The patterns as they were before they were made linear: the reference for what they accept.
  const OLD = '^[^"\\n]*?\\b(?:ERROR|FATAL)\\b[^"\\n]*?';
  const oldHalt = [`${OLD}authentication[ _-]?(?:failed|error)`, '^Error:\\s*authentication[_-]?(?:error|failed)', `${OLD}(?:invalid|missing|expired)[ _-]?api[ _-]?key`, `${OLD}quota[ _-]?exhausted`, `${OLD}usage[ _-]?limit[ _-]?(?:reached|exceeded|exhausted)`, `${OLD}hit your usage limit`];
  const oldError = [`${OLD}\\brate.?limit`, `${OLD}\\bAPI[ _-]?error\\b[^"\\n]*?\\b5\\d\\d\\b`, '^Error:\\s*rate[_-]?limit'];

  test('accept exactly the short lines the earlier (quadratic) ones accepted', () => {
    const rnd = seededRandom(seedFrom('PEERS_SCAN_SEED', 77));
    const WORDS = ['ERROR', 'FATAL', 'Error:', ' ', '"', 'x', '_', '-', 'authentication', 'failed', 'error', 'API', 'API error', '500', '5', 'rate', 'limit', 'rate-limit', 'quota', 'exhausted', 'invalid', 'api', 'key', 'usage limit reached', 'hit your usage limit'];
    for (let i = 0; i < 5000; i++) {
      let line = '';
      for (let w = 1 + rnd.int(12); w > 0; w--) line += rnd.pick(WORDS) + (rnd.chance(0.6) ? ' ' : '');
      const kinds = [DEFAULT_HALT_PATTERNS, oldHalt, DEFAULT_ERROR_PATTERNS, oldError].map((list) => list.map((re) => new RegExp(re, 'm').test(line)).join());
      if (kinds[0] !== kinds[1] || kinds[2] !== kinds[3]) throw new Error(`differ on ${JSON.stringify(line)}`);
    }
  });
});

describe('patterns combined into one expression', () => {
  test('reports which pattern matched, halt before error on one line', () => {
    const c = compilePatterns(['(a)(b)c', 'zz(q)?', 'halt-me'], ['(x)y', 'err-me']);
    expect(scanLines('err-me then halt-me', c)).toEqual({ kind: 'halt', pattern: 'halt-me', snippet: 'halt-me' });
    expect(scanLines('only err-me', c)).toEqual({ kind: 'error', pattern: 'err-me', snippet: 'err-me' });
    expect(scanLines('abc', c)?.pattern).toBe('(a)(b)c');
  });

  test('patterns that cannot share one expression (backreferences, same group names) still work', () => {
    const c = compilePatterns(['(?<w>o)\\k<w>ps', '(?<w>d)ie', '(a)\\1-bad'], []);
    expect(scanLines('oops', c)?.pattern).toBe('(?<w>o)\\k<w>ps');
    expect(scanLines('we die', c)?.pattern).toBe('(?<w>d)ie');
    expect(scanLines('aa-bad', c)?.pattern).toBe('(a)\\1-bad');
    expect(scanLines('ab-bad', c)).toBeNull();
  });
});
