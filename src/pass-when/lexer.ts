/**
 * Tokenizer for `pass_when`, the subset of Python expression syntax that gates use. Newlines count
 * as plain whitespace, so
 * YAML `|` blocks work and offsets still point into the text the user wrote.
 */
import { PassWhenError } from './errors.ts';

export type Token =
  | { kind: 'name'; value: string; offset: number }
  | { kind: 'number'; value: number; isFloat: boolean; offset: number }
  | { kind: 'string'; value: string; offset: number }
  | { kind: 'op'; value: string; offset: number }
  | { kind: 'end'; offset: number };

export const MAX_STRING_BYTES = 8192;
const MAX_INT_DIGITS = 18;
const OPERATORS = ['==', '!=', '<=', '>=', '<', '>', '+', '-', '(', ')', ',', '.', '='];
const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '',
};

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    const prefix = /^([rRbBfFuU]{1,2})(['"])/.exec(src.slice(i, i + 3));
    if (c === "'" || c === '"' || prefix) {
      const flags = prefix ? prefix[1]!.toLowerCase() : '';
      if (flags.includes('b')) throw new PassWhenError('byte strings are not supported', start);
      if (flags.includes('f')) throw new PassWhenError('f-strings are not supported', start);
      i += flags.length;
      const [value, next] = readString(src, i, flags.includes('r'));
      if (new TextEncoder().encode(value).length > MAX_STRING_BYTES) {
        throw new PassWhenError(`string literal longer than ${MAX_STRING_BYTES} bytes`, start);
      }
      tokens.push({ kind: 'string', value, offset: start });
      i = next;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i]!)) i++;
      tokens.push({ kind: 'name', value: src.slice(start, i), offset: start });
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(?:\d(?:_?\d)*)?(\.(?:\d(?:_?\d)*)?)?([eE][+-]?\d+)?/.exec(src.slice(i))!;
      const text = m[0];
      i += text.length;
      if (/[A-Za-z_]/.test(src[i] ?? '')) throw new PassWhenError(`invalid number literal '${text}${src[i]}'`, start);
      const isFloat = m[1] !== undefined || m[2] !== undefined;
      const digits = text.replaceAll('_', '');
      if (!isFloat && digits.length > MAX_INT_DIGITS) throw new PassWhenError(`integer literal longer than ${MAX_INT_DIGITS} digits`, start);
      if (!isFloat && digits.length > 1 && digits.startsWith('0') && /[1-9]/.test(digits)) {
        throw new PassWhenError('leading zeros in integer literals are not permitted', start);
      }
      tokens.push({ kind: 'number', value: Number(digits), isFloat, offset: start });
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', value: op, offset: start });
      i += op.length;
      continue;
    }
    const hint: Record<string, string> = {
      '[': 'subscripts and lists are not supported',
      '*': "only '+' is supported among arithmetic operators",
      '/': "only '+' is supported among arithmetic operators",
      '%': "only '+' is supported among arithmetic operators",
      '#': 'comments are not supported',
    };
    throw new PassWhenError(hint[c] ?? `unexpected character '${c}'`, start);
  }
  tokens.push({ kind: 'end', offset: src.length });
  return tokens;
}

function readString(src: string, i: number, raw: boolean): [string, number] {
  const start = i;
  const triple = src.startsWith(src[i]!.repeat(3), i);
  const quote = triple ? src[i]!.repeat(3) : src[i]!;
  i += quote.length;
  let out = '';
  for (;;) {
    if (i >= src.length) throw new PassWhenError('unterminated string literal', start);
    if (src.startsWith(quote, i)) return [out, i + quote.length];
    const c = src[i]!;
    if (c === '\n' && !triple) throw new PassWhenError('unterminated string literal', start);
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const n = src[i + 1];
    if (n === undefined) throw new PassWhenError('unterminated string literal', start);
    if (raw) {
      // Raw strings keep the backslash; it only stops the next quote from ending the literal.
      out += c + n;
      i += 2;
      continue;
    }
    if (n in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[n];
      i += 2;
      continue;
    }
    const hex = n === 'x' ? 2 : n === 'u' ? 4 : n === 'U' ? 8 : 0;
    if (hex) {
      const digits = src.slice(i + 2, i + 2 + hex);
      if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) throw new PassWhenError(`truncated \\${n} escape`, i);
      const cp = parseInt(digits, 16);
      if (cp > 0x10ffff) throw new PassWhenError(`illegal Unicode character \\${n}${digits}`, i);
      out += String.fromCodePoint(cp);
      i += 2 + hex;
      continue;
    }
    const oct = /^[0-7]{1,3}/.exec(src.slice(i + 1));
    if (oct) {
      out += String.fromCodePoint(parseInt(oct[0], 8));
      i += 1 + oct[0].length;
      continue;
    }
    // Python keeps unknown escapes such as '\d' verbatim, which regex patterns rely on.
    out += c + n;
    i += 2;
  }
}
