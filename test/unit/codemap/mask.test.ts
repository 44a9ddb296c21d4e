import { describe, expect, test } from 'bun:test';
import { maskCFamily, maskJs, maskPython } from '../../../src/codemap/mask.ts';

describe('maskJs', () => {
  test('blanks comments, strings, nested templates and regexes but keeps code, offsets and newlines', () => {
    const src = 'const a = "x{y"; // c {\nconst b = `t ${ `in ${ {k: 1}.k }` } {`; /* { */ const r = /["{]/g;\nf({});';
    const masked = maskJs(src);
    expect(masked.length).toBe(src.length);
    expect(masked.split('\n').length).toBe(3);
    expect(masked.replace(/[^{}]/g, '')).toBe('{}'); // only the real braces of f({}) survive
    expect(masked).toContain('const r = /');
    expect(masked).toContain('f({});');
  });

  test('division is not mistaken for a regex', () => {
    const src = 'const half = total / 2; const q = "a/b"; const x = (a) / (b) / 2; function f() {}';
    expect(maskJs(src)).toContain('function f() {}');
    expect(maskJs(src)).toContain('(a) / (b) / 2');
  });

  test('an apostrophe in JSX text only masks to the end of its line', () => {
    const masked = maskJs("const el = <p>Don't</p>;\nexport function after() {}\n");
    expect(masked).toContain('export function after() {}');
  });
});

describe('maskPython', () => {
  test('triple-quoted strings across lines, prefixed strings, escapes and comments', () => {
    const src = 'x = """a\ndef fake():\n    \\""" still"""\ny = rb\'it\\\'s\'  # def comment()\ndef real(): pass\n';
    const masked = maskPython(src);
    expect(masked).not.toContain('fake');
    expect(masked).not.toContain('comment');
    expect(masked).toContain('def real(): pass');
    expect(masked.split('\n').length).toBe(src.split('\n').length);
  });

  test('an unterminated one-line string stops at the end of its line', () => {
    expect(maskPython('s = "oops\ndef real(): pass\n')).toContain('def real(): pass');
  });
});

describe('maskCFamily', () => {
  test('Go raw strings and Rust raw strings, char literals and lifetimes', () => {
    expect(maskCFamily('var s = `func X() {\n}`\nfunc Y() {}', 'go')).toContain('func Y() {}');
    expect(maskCFamily('var s = `func X() {\n}`\nfunc Y() {}', 'go')).not.toContain('X');
    const rs = maskCFamily('let s = r#"pub fn x() {"#; let c = \'{\'; fn f<\'a>(x: &\'a str) {}', 'rust');
    expect(rs.replace(/[^{}]/g, '')).toBe('{}');
    expect(rs).toContain("fn f<'a>(x: &'a str) {}");
  });
});
