/**
 * Lexical masking: a copy of the source where the CONTENTS of comments, strings, template
 * literals and regex literals are spaces (newlines kept, so offsets and line numbers stay exact).
 * The parsers then look for declarations and count braces in the masked text, where no `{`, `def`
 * or `export` inside a string or comment can mislead them, and slice signatures from the original.
 */

const REGEX_PRECEDERS = new Set(['(', ',', '=', ':', '[', '!', '&', '|', '?', '{', '}', ';', '+', '-', '*', '%', '<', '>', '~', '^']);
const REGEX_KEYWORDS = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

function blank(out: string[], from: number, to: number, src: string): void {
  for (let k = from; k < to; k++) if (src[k] !== '\n') out[k] = ' ';
}

/** JavaScript/TypeScript: `//`, `/* *\/`, '…', "…", `…${expr}…` (nested), /regex/. */
export function maskJs(src: string): string {
  const out = src.split('');
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
      if (maskFrom === -1) blank(out, i, stop, src);
      i = stop;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      if (maskFrom === -1) blank(out, i, stop, src);
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
    if (/[A-Za-z0-9_$]/.test(c)) {
      let k = i;
      while (k < n && /[A-Za-z0-9_$]/.test(src[k]!)) k++;
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
  return out.join('');
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

/** Python: `#` comments and every string form (prefixes, triple quotes). */
export function maskPython(src: string): string {
  const out = src.split('');
  const n = src.length;
  let i = 0;
  while (i < n) {
    const c = src[i]!;
    if (c === '#') {
      const end = src.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      blank(out, i, stop, src);
      i = stop;
      continue;
    }
    if (c === '"' || c === "'") {
      const triple = src.startsWith(c.repeat(3), i);
      const q = triple ? c.repeat(3) : c;
      let k = i + q.length;
      while (k < n) {
        if (src[k] === '\\') k += 2;
        else if (src.startsWith(q, k)) break;
        else if (!triple && src[k] === '\n') break;
        else k++;
      }
      const stop = Math.min(n, src.startsWith(q, k) ? k + q.length : k);
      blank(out, i + q.length, Math.max(i + q.length, stop - (src.startsWith(q, k) ? q.length : 0)), src);
      i = stop;
      continue;
    }
    i++;
  }
  return out.join('');
}

/** Go and Rust: `//`, `/* *\/`, "…", Go `raw`, Rust r#"raw"#, and char literals (not lifetimes). */
export function maskCFamily(src: string, lang: 'go' | 'rust'): string {
  const out = src.split('');
  const n = src.length;
  let i = 0;
  while (i < n) {
    const c = src[i]!;
    if (c === '/' && src[i + 1] === '/') {
      const end = src.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      blank(out, i, stop, src);
      i = stop;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      blank(out, i, stop, src);
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
  return out.join('');
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
