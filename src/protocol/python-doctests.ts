/**
 * Python's doctests live in the product's own docstrings: `>>> add(2, 3)` and its expected `5` in
 * calc.py's add(), collected by pytest's `--doctest-modules` (from an addopts of pytest.ini,
 * pyproject.toml, setup.cfg or tox.ini, or the gate's command line), `python -m doctest` or a
 * `doctest.testmod()`. No path rule can tell them from the product, so a run could edit the
 * expected output (or put `>>> add = lambda a, b: a + b` before it) and keep the bug, as the
 * Rust unit tests of rust-unit-tests.ts (SECURITY.md, "Green only with the tests the run started
 * with does not count"). Here a Python file's docstrings are found by their owner (the module, a
 * class, a def, by qualified name), and the counterfactual file is HEAD's with every docstring
 * whose examples changed as at the start: the start's docstring back, or HEAD's with its examples
 * cut when the start had none there. Whether doctests are collected is not read: the examples of a
 * docstring matter to nothing else, so they are put back whatever the configuration.
 *
 * Fails closed (throws): a file it cannot split, or a doctest source other than a docstring the
 * run changed: a string with `>>>` outside a docstring (a `__test__` dict, an `f.__doc__ = …`),
 * or a line naming `__test__` or `__doc__`. Pure.
 */

type Literal = { from: number; to: number; parts?: { from: number; to: number }[] };
type Docstring = { key: string; literal: Literal };

