/**
 * Lexical masking: a copy of the source where the CONTENTS of comments, strings, template
 * literals and regex literals are spaces (newlines kept, so offsets and line numbers stay exact).
 * The parsers then look for declarations and count braces in the masked text, where no `{`, `def`
 * or `export` inside a string or comment can mislead them, and slice signatures from the original.
 */

const REGEX_PRECEDERS = new Set(['(', ',', '=', ':', '[', '!', '&', '|', '?', '{', '}', ';', '+', '-', '*', '%', '<', '>', '~', '^']);
const REGEX_KEYWORDS = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

/** Ranges to blank, collected while scanning and applied once (per-char array writes are slow on MB files). */
type Ranges = number[];
function blank(out: Ranges, from: number, to: number, _src?: string): void {
  if (to > from) out.push(from, to);
}

function applyBlanks(src: string, ranges: Ranges): string {
  if (ranges.length === 0) return src;
  const parts: string[] = [];
  let at = 0;
  for (let r = 0; r < ranges.length; r += 2) {
    const from = Math.max(ranges[r]!, at);
    const to = ranges[r + 1]!;
    if (to <= from) continue;
    const seg = src.slice(from, to);
    parts.push(src.slice(at, from), seg.includes('\n') ? seg.split('\n').map((l) => ' '.repeat(l.length)).join('\n') : ' '.repeat(seg.length));
    at = to;
  }
  parts.push(src.slice(at));
  return parts.join('');
}

function isIdentChar(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code === 36;
}

/** JavaScript/TypeScript: `//`, `/* *\/`, '…', "…", `…${expr}…` (nested), /regex/. */
export function maskJs(src: string, comments: number[] = []): string {
  const out: Ranges = [];
  const n = src.length;
  // Stack of open template literals' expression brace depths; non-empty = inside `${ … }`.
  const templateDepth: number[] = [];
  let i = 0;
  let lastSig = ''; // last significant code char, for the regex-vs-division decision
  let lastWord = '';
  let maskFrom = -1; // start of the outermost template being masked, -1 when none

  const scanTemplateChunk = (start: number): number => {
    // From inside a template (after ` or after }), to the closing ` or the next ${.
    let k = start;
    while (k < n) {
      const c = src[k];
      if (c === '\\') k += 2;
      else if (c === '`') return k + 1;
      else if (c === '$' && src[k + 1] === '{') {
        templateDepth.push(0);
        return k + 2;
      } else k++;
    }
    return n;
  };

  while (i < n) {
    const c = src[i]!;
    const next = src[i + 1];
    if (c === '/' && next === '/') {
      const end = src.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      if (maskFrom === -1) blank(out, i, stop, src), comments.push(i, stop);
      i = stop;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      if (maskFrom === -1) blank(out, i, stop, src), comments.push(i, stop);
      i = stop;
      continue;
    }
    if (c === '"' || c === "'") {
      let k = i + 1;
      while (k < n && src[k] !== c && src[k] !== '\n') k += src[k] === '\\' ? 2 : 1;
      const stop = Math.min(k + 1, n);
      if (maskFrom === -1) blank(out, i + 1, Math.max(i + 1, stop - 1), src);
      i = stop;
      lastSig = 'a';
      lastWord = '';
      continue;
    }
    if (c === '`') {
      if (maskFrom === -1) maskFrom = i + 1;
      const before = templateDepth.length;
      i = scanTemplateChunk(i + 1);
      if (templateDepth.length === before) {
        // closed without an expression
        if (templateDepth.length === 0 && maskFrom !== -1) {
          blank(out, maskFrom, i - 1, src);
          maskFrom = -1;
        }
      }
      lastSig = 'a';
      lastWord = '';
      continue;
    }
    if (templateDepth.length > 0 && (c === '{' || c === '}')) {
      const top = templateDepth.length - 1;
      if (c === '{') templateDepth[top]!++;
      else if (templateDepth[top] === 0) {
        templateDepth.pop();
        const before = templateDepth.length;
        i = scanTemplateChunk(i + 1);
        if (templateDepth.length === before && templateDepth.length === 0 && maskFrom !== -1) {
          blank(out, maskFrom, i - 1, src);
          maskFrom = -1;
        }
        continue;
      } else templateDepth[top]!--;
      i++;
      continue;
    }
    if (c === '/' && (lastSig === '' || REGEX_PRECEDERS.has(lastSig) || REGEX_KEYWORDS.has(lastWord))) {
      const end = regexEnd(src, i);
      if (end !== -1) {
        if (maskFrom === -1) blank(out, i + 1, end - 1, src);
        i = end;
        lastSig = 'a';
        lastWord = '';
        continue;
      }
    }
    if (isIdentChar(src.charCodeAt(i))) {
      let k = i;
      while (k < n && isIdentChar(src.charCodeAt(k))) k++;
      lastWord = src.slice(i, k);
      lastSig = 'a';
      i = k;
      continue;
    }
    if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') {
      lastSig = c;
      lastWord = '';
    }
    i++;
  }
  if (maskFrom !== -1) blank(out, maskFrom, n, src);
  return applyBlanks(src, out);
}

