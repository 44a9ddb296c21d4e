/**
 * Parser for the Python `re` syntax that gate authors write (`regex('(?i)error', stdout)`), into a
 * small tree the linear-time matcher can compile. Features whose matching cost cannot be bounded
 * (backreferences, lookaround, atomic groups, conditionals) are rejected here, at goals-file load
 * time, with a message that says so. Lazy quantifiers are accepted and treated as greedy: pass_when
 * only asks *whether* a match exists, which laziness cannot change.
 */
export class RegexSyntaxError extends Error {
  constructor(message: string, readonly position: number) {
    super(`${message} at position ${position}`);
    this.name = 'RegexSyntaxError';
  }
}

export type Flags = { ignoreCase: boolean; multiline: boolean; dotAll: boolean; ascii: boolean };
export type AssertKind = 'bol' | 'eol' | 'bos' | 'eos' | 'word' | 'nonword';
export type CharTest = (cp: number) => boolean;

export type RegexNode =
  | { t: 'empty' }
  | { t: 'char'; test: CharTest }
  | { t: 'cat'; items: RegexNode[] }
  | { t: 'alt'; items: RegexNode[] }
  | { t: 'repeat'; node: RegexNode; min: number; max: number }
  | { t: 'assert'; kind: AssertKind; multiline: boolean; ascii?: boolean };

export const MAX_PATTERN_BYTES = 1024;

