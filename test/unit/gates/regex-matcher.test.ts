import { describe, expect, test } from 'bun:test';
import { compileRegex, RegexBudgetError } from '../../../src/pass-when/regex/matcher.ts';

const search = (pattern: string, text: string) => compileRegex(pattern).search(text);

describe('linear-time regex: agrees with a backtracking engine on the common subset', () => {
  // Each pattern is valid in both Python re and JS RegExp with the same meaning.
  const patterns = [
    'abc', 'a.c', '^abc', 'abc$', 'a|b|cd', '(ab)+c', 'a*b', 'a+?b', 'colou?r', 'x{2}', 'x{2,}', 'x{1,3}y',
    '[a-c]+', '[^a-c]+$', '\\d+ passed', '\\w+@\\w+', '\\s\\S', '\\bword\\b', '\\Bor', '(?:ab|cd)e', '[.]', '\\.', 'a[-z]',
    '[\\d\\s]+x', '^$', '(a|ab)(c|bcd)(d*)', '\\D\\W', '[a-]', '(x|)y',
  ];
  const inputs = ['abc', 'xabcx', 'ac', 'a.c', 'bd', 'cd', 'ababc', 'aaab', 'color', 'colour', 'xx', 'x', 'xxxy', 'cab', 'def',
    '12 passed', 'me@host', ' a', 'a word here', 'words', 'word', 'cde', 'abe', '.', 'a-', 'az', '1 2 x', '', 'abcd', '!!', ']', 'y'];
  for (const pattern of patterns) {
    test(pattern, () => {
      const js = new RegExp(pattern);
      for (const input of inputs) expect([pattern, input, search(pattern, input)]).toEqual([pattern, input, js.test(input)]);
    });
  }
});

describe('linear-time regex: Python re specifics', () => {
  test('$ matches before one trailing newline; \\Z only at the very end', () => {
    expect(search('ok$', 'ok\n')).toBe(true);
    expect(search('ok\\Z', 'ok\n')).toBe(false);
    expect(search('ok\\Z', 'ok')).toBe(true);
    expect(search('ok$', 'ok\nmore')).toBe(false);
    expect(search('\\Aok', 'x\nok')).toBe(false);
  });
  test('inline flags (?i) (?m) (?s) and scoped (?i:...)', () => {
    expect(search('(?i)error', 'ERROR: boom')).toBe(true);
    expect(search('error', 'ERROR: boom')).toBe(false);
    expect(search('^b', 'a\nb')).toBe(false);
    expect(search('(?m)^b$', 'a\nb\nc')).toBe(true);
    expect(search('a.b', 'a\nb')).toBe(false);
    expect(search('(?s)a.b', 'a\nb')).toBe(true);
    expect(search('(?i:a)B', 'AB')).toBe(true);
    expect(search('(?i:a)B', 'Ab')).toBe(false);
    expect(search('(?i)[a-c]+x', 'ABCX')).toBe(true);
  });
  test('{ that is not a quantifier is a literal; {,n} is a quantifier', () => {
    expect(search('a{x}', 'a{x}')).toBe(true);
    expect(search('^a{,2}$', 'aa')).toBe(true);
    expect(search('^a{,2}$', 'aaa')).toBe(false);
  });
  test('\\w and \\d are Unicode-aware unless (?a)', () => {
    expect(search('^\\w+$', 'héllo')).toBe(true);
    expect(search('(?a)^\\w+$', 'héllo')).toBe(false);
    expect(search('^\\d$', '٣')).toBe(true);
  });
  test('a ] first in a class is a literal (JS would read an empty class)', () => {
    expect(search('^[]a]+$', ']a]')).toBe(true);
  });
  test('characters outside the BMP are one character', () => {
    expect(search('^.$', '😀')).toBe(true);
  });
  test('escapes: \\x, \\u, octal, named groups', () => {
    expect(search('\\x41\\u00e9', 'Aé')).toBe(true);
    expect(search('\\101', 'A')).toBe(true);
    expect(search('(?P<n>ab)c', 'abc')).toBe(true);
    expect(search('(?#comment)ab', 'ab')).toBe(true);
  });
});

describe('linear-time regex: bounded cost', () => {
  test('the classic catastrophic (a+)+$ finishes on 30k a + b', () => {
    // A backtracking engine explores 2^30000 ways to split the a's before concluding "no match".
    expect(search('(a+)+$', 'a'.repeat(30_000) + 'b')).toBe(false);
    expect(search('^(a+)+$', 'a'.repeat(30_000) + 'b')).toBe(false);
    expect(search('(a|aa)*c', 'a'.repeat(30_000))).toBe(false);
    expect(search('(x+x+)+y', 'x'.repeat(30_000))).toBe(false);
  });
  test('a search over budget raises instead of running on', () => {
    expect(() => compileRegex('(a|b|c|d|e|f|g|h)*z', 1000).search('abcdefgh'.repeat(1000))).toThrow(RegexBudgetError);
  });
});
