import { describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePassWhen, PassWhenError } from '../../../src/pass-when/index.ts';

const repo = mkdtempSync(join(tmpdir(), 'passwhen-'));
writeFileSync(join(repo, 'c.json'), JSON.stringify({ totals: { percent_covered: 93.5 }, list: [1, 2], name: 'x' }));
mkdirSync(join(repo, 'sub'));
writeFileSync(join(repo, 'sub', 'r.json'), '[{"ok": true}]');
symlinkSync(join(repo, 'c.json'), join(repo, 'link.json'));
symlinkSync(join(repo, 'sub'), join(repo, 'linkdir'));
writeFileSync(join(repo, 'bad.json'), '{not json');

const run = (expr: string, ctx: Partial<{ exit_code: number; stdout: string; stderr: string }> = {}) =>
  compilePassWhen(expr).evaluate({ exit_code: 0, stdout: '', stderr: '', cwd: repo, ...ctx });

function parseError(expr: string): PassWhenError {
  try {
    compilePassWhen(expr);
  } catch (error) {
    expect(error).toBeInstanceOf(PassWhenError);
    return error as PassWhenError;
  }
  throw new Error(`expected ${expr} to be rejected`);
}

function runtimeError(expr: string, ctx: Partial<{ exit_code: number; stdout: string; stderr: string }> = {}): PassWhenError {
  const compiled = compilePassWhen(expr);
  try {
    compiled.evaluate({ exit_code: 0, stdout: '', stderr: '', cwd: repo, ...ctx });
  } catch (error) {
    expect(error).toBeInstanceOf(PassWhenError);
    expect((error as PassWhenError).phase).toBe('runtime');
    return error as PassWhenError;
  }
  throw new Error(`expected ${expr} to fail at runtime`);
}

describe('pass_when: the baseline accepted forms', () => {
  test.each([
    ['exit_code == 0', { exit_code: 0 }, true],
    ['exit_code == 0', { exit_code: 1 }, false],
    ["regex('passed', stdout) != None", { stdout: '3 passed' }, true],
    ["regex('passed', stdout) != None", { stdout: '3 failed' }, false],
    ["regex('failed', stdout) == None and regex('passed', stdout + stderr) != None", { stdout: 'ok', stderr: '5 passed' }, true],
    ["'passed' in stdout", { stdout: 'all passed' }, true],
    ["'passed' not in stdout", { stdout: 'all passed' }, false],
    ['len(stdout.splitlines()) == 2', { stdout: 'a\nb\n' }, true],
    ["json('c.json').totals.percent_covered >= 90", {}, true],
    ["json('c.json').totals.percent_covered >= 95", {}, false],
    ["len(json('c.json').list) == 2", {}, true],
    ["int('3') + 1 == 4", {}, true],
    ['not exit_code == 1', { exit_code: 0 }, true],
    ['0 <= exit_code < 2', { exit_code: 1 }, true],
    ['0 <= exit_code < 2', { exit_code: 2 }, false],
    ['exit_code is 0', { exit_code: 0 }, true],
    ["float('1.5') > 1", {}, true],
    ["stdout.strip(' ') == 'x'", { stdout: '  x ' }, true],
  ] as const)('%p with %p → %p', (expr, ctx, expected) => {
    expect(run(expr, ctx)).toBe(expected);
  });
});

describe('pass_when: our documented widenings', () => {
  test('chained method calls work', () => {
    expect(run("stdout.strip().endswith('ok')", { stdout: 'all ok\n' })).toBe(true);
    expect(run("stdout.lower().startswith('hello')", { stdout: 'HELLO world' })).toBe(true);
  });
  test('a negative number literal compares with a signal death', () => {
    expect(run('exit_code == -15', { exit_code: -15 })).toBe(true);
  });
  test('multi-line expressions from YAML blocks', () => {
    expect(run("exit_code == 0\n  and 'ok' in stdout\n", { stdout: 'ok' })).toBe(true);
  });
});