const ASCII_DIGIT: CharTest = (c) => c >= 48 && c <= 57;
const ASCII_WORD: CharTest = (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const ASCII_SPACE: CharTest = (c) => c === 32 || (c >= 9 && c <= 13);
const UNI_DIGIT_RE = /^\p{Nd}$/u;
const UNI_WORD_RE = /^[\p{L}\p{N}_]$/u;
const UNI_SPACE_RE = /^[\s\x1c-\x1f\x85]$/u;
const UNI_DIGIT: CharTest = (c) => (c < 128 ? ASCII_DIGIT(c) : UNI_DIGIT_RE.test(String.fromCodePoint(c)));
const UNI_WORD: CharTest = (c) => (c < 128 ? ASCII_WORD(c) : UNI_WORD_RE.test(String.fromCodePoint(c)));
const UNI_SPACE: CharTest = (c) => (c < 128 ? ASCII_SPACE(c) : UNI_SPACE_RE.test(String.fromCodePoint(c)));

export function isWordChar(cp: number, ascii: boolean): boolean {
  return ascii ? ASCII_WORD(cp) : UNI_WORD(cp);
}

/** Code points equal to `cp` ignoring case (simple one-to-one case mappings only). */
const caseCache = new Map<number, number[]>();
function caseVariants(cp: number): number[] {
  const hit = caseCache.get(cp);
  if (hit) return hit;
  const s = String.fromCodePoint(cp);
  const out = new Set([cp]);
  for (const v of [s.toLowerCase(), s.toUpperCase()]) {
    const vcp = v.codePointAt(0)!;
    if (String.fromCodePoint(vcp) === v) out.add(vcp);
  }
  const variants = [...out];
  if (caseCache.size < 65536) caseCache.set(cp, variants);
  return variants;
}

const FLAG_LETTERS: Record<string, keyof Flags | null> = { i: 'ignoreCase', m: 'multiline', s: 'dotAll', a: 'ascii', u: null };

export function parseRegex(pattern: string): { node: RegexNode; flags: Flags } {
  if (new TextEncoder().encode(pattern).length > MAX_PATTERN_BYTES) {
    throw new RegexSyntaxError(`pattern longer than ${MAX_PATTERN_BYTES} bytes`, 0);
  }
  const p = new RegexParser([...pattern]);
  const flags = p.leadingFlags();
  const node = p.alternation(flags);
  if (!p.atEnd()) throw new RegexSyntaxError('unbalanced parenthesis', p.pos);
  return { node, flags };
}

class RegexParser {
  pos = 0;
  constructor(private readonly s: string[]) {}

  atEnd(): boolean {
    return this.pos >= this.s.length;
  }
  private peek(ahead = 0): string | undefined {
    return this.s[this.pos + ahead];
  }
  private lookingAt(text: string): boolean {
    return this.s.slice(this.pos, this.pos + text.length).join('') === text;
  }
  private fail(message: string, at = this.pos): never {
    throw new RegexSyntaxError(message, at);
  }

  /** Python only allows global inline flags such as `(?i)` at the very start. */
  leadingFlags(): Flags {
    const flags: Flags = { ignoreCase: false, multiline: false, dotAll: false, ascii: false };
    for (;;) {
      const m = /^\(\?([a-zA-Z]+)\)/.exec(this.s.slice(this.pos, this.pos + 12).join(''));
      if (!m) return flags;
      for (const letter of m[1]!) this.applyFlag(flags, letter, true);
      this.pos += m[0].length;
    }
  }

  private applyFlag(flags: Flags, letter: string, on: boolean): void {
    if (letter === 'x') this.fail('verbose mode (?x) is not supported');
    if (letter === 'L') this.fail('locale mode (?L) is not supported');
    if (!(letter in FLAG_LETTERS)) this.fail(`unknown flag '${letter}'`);
    const key = FLAG_LETTERS[letter];
    if (key) flags[key] = on;
  }

  alternation(flags: Flags): RegexNode {
    const items = [this.concatenation(flags)];
    while (this.peek() === '|') {
      this.pos++;
      items.push(this.concatenation(flags));
    }
    return items.length === 1 ? items[0]! : { t: 'alt', items };
  }

  private concatenation(flags: Flags): RegexNode {
    const items: RegexNode[] = [];
    while (!this.atEnd() && this.peek() !== '|' && this.peek() !== ')') {
      const atom = this.atom(flags);
      if (atom) items.push(this.quantified(atom));
    }
    if (items.length === 0) return { t: 'empty' };
    return items.length === 1 ? items[0]! : { t: 'cat', items };
  }

  private quantified(atom: RegexNode): RegexNode {
    let node = atom;
    let quantified = false;
    for (;;) {
      const at = this.pos;
      const q = this.quantifier();
      if (!q) return node;
      if (quantified) this.fail('multiple repeat', at);
      quantified = true;
      if (q.max < q.min) this.fail('min repeat greater than max repeat', at);
      if (this.peek() === '?') this.pos++; // lazy: same answer to "is there a match"
      else if (this.peek() === '+') this.fail('possessive quantifiers are not supported');
      node = { t: 'repeat', node, min: q.min, max: q.max };
    }
  }

  private quantifier(): { min: number; max: number } | undefined {
    const c = this.peek();
    if (c === '*') return this.pos++, { min: 0, max: Infinity };
    if (c === '+') return this.pos++, { min: 1, max: Infinity };
    if (c === '?') return this.pos++, { min: 0, max: 1 };
    if (c !== '{') return undefined;
    const m = /^\{(\d*)(,?)(\d*)\}/.exec(this.s.slice(this.pos, this.pos + 24).join(''));
    // Python treats a '{' that does not form a valid repeat as a literal.
    if (!m || (m[1] === '' && m[2] === '')) return undefined;
    this.pos += m[0].length;
    const min = m[1] === '' ? 0 : Number(m[1]);
    const max = m[2] === '' ? min : m[3] === '' ? Infinity : Number(m[3]);
    return { min, max };
  }

  private atom(flags: Flags): RegexNode | undefined {
    const start = this.pos;
    const c = this.s[this.pos++]!;
    switch (c) {
      case '(':
        return this.group(flags, start);
      case ')':
        return this.fail('unbalanced parenthesis', start);
      case '[':
        return this.charClass(flags);
      case '.':
        return { t: 'char', test: flags.dotAll ? () => true : (cp) => cp !== 10 };
      case '^':
        return { t: 'assert', kind: 'bol', multiline: flags.multiline };
      case '$':
        return { t: 'assert', kind: 'eol', multiline: flags.multiline };
      case '*':
      case '+':
      case '?':
        return this.fail('nothing to repeat', start);
      case '\\':
        return this.escape(flags, false) as RegexNode;
      default:
        if (c === '{' && this.quantifierAhead(start)) this.fail('nothing to repeat', start);
        return literal(c.codePointAt(0)!, flags);
    }
  }

  private quantifierAhead(start: number): boolean {
    return /^\{\d*,?\d*\}/.test(this.s.slice(start, start + 24).join('')) && !/^\{,?\}/.test(this.s.slice(start, start + 3).join(''));
  }

  private group(flags: Flags, start: number): RegexNode | undefined {
    let inner = flags;
    if (this.peek() === '?') {
      this.pos++;
      if (this.lookingAt('#')) {
        while (!this.atEnd() && this.peek() !== ')') this.pos++;
        if (this.atEnd()) this.fail('missing ), unterminated comment', start);
        this.pos++;
        return undefined;
      }
      if (this.lookingAt(':')) this.pos++;
      else if (this.lookingAt('P<') || this.lookingAt('<') && !this.lookingAt('<=') && !this.lookingAt('<!')) {
        this.pos += this.peek() === 'P' ? 2 : 1;
        const name = this.s.slice(this.pos).join('').match(/^([A-Za-z_]\w*)>/);
        if (!name) this.fail('bad character in group name', this.pos);
        this.pos += name[0].length;
      } else if (this.lookingAt('P=')) this.fail('backreferences are not supported (they need backtracking)', start);
      else if (this.lookingAt('=') || this.lookingAt('!') || this.lookingAt('<=') || this.lookingAt('<!')) {
        this.fail('lookahead/lookbehind assertions are not supported (they need backtracking)', start);
      } else if (this.lookingAt('>')) this.fail('atomic groups are not supported', start);
      else if (this.lookingAt('(')) this.fail('conditional groups are not supported', start);
      else {
        const m = /^([aiLmsux]*)(?:-([imsx]+))?([:)])/.exec(this.s.slice(this.pos, this.pos + 16).join(''));
        if (!m) this.fail('unknown extension (?' + (this.peek() ?? ''), start);
        if (m[3] === ')') this.fail('global flags not at the start of the expression', start);
        inner = { ...flags };
        for (const letter of m[1]!) this.applyFlag(inner, letter, true);
        for (const letter of m[2] ?? '') this.applyFlag(inner, letter, false);
        this.pos += m[0].length;
      }
    }
    const node = this.alternation(inner);
    if (this.peek() !== ')') this.fail('missing ), unterminated subpattern', start);
    this.pos++;
    return node;
  }

  private charClass(flags: Flags): RegexNode {
    const start = this.pos - 1;
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos++;
    }
    const ranges: [number, number][] = [];
    const tests: CharTest[] = [];
    let first = true;
    for (;;) {
      if (this.atEnd()) this.fail('unterminated character set', start);
      if (this.peek() === ']' && !first) break;
      first = false;
      let lo: number;
      if (this.peek() === '\\') {
        this.pos++;
        const e = this.escape(flags, true);
        if (typeof e === 'function') {
          tests.push(e);
          continue;
        }
        lo = e as number;
      } else lo = this.s[this.pos++]!.codePointAt(0)!;
      if (this.peek() === '-' && this.peek(1) !== undefined && this.peek(1) !== ']') {
        const dash = this.pos++;
        let hi: number;
        if (this.peek() === '\\') {
          this.pos++;
          const e = this.escape(flags, true);
          if (typeof e === 'function') this.fail('bad character range', dash);
          hi = e as number;
        } else hi = this.s[this.pos++]!.codePointAt(0)!;
        if (hi < lo) this.fail('bad character range', dash);
        ranges.push([lo, hi]);
      } else ranges.push([lo, lo]);
    }
    this.pos++;
    const inSet = (cp: number) => ranges.some(([lo, hi]) => cp >= lo && cp <= hi) || tests.some((t) => t(cp));
    const member: CharTest = flags.ignoreCase ? (cp) => caseVariants(cp).some(inSet) : inSet;
    return { t: 'char', test: negated ? (cp) => !member(cp) : member };
  }

  /** After a backslash. In a class returns a code point or a class test; outside, a node. */
  private escape(flags: Flags, inClass: boolean): RegexNode | CharTest | number {
    const at = this.pos - 1;
    const c = this.s[this.pos++];
    if (c === undefined) this.fail('bad escape (end of pattern)', at);
    const classTest: Record<string, CharTest> = flags.ascii
      ? { d: ASCII_DIGIT, w: ASCII_WORD, s: ASCII_SPACE }
      : { d: UNI_DIGIT, w: UNI_WORD, s: UNI_SPACE };
    const lower = c.toLowerCase();
    if ('dws'.includes(lower) && lower.length === 1 && /[dwsDWS]/.test(c)) {
      const base = classTest[lower]!;
      const test: CharTest = c === lower ? base : (cp) => !base(cp);
      return inClass ? test : { t: 'char', test };
    }
    if (!inClass) {
      if (c === 'A') return { t: 'assert', kind: 'bos', multiline: false };
      if (c === 'Z') return { t: 'assert', kind: 'eos', multiline: false };
      if (c === 'b') return { t: 'assert', kind: 'word', multiline: false, ascii: flags.ascii };
      if (c === 'B') return { t: 'assert', kind: 'nonword', multiline: false, ascii: flags.ascii };
    }
    const cp = this.escapedCodePoint(c, at, inClass);
    return inClass ? cp : literal(cp, flags);
  }

  private escapedCodePoint(c: string, at: number, inClass: boolean): number {
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, f: 12, v: 11, a: 7 };
    if (c in simple) return simple[c]!;
    if (c === 'b' && inClass) return 8;
    const hexLen = c === 'x' ? 2 : c === 'u' ? 4 : c === 'U' ? 8 : 0;
    if (hexLen) {
      const digits = this.s.slice(this.pos, this.pos + hexLen).join('');
      if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(digits)) this.fail(`incomplete escape \\${c}${digits}`, at);
      this.pos += hexLen;
      const cp = parseInt(digits, 16);
      if (cp > 0x10ffff) this.fail(`bad escape \\${c}${digits}`, at);
      return cp;
    }
    if (c === '0') {
      let digits = '';
      while (digits.length < 2 && /[0-7]/.test(this.peek() ?? '')) digits += this.s[this.pos++];
      return parseInt(digits || '0', 8);
    }
    if (/[1-9]/.test(c)) {
      const three = c + (this.peek() ?? '') + (this.peek(1) ?? '');
      if (/^[0-7]{3}$/.test(three)) {
        this.pos += 2;
        return parseInt(three, 8);
      }
      this.fail('backreferences are not supported (they need backtracking)', at);
    }
    if (c === 'N') this.fail('named character escapes \\N{...} are not supported', at);
    if (/[A-Za-z]/.test(c)) this.fail(`bad escape \\${c}`, at);
    return c.codePointAt(0)!;
  }
}

function literal(cp: number, flags: Flags): RegexNode {
  if (!flags.ignoreCase) return { t: 'char', test: (x) => x === cp };
  const variants = caseVariants(cp);
  if (variants.length === 1) return { t: 'char', test: (x) => x === cp || caseVariants(x).includes(cp) };
  const set = new Set(variants);
  return { t: 'char', test: (x) => set.has(x) || caseVariants(x).some((v) => set.has(v)) };
}
