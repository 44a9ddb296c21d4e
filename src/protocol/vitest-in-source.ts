/**
 * Vitest's in-source tests live in the product's own module: `if (import.meta.vitest) { const {
 * it, expect } = import.meta.vitest; … }` in src/calc.ts, run when the config's `includeSource`
 * names the file. No path rule can tell them from the product, so a run could edit an expectation
 * there, or declare a local add() in the block that shadows the module's, and keep the bug, as the
 * Rust unit tests of rust-unit-tests.ts (SECURITY.md, "Green only with the tests the run started
 * with does not count"). Here such a block is cut out of a JS/TS file: the counterfactual file is
 * HEAD's with its blocks removed and the start's put back at its end. Outside vitest the blocks
 * are dead code (`import.meta.vitest` is undefined), so they are put back whatever the config.
 *
 * Fails closed (throws): a file it cannot split, a block with an `else`, or a line outside the
 * blocks that names vitest or reads `import.meta` as a whole (an alias, a computed key) changed
 * since the start. Pure.
 */

/** JS/TS source files vitest's `includeSource` can name. */
export const isVitestSourcePath = (p: string): boolean => /\.(c|m)?(j|t)sx?$/.test(p);

/** Whether a file can hold vitest in-source tests at all: one scan of its text, nothing parsed. */
export function mayHoldInSourceTests(text: string): boolean {
  return /vitest|import\s*\.\s*meta\s*[^.\s]/.test(text);
}

/** Tokens after which a `/` starts a regular expression, not a division. */
const REGEX_AFTER = /^(|[([{,;:=!&|?+\-*%<>~^}]|return|typeof|case|do|else|in|of|new|delete|void|throw|instanceof|yield|await)$/;

type Block = { from: number; to: number };

/** The `if (import.meta.vitest) { … }` blocks of a JS/TS file. Throws on text it cannot split. */
function blocksOf(s: string): Block[] {
  const blocks: Block[] = [];
  // Code positions only (not in strings, comments, templates or regexes), with each bracket's match.
  const stack: { c: string; at: number }[] = [];
  const match = new Map<number, number>();
  const code: number[] = [];
  let last = '';
  let i = 0;
  const templateDepth: number[] = [];
  while (i < s.length) {
    const c = s[i]!;
    if (c === '/' && s[i + 1] === '/') {
      const nl = s.indexOf('\n', i);
      i = nl < 0 ? s.length : nl;
      continue;
    }
    if (c === '/' && s[i + 1] === '*') {
      const close = s.indexOf('*/', i + 2);
      if (close < 0) throw new Error('a block comment is left open');
      i = close + 2;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < s.length && s[j] !== c) {
        if (s[j] === '\n') throw new Error(`a string at offset ${i} runs past its line`);
        j += s[j] === '\\' ? 2 : 1;
      }
      if (j >= s.length) throw new Error(`a string at offset ${i} is left open`);
      i = j + 1;
      last = 'str';
      continue;
    }
    if (c === '`' || (c === '}' && templateDepth.length && templateDepth.at(-1) === stack.length)) {
      // A template's text, up to its end or its next `${`.
      if (c === '}') templateDepth.pop();
      let j = i + 1;
      for (;;) {
        if (j >= s.length) throw new Error(`a template at offset ${i} is left open`);
        if (s[j] === '\\') j += 2;
        else if (s[j] === '`') break;
        else if (s[j] === '$' && s[j + 1] === '{') break;
        else j++;
      }
      if (s[j] === '`') {
        i = j + 1;
        last = 'str';
      } else {
        templateDepth.push(stack.length);
        i = j + 2;
        last = '{';
      }
      continue;
    }
    if (c === '/' && REGEX_AFTER.test(last)) {
      let j = i + 1;
      let inClass = false;
      while (j < s.length && (inClass || s[j] !== '/')) {
        if (s[j] === '\n') throw new Error(`a regular expression at offset ${i} runs past its line`);
        if (s[j] === '[') inClass = true;
        else if (s[j] === ']') inClass = false;
        j += s[j] === '\\' ? 2 : 1;
      }
      i = j + 1;
      while (/[a-z]/i.test(s[i] ?? '')) i++;
      last = 'str';
      continue;
    }
    const word = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(s.slice(i, i + 100));
    if (word) {
      code.push(i);
      last = word[0];
      i += word[0].length;
      continue;
    }
    code.push(i);
    if ('([{'.includes(c)) stack.push({ c, at: i });
    else if (')]}'.includes(c)) {
      const open = stack.pop();
      if (!open || '([{'.indexOf(open.c) !== ')]}'.indexOf(c)) throw new Error(`a bracket at offset ${i} does not match`);
      match.set(open.at, i);
    }
    last = c;
    i++;
  }
  if (stack.length || templateDepth.length) throw new Error('a bracket is left open');
  const GUARD = /^if\s*\(\s*import\s*\.\s*meta\s*\.\s*vitest\s*\)\s*\{/;
  for (const at of code) {
    if (s[at] !== 'i' || (at > 0 && /[A-Za-z0-9_$.]/.test(s[at - 1]!))) continue;
    const m = GUARD.exec(s.slice(at, at + 200));
    if (!m) continue;
    const brace = at + m[0].length - 1;
    const close = match.get(brace);
    if (close === undefined) throw new Error(`the in-source test block at offset ${at} is not closed`);
    if (/^\s*else\b/.test(s.slice(close + 1, close + 40))) throw new Error(`the in-source test block at offset ${at} has an else: product code that runs only outside vitest`);
    if (blocks.some((b) => at < b.to)) continue; // a guard inside a block is that block's
    blocks.push({ from: at, to: close + 1 });
  }
  return blocks;
}

/** The file's text outside its blocks. */
function outside(s: string, blocks: Block[]): string {
  let out = '';
  let cursor = 0;
  for (const b of blocks) {
    out += s.slice(cursor, b.from);
    cursor = b.to;
  }
  return out + s.slice(cursor);
}

/** Lines outside the blocks that could reach vitest's API other than by a block: they must not change. */
const reachesVitest = (text: string) =>
  text
    .split('\n')
    .filter((l) => /vitest|import\s*\.\s*meta\s*([^.\s]|$)/.test(l))
    .map((l) => l.trim())
    .sort();

/**
 * HEAD's text of a JS/TS file with its in-source test blocks as at the run's start (`start`
 * undefined: a file the run added, which had none). Throws when a file cannot be split, or vitest
 * is reached otherwise than by a block in a way that changed: the caller holds (fail closed).
 */
export function withStartInSourceTests(head: string, start: string | undefined): string {
  if (!mayHoldInSourceTests(head) && (start === undefined || !mayHoldInSourceTests(start))) return head;
  const hb = blocksOf(head);
  const sb = start === undefined ? [] : blocksOf(start);
  const rest = outside(head, hb);
  const a = reachesVitest(rest);
  const b = start === undefined ? [] : reachesVitest(outside(start, sb));
  if (a.join('\n') !== b.join('\n')) {
    const changed = a.find((x) => !b.includes(x)) ?? b.find((x) => !a.includes(x)) ?? '';
    throw new Error(`a line that reaches vitest outside an \`if (import.meta.vitest)\` block changed since the run's start (${changed.slice(0, 100)})`);
  }
  const headTests = hb.map((x) => head.slice(x.from, x.to));
  const startTests = sb.map((x) => start!.slice(x.from, x.to));
  if (headTests.join('\n') === startTests.join('\n')) return head;
  const body = rest.replace(/\s*$/, '\n');
  return startTests.length ? `${body}\n${startTests.join('\n\n')}\n` : body;
}
