/**
 * Rust's unit tests live in the source file they test: a `#[cfg(test)] mod tests { … }` of
 * src/lib.rs, or a file such a module declares (`#[cfg(test)] mod tests;` → src/tests.rs). No path
 * rule can tell them from the product, so the counterfactual of "Green with the tests the run
 * started with" (baseline-tests.ts) restored none of them: a local add() in src/lib.rs's test
 * module shadowed the product's, `cargo test` went green, and the run ended `complete` with
 * `a - b` in src/lib.rs (SECURITY.md, "Done means done"). Here the test code of a Rust file is cut
 * out by its items: an item compiled only under test (`#[cfg(test)]`, `#[cfg(all(test, …))]`,
 * `#[test]`, `#[tokio::test]`) at the file's top, in an inline `mod`, `impl` or `trait`. The
 * counterfactual file is HEAD's with its test items removed and the start's put back in the same
 * scope; a file declared as a test module is a test file whole. Pure: the git side is
 * src/loop/shell/baseline-tests-run.ts.
 */
import { dirname, join, posix } from 'node:path';

type Item = {
  /** Where its first outer attribute starts, and where it ends (past a `}` and a `;` after it). */
  start: number;
  end: number;
  attrs: string[];
  /** The text between the attributes and the body's `{` (or the closing `;`), whitespace collapsed. */
  header: string;
  /** The body's inside, for a braced item. */
  body?: { from: number; to: number };
};

const IDENT = /[A-Za-z0-9_]/;

/** The index past a comment or literal starting at `i`, or -1 when none starts there. Throws on one left open. */
function skipTrivia(s: string, i: number): number {
  const c = s[i];
  if (c === '/' && s[i + 1] === '/') {
    const nl = s.indexOf('\n', i);
    return nl < 0 ? s.length : nl + 1;
  }
  if (c === '/' && s[i + 1] === '*') {
    let depth = 0;
    for (let j = i; j < s.length - 1; j++) {
      if (s[j] === '/' && s[j + 1] === '*') (depth++, j++);
      else if (s[j] === '*' && s[j + 1] === '/') {
        depth--;
        j++;
        if (depth === 0) return j + 1;
      }
    }
    throw new Error('a block comment is left open');
  }
  if ((c === 'r' || (c === 'b' && s[i + 1] === 'r')) && (i === 0 || !IDENT.test(s[i - 1]!))) {
    const m = /^b?r(#*)"/.exec(s.slice(i, i + 300));
    if (m) {
      const close = s.indexOf(`"${m[1]}`, i + m[0].length);
      if (close < 0) throw new Error('a raw string is left open');
      return close + 1 + m[1]!.length;
    }
  }
  if (c === '"') {
    for (let j = i + 1; j < s.length; j++) {
      if (s[j] === '\\') j++;
      else if (s[j] === '"') return j + 1;
    }
    throw new Error('a string is left open');
  }
  if (c === "'") {
    if (s[i + 1] === '\\') {
      const close = s.indexOf("'", i + 3);
      if (close < 0) throw new Error('a character literal is left open');
      return close + 1;
    }
    const cp = s.codePointAt(i + 1);
    const width = cp !== undefined && cp > 0xffff ? 2 : 1;
    if (s[i + 1 + width] === "'") return i + 2 + width;
    return i + 1; // a lifetime or a label
  }
  return -1;
}

/** Past whitespace, comments and literals from `i` (literals only when `literals`). */
function skipSpace(s: string, i: number, to: number): number {
  while (i < to) {
    if (/\s/.test(s[i]!)) i++;
    else if (s[i] === '/' && (s[i + 1] === '/' || s[i + 1] === '*')) i = skipTrivia(s, i);
    else break;
  }
  return i;
}

/** The index of the bracket closing the one at `open`. Throws when unbalanced. */
function closing(s: string, open: number, to: number): number {
  const stack: string[] = [];
  for (let i = open; i < to; i++) {
    const past = skipTrivia(s, i);
    if (past >= 0) {
      i = past - 1;
      continue;
    }
    const c = s[i]!;
    if (c === '(' || c === '[' || c === '{') stack.push(c);
    else if (c === ')' || c === ']' || c === '}') {
      const o = stack.pop();
      if (!o || '([{'.indexOf(o) !== ')]}'.indexOf(c)) throw new Error('brackets do not match');
      if (stack.length === 0) return i;
    }
  }
  throw new Error('a bracket is left open');
}

/** The items of a scope `[from, to)`: a file's text or an inline block's inside. Throws on text it cannot split. */
function itemsOf(s: string, from: number, to: number): Item[] {
  const items: Item[] = [];
  let i = skipSpace(s, from, to);
  while (i < to) {
    const start = i;
    const attrs: string[] = [];
    // Outer and inner attributes (`#![…]` alone is an item of its own: its `attrs` only).
    while (s[i] === '#' && (s[skipSpace(s, i + 1, to)] === '[' || (s[i + 1] === '!' && s[skipSpace(s, i + 2, to)] === '['))) {
      const open = s.indexOf('[', i);
      const close = closing(s, open, to);
      attrs.push(s.slice(i, close + 1));
      const inner = s[i + 1] === '!';
      i = skipSpace(s, close + 1, to);
      if (inner) break;
    }
    if (attrs.length && attrs[attrs.length - 1]!.startsWith('#!')) {
      items.push({ start, end: i, attrs, header: '' });
      continue;
    }
    const headStart = i;
    let end = -1;
    let body: Item['body'];
    let headerEnd = i;
    for (; i < to; i++) {
      const past = skipTrivia(s, i);
      if (past >= 0) {
        i = past - 1;
        continue;
      }
      const c = s[i]!;
      if (c === '(' || c === '[') i = closing(s, i, to);
      else if (c === ';') {
        headerEnd = i;
        end = i + 1;
        break;
      } else if (c === '{') {
        headerEnd = i;
        const close = closing(s, i, to);
        body = { from: i + 1, to: close };
        end = close + 1;
        const after = skipSpace(s, end, to);
        if (s[after] === ';') end = after + 1;
        break;
      } else if (c === '}' || c === ')' || c === ']') throw new Error('brackets do not match');
    }
    if (end < 0) throw new Error('an item runs to the end of its scope');
    items.push({ start, end, attrs, header: s.slice(headStart, headerEnd).replace(/\s+/g, ' ').trim(), ...(body ? { body } : {}) });
    i = skipSpace(s, end, to);
  }
  return items;
}

/** A cfg predicate's arguments at its top level (`all(test, feature = "x")` → `test`, `feature = "x"`). */
function predicateArgs(p: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of p) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) (out.push(cur.trim()), (cur = ''));
    else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** Whether a cfg predicate holds only under test: `test`, or `all(…)` with such an argument. */