/** End offset (exclusive, after flags) of a regex literal starting at `start`, or -1 if it is not one. */
function regexEnd(src: string, start: number): number {
  let k = start + 1;
  let inClass = false;
  while (k < src.length) {
    const c = src[k];
    if (c === '\n') return -1;
    if (c === '\\') k += 2;
    else if (c === '[') (inClass = true), k++;
    else if (c === ']') (inClass = false), k++;
    else if (c === '/' && !inClass) {
      k++;
      while (k < src.length && /[a-z]/.test(src[k]!)) k++;
      return k;
    } else k++;
  }
  return -1;
}

/**
 * Python: `#` comments and every string form (prefixes, triple quotes), in one regex pass. The
 * quotes stay, the contents go; an unterminated one-line string ends at the line's end.
 */
const PY_TOKENS = /#[^\n]*|("""|\'\'\')((?:\\[\s\S]|[^\\])*?)(?:\1|$)|(["'])((?:\\[^\n]|(?!\3)[^\\\n])*)\3?/g;
export function maskPython(src: string, comments: number[] = []): string {
  const out: Ranges = [];
  PY_TOKENS.lastIndex = 0;
  for (let m = PY_TOKENS.exec(src); m !== null; m = PY_TOKENS.exec(src)) {
    if (m[1] !== undefined) blank(out, m.index + 3, m.index + 3 + m[2]!.length);
    else if (m[3] !== undefined) blank(out, m.index + 1, m.index + 1 + m[4]!.length);
    else blank(out, m.index, m.index + m[0].length), comments.push(m.index, m.index + m[0].length);
  }
  return applyBlanks(src, out);
}

/** Go and Rust: `//`, `/* *\/`, "…", Go `raw`, Rust r#"raw"#, and char literals (not lifetimes). */
export function maskCFamily(src: string, lang: 'go' | 'rust', comments: number[] = []): string {
  const out: Ranges = [];
  const n = src.length;
  let i = 0;
  while (i < n) {
    const c = src[i]!;
    if (c === '/' && src[i + 1] === '/') {
      const end = src.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      blank(out, i, stop, src);
      comments.push(i, stop);
      i = stop;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      blank(out, i, stop, src);
      comments.push(i, stop);
      i = stop;
      continue;
    }
    if (lang === 'rust' && c === 'r' && /^r#*"/.test(src.slice(i, i + 10)) && !/[A-Za-z0-9_]/.test(src[i - 1] ?? '')) {
      const hashes = /^r(#*)"/.exec(src.slice(i, i + 10))![1]!;
      const close = `"${hashes}`;
      const end = src.indexOf(close, i + 2 + hashes.length);
      const stop = end === -1 ? n : end + close.length;
      blank(out, i + 2 + hashes.length, Math.max(i + 2 + hashes.length, stop - close.length), src);
      i = stop;
      continue;
    }
    if (c === '"' || (lang === 'go' && c === '`')) {
      let k = i + 1;
      while (k < n && src[k] !== c) k += src[k] === '\\' && c === '"' ? 2 : 1;
      blank(out, i + 1, Math.min(k, n), src);
      i = Math.min(k + 1, n);
      continue;
    }
    if (c === "'") {
      const m = /^'(\\.[^']{0,9}|[^\\'\n]{1,2})'/u.exec(src.slice(i, i + 14));
      if (m) {
        blank(out, i + 1, i + m[0].length - 1, src);
        i += m[0].length;
        continue;
      }
    }
    i++;
  }
  return applyBlanks(src, out);
}

/** Offset of the bracket that closes the one at `open` in masked text, or -1. */
export function matchBracket(masked: string, open: number): number {
  const pairs: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };
  const want = pairs[masked[open]!];
  if (!want) return -1;
  let depth = 0;
  for (let k = open; k < masked.length; k++) {
    const c = masked[k];
    if (c === masked[open]) depth++;
    else if (c === want && --depth === 0) return k;
  }
  return -1;
}

/** Brace depth before each offset (only `{` `}` count), for masked text. */
export function braceDepths(masked: string): Int32Array {
  const d = new Int32Array(masked.length + 1);
  let depth = 0;
  for (let k = 0; k < masked.length; k++) {
    d[k] = depth;
    const c = masked.charCodeAt(k);
    if (c === 123) depth++;
    else if (c === 125 && depth > 0) depth--;
  }
  d[masked.length] = depth;
  return d;
}

/**
 * `src[start, end)` with comments removed, for signatures. `comments` is the sorted flat list of
 * [from, to) comment ranges a mask function reported, so `//` inside a string is never cut.
 */
export function sliceWithoutComments(src: string, comments: number[], start: number, end: number): string {
  // Binary search for the first comment that ends after `start`.
  let lo = 0;
  let hi = comments.length / 2;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (comments[mid * 2 + 1]! <= start) lo = mid + 1;
    else hi = mid;
  }
  let out = '';
  let at = start;
  for (let r = lo * 2; r < comments.length && comments[r]! < end; r += 2) {
    const from = Math.max(comments[r]!, at);
    if (from > at) out += src.slice(at, from);
    out += ' ';
    at = Math.max(at, Math.min(comments[r + 1]!, end));
  }
  return out + src.slice(at, end);
}