describe('pass_when: Python semantics', () => {
  test('and/or short-circuit and return operands, but the final result must be a bool: refused at load when it can never be one, checked at run when it may', () => {
    // What can never be a bool is refused when the goals file loads (peers info, verify), at the part that cannot.
    expect(parseError('exit_code').message).toMatch(/must return a bool, and this is always a value of type int: compare it/);
    expect(parseError("exit_code == 0 and regex('x', stdout)")).toMatchObject({ message: expect.stringMatching(/always a match or None/), offset: 19 });
    expect(parseError('stdout.strip()').message).toMatch(/always a value of type str/);
    expect(parseError('len(stdout)').message).toMatch(/always a value of type int/);
    expect(parseError("'ok' in stdout or stdout").message).toMatch(/always a value of type str/);
    expect(parseError('stdout + stderr').message).toMatch(/type str/);
    expect(parseError('0').message).toMatch(/type int/);
    expect(parseError('None').message).toMatch(/type NoneType/);
    // A json value, a comparison, a startswith may be a bool: they load, and a json value that is not one fails the run.
    for (const ok of ["json('c.json').name", "stdout.startswith('ok')", 'True', "not stdout", "json('c.json').list and exit_code == 0"]) expect(() => compilePassWhen(ok)).not.toThrow();
    expect(runtimeError("json('c.json').totals.percent_covered").message).toMatch(/must return bool, got float/);
    // Short circuit: the json() that would fail is never evaluated.
    expect(run("exit_code == 1 and json('missing.json').x == 1", { exit_code: 0 })).toBe(false);
    expect(run("exit_code == 0 or json('missing.json').x == 1")).toBe(true);
  });
  test('bool is an int; None only equals None', () => {
    expect(run('True + 1 == 2')).toBe(true);
    expect(run('True == 1')).toBe(true);
    expect(run('None == 0')).toBe(false);
    expect(run('None is None')).toBe(true);
    expect(run("regex('x', stdout) is not None", { stdout: 'x' })).toBe(true);
  });
  test('ordering across types is an error, naming the types', () => {
    expect(runtimeError("stdout < 3").message).toBe("'<' not supported between instances of 'str' and 'int'");
    expect(runtimeError("1 + 'a' == 2").message).toMatch(/unsupported operand type\(s\) for \+: 'int' and 'str'/);
  });
  test('string methods', () => {
    expect(run("stdout.split() == json('c.json').list", { stdout: '' })).toBe(false);
    expect(run("len('a  b\\tc'.split()) == 3")).toBe(true);
    expect(run("len('a,b,,c'.split(',')) == 4")).toBe(true);
    expect(run("'  x'.lstrip() == 'x' and 'x  '.rstrip() == 'x' and 'xyx'.strip('x') == 'y'")).toBe(true);
    expect(run("'AbC'.lower() == 'abc' and 'abc'.upper() == 'ABC'")).toBe(true);
    expect(run("len(''.splitlines()) == 0 and len('a\\r\\nb\\n'.splitlines()) == 2")).toBe(true);
    expect(run("'x' in 'a x b'.split()")).toBe(true);
  });
  test('int() and float() follow Python parsing', () => {
    expect(run("int(' 42 ') == 42 and int('1_000') == 1000 and int(3.9) == 3")).toBe(true);
    expect(runtimeError("int('3.5') == 3").message).toBe("invalid literal for int() with base 10: '3.5'");
    expect(runtimeError("float('abc') == 1").message).toMatch(/could not convert string to float/);
    expect(run("float('1e3') == 1000")).toBe(true);
  });
  test('len counts characters, not bytes', () => {
    expect(run("len('€€') == 2")).toBe(true);
  });
  test('string escapes and raw strings', () => {
    expect(run("regex(r'\\d+ passed', stdout) != None", { stdout: '12 passed' })).toBe(true);
    expect(run("regex('\\d+ passed', stdout) != None", { stdout: '12 passed' })).toBe(true);
    expect(run("'a\\nb' == stdout", { stdout: 'a\nb' })).toBe(true);
    expect(run("'it''s' == 'its'")).toBe(true);
  });
  test('regex match object exposes .string', () => {
    expect(run("regex('x', stdout).string == stdout", { stdout: 'axb' })).toBe(true);
    expect(runtimeError("regex('x', stdout).group == 1", { stdout: 'x' }).message).toMatch(/has no attribute 'group'/);
  });
  test('at most 1 MiB of characters is visible: the start and the end, where test summaries are', () => {
    const big = 'HEAD ' + 'a'.repeat(1024 * 1024) + 'MIDDLE' + 'b'.repeat(1024 * 1024) + ' 3 passed, 0 failed';
    expect(run("'0 failed' in stdout and stdout.startswith('HEAD ')", { stdout: big })).toBe(true);
    expect(run("'MIDDLE' in stdout", { stdout: big })).toBe(false);
    expect(run('len(stdout) == 1048576', { stdout: big })).toBe(true);
  });
});