/** A Python string literal's opening at `i`: its prefix and quote, or undefined. */
function stringOpening(s: string, i: number): { quote: string; raw: boolean; bodyFrom: number; formatted: boolean } | undefined {
  const m = /^([rRbBuUfFtT]{0,2})('''|"""|'|")/.exec(s.slice(i, i + 5));
  if (!m) return undefined;
  if (m[1] && i > 0 && /[A-Za-z0-9_]/.test(s[i - 1]!)) return undefined;
  // A bytes literal is never a docstring: counted as formatted (not one) here.
  return { quote: m[2]!, raw: /[rR]/.test(m[1]!), bodyFrom: i + m[0].length, formatted: /[fFtTbB]/.test(m[1]!) };
}

const ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** The value of a docstring's literals (escapes decoded): what doctest reads. Throws on a `\\N{…}` it cannot name. */
function valueOf(s: string, lit: Literal): string {
  return (lit.parts ?? [lit])
    .map(({ from, to }) => {
      const open = stringOpening(s, from)!;
      const body = s.slice(open.bodyFrom, to - open.quote.length);
      if (open.raw) return body;
      return body.replace(/\\(\r?\n|[\\'"abfnrtv]|[0-7]{1,3}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}]*\})/g, (_, e: string) => {
        if (e.startsWith('\n') || e.startsWith('\r')) return '';
        if (e in ESCAPES) return ESCAPES[e]!;
        if (/^[0-7]/.test(e)) return String.fromCodePoint(parseInt(e, 8));
        if (/^[xuU]/.test(e)) return String.fromCodePoint(parseInt(e.slice(1), 16));
        throw new Error(`a docstring names a character (\\${e}) that cannot be read here`);
      });
    })
    .join('');
}

type Token = { kind: 'str'; from: number; to: number; formatted: boolean } | { kind: 'name'; text: string; from: number } | { kind: 'op'; text: string; from: number };
type LogicalLine = { indent: number; tokens: Token[] };

/** The file's logical lines, each with its indentation and tokens. Throws on a string or bracket left open. */
function logicalLines(s: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let cur: Token[] = [];
  let indent = 0;
  let lineStart = true;
  let depth = 0;
  const end = () => {
    if (cur.length) lines.push({ indent, tokens: cur });
    cur = [];
    lineStart = true;
  };
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (lineStart) {
      let j = i;
      while (s[j] === ' ' || s[j] === '\t' || s[j] === '\f') j++;
      indent = j - i;
      lineStart = false;
      i = j;
      continue;
    }
    if (c === '\n') {
      i++;
      if (depth === 0) end();
      continue;
    }
    if (c === '\\' && (s[i + 1] === '\n' || (s[i + 1] === '\r' && s[i + 2] === '\n'))) {
      i += s[i + 1] === '\n' ? 2 : 3;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '#') {
      const nl = s.indexOf('\n', i);
      i = nl < 0 ? s.length : nl;
      continue;
    }
    const open = stringOpening(s, i);
    if (open) {
      const { quote, bodyFrom } = open;
      let j = bodyFrom;
      for (;;) {
        if (j >= s.length) throw new Error(`a string opened at offset ${i} is left open`);
        if (s[j] === '\\') j += 2;
        else if (s.startsWith(quote, j)) break;
        else if (quote.length === 1 && s[j] === '\n') throw new Error(`a string opened at offset ${i} runs past its line`);
        else j++;
      }
      cur.push({ kind: 'str', from: i, to: j + quote.length, formatted: open.formatted });
      i = j + quote.length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i, i + 200));
    if (word) {
      cur.push({ kind: 'name', text: word[0], from: i });
      i += word[0].length;
      continue;
    }
    if ('([{'.includes(c)) depth++;
    if (')]}'.includes(c)) {
      depth--;
      if (depth < 0) throw new Error(`a bracket at offset ${i} closes nothing`);
    }
    cur.push({ kind: 'op', text: c, from: i });
    i++;
  }
  if (depth !== 0) throw new Error('a bracket is left open');
  end();
  return lines;
}

/** Whether a run of tokens is a docstring: string literals only (implicitly joined), none formatted. */
function docstringOf(tokens: Token[]): Literal | undefined {
  const body = tokens.at(-1)?.kind === 'op' && (tokens.at(-1) as { text: string }).text === ';' ? tokens.slice(0, -1) : tokens;
  if (!body.length || body.some((t) => t.kind !== 'str' || t.formatted)) return undefined;
  const parts = body.map((t) => ({ from: t.from, to: (t as { to: number }).to }));
  return { from: parts[0]!.from, to: parts.at(-1)!.to, parts };
}

type Scan = { docstrings: Docstring[]; others: Literal[] };

/**
 * The docstrings of a Python file, keyed by their owner's qualified name (`` for the module,
 * `Calc.add`, with `#n` for a name defined again), and every other string literal.
 */
function scan(s: string): Scan {
  const docstrings: Docstring[] = [];
  const others: Literal[] = [];
  const seen = new Map<string, number>();
  const stack: { indent: number; name: string }[] = [];
  let pending: { indent: number; key: string } | undefined;
  const keyOf = (qual: string) => {
    const n = seen.get(qual) ?? 0;
    seen.set(qual, n + 1);
    return `${qual}#${n}`;
  };
  const lines = logicalLines(s);
  lines.forEach((line, n) => {
    let found: Literal | undefined;
    if (n === 0) {
      const doc = docstringOf(line.tokens);
      if (doc) (docstrings.push({ key: keyOf(''), literal: doc }), (found = doc));
    }
    if (pending) {
      if (line.indent > pending.indent) {
        const doc = docstringOf(line.tokens);
        if (doc) (docstrings.push({ key: pending.key, literal: doc }), (found = doc));
      }
      pending = undefined;
    }
    while (stack.length && stack.at(-1)!.indent >= line.indent) stack.pop();
    const t = line.tokens;
    const head = t[0]?.kind === 'name' && t[0].text === 'async' ? 1 : 0;
    const kw = t[head];
    if (kw?.kind === 'name' && (kw.text === 'def' || kw.text === 'class') && t[head + 1]?.kind === 'name') {
      const name = (t[head + 1] as { text: string }).text;
      const qual = [...stack.map((f) => f.name), name].join('.');
      const key = keyOf(qual);
      // The body's colon: the first at bracket depth 0 after the name (annotations' colons sit in brackets).
      let depth = 0;
      let colon = -1;
      for (let k = head + 2; k < t.length; k++) {
        const tok = t[k]!;
        if (tok.kind !== 'op') continue;
        if ('([{'.includes(tok.text)) depth++;
        else if (')]}'.includes(tok.text)) depth--;
        else if (tok.text === ':' && depth === 0) {
          colon = k;
          break;
        }
      }
      if (colon < 0) throw new Error(`\`${kw.text} ${name}\` has no body`);
      if (colon === t.length - 1) pending = { indent: line.indent, key };
      else {
        // A body on the header's own line: `def f(): "doc"; return 1`.
        const rest = t.slice(colon + 1);
        const semi = rest.findIndex((tok) => tok.kind === 'op' && tok.text === ';');
        const doc = docstringOf(semi < 0 ? rest : rest.slice(0, semi));
        if (doc) (docstrings.push({ key, literal: doc }), (found = doc));
      }
      stack.push({ indent: line.indent, name });
    }
    for (const tok of line.tokens) if (tok.kind === 'str' && !(found && tok.from >= found.from && tok.to <= found.to)) others.push({ from: tok.from, to: tok.to });
  });
  return { docstrings, others };
}

/**
 * The doctest examples of a docstring's text: each `>>>` line, its `...` continuations and its
 * expected output (up to a blank line or the next `>>>`), indentation dropped. What doctest runs.
 */
export function examplesOf(text: string): string[] {
  const out: string[] = [];
  let inExample = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('>>>')) inExample = true;
    else if (line === '') inExample = false;
    if (inExample) out.push(raw.replace(/^\s+/, '').replace(/\s+$/, ''));
  }
  return out;
}

/** A docstring's text with its examples cut (the lines examplesOf reads). */
function withoutExamples(text: string): string {
  let inExample = false;
  return text
    .split('\n')
    .filter((raw) => {
      const line = raw.trim();
      if (line.startsWith('>>>')) inExample = true;
      else if (line === '') inExample = false;
      return !inExample;
    })
    .join('\n');
}

/** A doctest source other than a docstring: a string holding a prompt, or a line naming `__test__` or `__doc__`. */
function otherSources(s: string, others: Literal[]): string[] {
  const strings = others.map((l) => s.slice(l.from, l.to)).filter((t) => t.includes('>>>'));
  const names = s.split('\n').filter((l) => /__(test|doc)__/.test(l)).map((l) => l.trim());
  return [...strings, ...names].sort();
}

/** Whether a Python file can hold doctests at all: one scan of its text, nothing parsed. */
export function mayHoldDoctests(text: string): boolean {
  return /(>>>|__test__|__doc__)/.test(text);
}

/**
 * HEAD's text of a Python file with its doctest examples as at the run's start (`start`
 * undefined: a file the run added, which had none). Throws when a file cannot be split, or a
 * doctest source other than a docstring changed: the caller holds (fail closed).
 */
export function withStartDoctests(head: string, start: string | undefined): string {
  if (!mayHoldDoctests(head) && (start === undefined || !mayHoldDoctests(start))) return head;
  const h = scan(head);
  const st = start === undefined ? { docstrings: [], others: [] } : scan(start);
  const a = otherSources(head, h.others);
  const b = start === undefined ? [] : otherSources(start, st.others);
  if (a.join('\n') !== b.join('\n')) {
    const changed = a.find((x) => !b.includes(x)) ?? b.find((x) => !a.includes(x)) ?? '';
    throw new Error(`a doctest source other than a docstring changed since the run's start (${changed.slice(0, 100)})`);
  }
  const startDocs = new Map(st.docstrings.map((d) => [d.key, { text: start!.slice(d.literal.from, d.literal.to), value: valueOf(start!, d.literal) }]));
  let out = '';
  let cursor = 0;
  for (const d of h.docstrings) {
    const value = valueOf(head, d.literal);
    const before = startDocs.get(d.key);
    if (examplesOf(value).join('\n') === examplesOf(before?.value ?? '').join('\n')) continue;
    // JSON's escapes are Python's: the docstring's prose, its examples cut, as one plain literal.
    out += head.slice(cursor, d.literal.from) + (before?.text ?? JSON.stringify(withoutExamples(value)));
    cursor = d.literal.to;
  }
  return out + head.slice(cursor);
}