function impliesTest(p: string): boolean {
  const q = p.replace(/\s+/g, '');
  if (q === 'test') return true;
  const all = /^all\((.*)\)$/.exec(q);
  return !!all && predicateArgs(all[1]!).some(impliesTest);
}

/** Whether an attribute list makes its item test code: compiled only under test. */
function isTestOnly(attrs: string[]): boolean {
  return attrs.some((a) => {
    const inside = a.replace(/^#!?\s*\[/, '').replace(/\]$/, '').trim();
    if (/^(\w+\s*::\s*)*test$/.test(inside)) return true;
    const cfg = /^cfg\s*\(([\s\S]*)\)$/.exec(inside);
    return !!cfg && impliesTest(cfg[1]!);
  });
}

/**
 * Product code whose compiled form differs under test, other than test code: a cfg naming `test`
 * that does not imply it (`any(test, …)`; `not(test)` alone is code tests never compile), or a
 * cfg_attr naming it that does more than lint, derive or document (`#[cfg_attr(test, path =
 * "fixed.rs")] mod imp;` loads another file for the tests). Such an item must be as at the start.
 */
function dependsOnTest(attrs: string[]): boolean {
  return attrs.some((a) => {
    const inside = a.replace(/^#!?\s*\[/, '').replace(/\]$/, '').trim();
    const cfg = /^cfg\s*\(([\s\S]*)\)$/.exec(inside);
    if (cfg) return /\btest\b/.test(cfg[1]!) && !impliesTest(cfg[1]!) && cfg[1]!.replace(/\s+/g, '') !== 'not(test)';
    const attr = /^cfg_attr\s*\(([\s\S]*)\)$/.exec(inside);
    if (!attr) return false;
    const [pred = '', ...rest] = predicateArgs(attr[1]!);
    return /\btest\b/.test(pred) && rest.some((r) => !/^(allow|warn|deny|forbid|expect|derive|doc|must_use|inline)\b/.test(r));
  });
}

/** A cfg or cfg_attr naming `test`: code whose compiled form depends on whether tests run. */
const NAMES_TEST_CFG = /#\s*!?\s*\[\s*cfg(_attr)?\s*\([^\]]*\btest\b/;

/** A scope the merge recurses into, by its header: an inline module, an impl or a trait. */
const SCOPE = /^(pub(\s*\([^)]*\))?\s+)?((unsafe|default|auto)\s+)*(mod\s+\w+|impl\b.*|trait\b.*)$/;

/** Whether the whole file is test code (`#![cfg(test)]` at its top). Throws on text it cannot split. */
export function isTestOnlyFile(text: string): boolean {
  return itemsOf(text, 0, text.length).some((it) => it.header === '' && it.attrs.some((a) => a.startsWith('#!')) && isTestOnly(it.attrs));
}

/**
 * HEAD's text of a Rust file with its test code as at the run's start: HEAD's test items removed,
 * the start's put back at the end of the same scope (a file's top, an inline module, impl or trait
 * matched by its header and place among its namesakes). A start scope HEAD no longer has loses its
 * tests (the names of the tests a gate runs then tell: tests-run.ts). Any other block (a function
 * body) whose code depends on cfg(test) must be as at the start. Throws on text it cannot split,
 * and on a block changed under cfg(test) it cannot undo: the caller holds (fail closed).
 */
export function withStartTests(head: string, start: string | undefined): string {
  return mergeScope(head, 0, head.length, start ?? '', start === undefined ? undefined : { from: 0, to: start.length }, true);
}

function mergeScope(head: string, from: number, to: number, start: string, startRange: { from: number; to: number } | undefined, top: boolean): string {
  const headItems = itemsOf(head, from, to);
  const startItems = startRange ? itemsOf(start, startRange.from, startRange.to) : [];
  const seen = new Map<string, number>();
  const keyOf = (it: Item, counts: Map<string, number>) => {
    const n = counts.get(it.header) ?? 0;
    counts.set(it.header, n + 1);
    return `${it.header}#${n}`;
  };
  const startScopes = new Map<string, Item>();
  const startCounts = new Map<string, number>();
  for (const it of startItems) if (it.body && !isTestOnly(it.attrs) && SCOPE.test(it.header)) startScopes.set(keyOf(it, startCounts), it);
  const startTexts = new Set(startItems.map((it) => start.slice(it.start, it.end)));
  let out = '';
  let cursor = from;
  for (const it of headItems) {
    if (isTestOnly(it.attrs)) {
      out += head.slice(cursor, it.start);
      cursor = it.end;
      continue;
    }
    if (dependsOnTest(it.attrs) && !startTexts.has(head.slice(it.start, it.end))) {
      throw new Error(`\`${it.header.slice(0, 80)}\` is compiled differently under test (${it.attrs.join(' ').slice(0, 120)}) and changed since the run's start`);
    }
    if (!it.body) continue;
    if (SCOPE.test(it.header)) {
      const match = startScopes.get(keyOf(it, seen));
      out += head.slice(cursor, it.body.from) + mergeScope(head, it.body.from, it.body.to, start, match?.body, false);
      cursor = it.body.to;
    } else if (NAMES_TEST_CFG.test(head.slice(it.body.from, it.body.to)) && !startTexts.has(head.slice(it.start, it.end))) {
      throw new Error(`code under a cfg naming test changed inside \`${it.header.slice(0, 80)}\`, which the tests the run started with cannot be put back into`);
    }
  }
  out += head.slice(cursor, to);
  const tests = startItems.filter((it) => isTestOnly(it.attrs)).map((it) => start.slice(it.start, it.end));
  if (!tests.length) return out;
  return top ? `${out.replace(/\s*$/, '')}\n\n${tests.join('\n\n')}\n` : `${out.replace(/\s*$/, '')}\n${tests.join('\n')}\n`;
}

/**
 * The files a Rust file declares as test modules (`#[cfg(test)] mod tests;`, with or without a
 * `#[path]`), at its top or in its inline modules: each as the paths rustc may read it from, and
 * the directory its own submodules live in. Throws on text it cannot split.
 */
export function testModuleFiles(path: string, text: string): { files: string[]; dirs: string[] } {
  const files: string[] = [];
  const dirs: string[] = [];
  const name = posix.basename(path, '.rs');
  // A mod-rs file (a crate root, mod.rs) keeps its submodules beside it; any other in a directory of its name.
  const ownDir = ['lib', 'main', 'mod'].includes(name) || /(^|\/)(src\/bin|tests|examples|benches)\/[^/]+\.rs$/.test(path) || path === 'build.rs' ? dirname(path) : join(dirname(path), name);
  const walk = (from: number, to: number, dir: string, inTest: boolean) => {
    for (const it of itemsOf(text, from, to)) {
      const mod = /^(pub(\s*\([^)]*\))?\s+)?mod\s+(\w+)$/.exec(it.header);
      if (!mod) continue;
      const test = inTest || isTestOnly(it.attrs);
      const at = it.attrs.map((a) => /^#\s*\[\s*path\s*=\s*"([^"]+)"\s*\]$/.exec(a)?.[1]).find(Boolean);
      if (it.body) walk(it.body.from, it.body.to, join(dir, mod[3]!), test);
      else if (test) {
        const rel = (p: string) => posix.normalize(p).replace(/^\.\//, '');
        if (at) files.push(rel(join(dirname(path), at)));
        else files.push(rel(join(dir, `${mod[3]}.rs`)), rel(join(dir, mod[3]!, 'mod.rs')));
        dirs.push(rel(join(dir, mod[3]!)));
      }
    }
  };
  walk(0, text.length, ownDir === '.' ? '' : ownDir, false);
  return { files, dirs };
}