describe('pass_when: json()', () => {
  test('reads nested files and lists', () => {
    expect(run("len(json('sub/r.json')) == 1")).toBe(true);
    expect(run("'totals' in json('c.json')")).toBe(true);
    expect(run("json('c.json').list == json('c.json').list")).toBe(true);
  });
  test.each([
    ["json('/etc/passwd') == 1", /must be relative/],
    ["json('../x.json') == 1", /may not be empty, '\.' or '\.\.'/],
    ["json('sub//r.json') == 1", /may not be empty/],
    ["json('') == 1", /empty path/],
    ["json('link.json') == 1", /'link\.json' is a symlink/],
    ["json('linkdir/r.json') == 1", /'linkdir' is a symlink/],
    ["json('missing.json') == 1", /no such file/],
    ["json('bad.json') == 1", /not valid JSON/],
    ["json('c.json').nokey == 1", /json value has no key 'nokey'/],
  ])('%p fails the gate with a clear message', (expr, message) => {
    expect(runtimeError(expr).message).toMatch(message);
  });
  test('files over 2 MiB are refused', () => {
    writeFileSync(join(repo, 'huge.json'), `"${'x'.repeat(2 * 1024 * 1024 + 10)}"`);
    expect(runtimeError("json('huge.json') == 1").message).toMatch(/larger than/);
  });
});

describe('pass_when: rejected at load time with an offset', () => {
  test.each([
    ['exit_code == 0 and', 'unexpected end of expression', 18],
    ["regex('x', stdout).group(1) != None", "method 'group' is not allowed", 19],
    ['stdout.splitlines()[-1]', 'subscripts and lists are not supported', 19],
    ['exit_code in [0, 1]', 'subscripts and lists are not supported', 13],
    ['exit_code in (0, 1)', 'tuples are not supported', 15],
    ['1 - 1 == 0', "only '+' is supported", 2],
    ["'a' * 3", "only '+' is supported", 4],
    ['1 if exit_code else 2', "'if' is not supported", 2],
    ["f'x' == stdout", 'f-strings are not supported', 0],
    ["b'x' == stdout", 'byte strings are not supported', 0],
    ['1234567890123456789 == 1', 'integer literal longer than 18 digits', 0],
    ['stdout.__class__ == 1', "names starting with '_' are not accessible", 7],
    ["stdout.split('\\n', 1) == 1", 'split() takes 0 to 1 arguments, got 2', 7],
    ["regex('x') == None", 'regex() takes 2 arguments, got 1', 0],
    ['cwd.exists()', "unknown name 'cwd'", 0],
    ['open("x")', "unknown name 'open'", 0],
    ['exit_code = 0', "'=' is assignment; compare with '=='", 10],
    ["regex('(a)\\\\1', stdout) != None", 'backreferences are not supported', 6],
    ["regex('(?=a)', stdout) != None", 'lookahead/lookbehind assertions are not supported', 6],
    ["regex('(?<!a)b', stdout) != None", 'lookahead/lookbehind', 6],
    ["regex('a(?i)b', stdout) != None", 'global flags not at the start', 6],
    ["regex('(unclosed', stdout) != None", 'missing ), unterminated subpattern', 6],
    ["regex('" + 'a'.repeat(1025) + "', stdout) != None", 'pattern longer than 1024 bytes', 6],
    ["regex('(a{5000}){5000}', stdout) != None", 'regex too large', 6],
    ["'unterminated", 'unterminated string literal', 0],
    ['', 'pass_when is empty', 0],
  ])('%p → %p at %p', (expr, message, offset) => {
    const error = parseError(expr);
    expect(error.message).toContain(message);
    expect(error.offset).toBe(offset);
  });

  test('nesting is bounded: 100 levels work, a 300 000-deep expression is an error with its offset, not a stack overflow', () => {
    expect(run(`${'('.repeat(98)}exit_code == 0${')'.repeat(98)}`)).toBe(true);
    expect(run(`${'not '.repeat(98)}True`)).toBe(true);
    for (const deep of [`${'('.repeat(300_000)}1${')'.repeat(300_000)}`, `${'not '.repeat(300_000)}True`, `stdout${'.strip()'.repeat(300_000)} == ''`]) {
      const error = parseError(deep);
      expect(error.message).toBe('expression nested deeper than 100 levels');
      expect(error.offset).toBeGreaterThan(0);
    }
  });

  test('a pattern built at runtime is still checked, at evaluation', () => {
    expect(runtimeError("regex('(?=' + stdout + ')', stdout) != None", { stdout: 'x' }).message).toMatch(/lookahead/);
  });
});

test('parsing alone (what the goals loader calls) already rejects an unsupported literal regex', async () => {
  const { parsePassWhen } = await import('../../../src/pass-when/parser.ts');
  expect(() => parsePassWhen("regex('(?=x)', stdout) != None")).toThrow(/lookahead/);
});
