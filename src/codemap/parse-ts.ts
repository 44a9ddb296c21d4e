/**
 * Public symbols of a TypeScript/JavaScript module without the compiler: the source is masked
 * (mask.ts) so strings, comments, templates and regexes cannot fake structure, then declarations
 * are found at brace depth 0 and class members at the class body's depth. Exported means
 * `export …`, `export default …`, or named in a local `export { … }` list.
 */
import { braceDepths, maskJs, matchBracket, sliceWithoutComments } from './mask.ts';
import { lineIndex, oneLine, type CodeSymbol, type SymbolKind } from './types.ts';

const DECL =
  /(?:^|(?<=[;{}\n]))[ \t]*(export[ \t]+(?:default[ \t]+)?)?(?:declare[ \t]+)?(?:abstract[ \t]+)?(?:async[ \t]+)?(function[ \t]*\*?|class|interface|type|const[ \t]+enum|enum|const|let|var|namespace)[ \t]+([A-Za-z_$][\w$]*)/g;
const EXPORT_LIST = /(?:^|(?<=[;{}\n]))[ \t]*export[ \t]*(type[ \t]*)?\{([^}]*)\}(?![ \t]*from)/g;
const EXPORT_DEFAULT_NAME = /(?:^|(?<=[;{}\n]))[ \t]*export[ \t]+default[ \t]+([A-Za-z_$][\w$]*)[ \t]*;?[ \t]*(?:\n|$)/g;
const MEMBER =
  /(?:^|(?<=[;{}\n]))[ \t]*((?:(?:public|private|protected|static|readonly|abstract|override|async|declare|get|set)[ \t]+)*)(\*?[ \t]*#?[A-Za-z_$][\w$]*)[ \t]*\??[ \t]*(<[^>\n]*>)?[ \t]*\(/g;

const KIND: Record<string, SymbolKind> = { function: 'function', class: 'class', interface: 'interface', type: 'type', enum: 'enum', const: 'const', let: 'variable', var: 'variable', namespace: 'namespace' };

type Found = CodeSymbol & { exported: boolean; end: number };

/**
 * End of a function-like header: the `{` opening the body or a `;` (overload, abstract, declare),
 * at bracket depth 0. A `{` right after `:` is an object return type, not the body.
 */
function headerEnd(masked: string, from: number): number {
  let k = from;
  let sawParen = false;
  while (k < masked.length) {
    const c = masked[k];
    if (c === '<' && !sawParen) {
      // Type parameters (`<T extends { id: string }>`) may hold braces that are not the body.
      const close = matchBracket(masked, k);
      if (close !== -1) {
        k = close + 1;
        continue;
      }
    }
    if (c === '(' || c === '[') {
      sawParen ||= c === '(';
      const close = matchBracket(masked, k);
      if (close === -1) return masked.length;
      k = close + 1;
      continue;
    }
    if (c === '{') {
      let b = k - 1;
      while (b >= 0 && /\s/.test(masked[b]!)) b--;
      const prev = masked[b] ?? '';
      if (prev === ':' || prev === '|' || prev === '&' || prev === '<' || prev === ',') {
        const close = matchBracket(masked, k);
        k = close === -1 ? masked.length : close + 1;
        continue;
      }
      return k;
    }
    if (c === ';' || (c === '=' && masked[k + 1] === '>')) return k;
    if (c === '\n' && /^\s*(export|function|class|const|let|var|interface|type|enum|import|@)\b/.test(masked.slice(k + 1, k + 40))) return k;
    k++;
  }
  return masked.length;
}

function kindOf(keyword: string): SymbolKind {
  if (keyword.startsWith('function')) return 'function';
  if (keyword.startsWith('const') && keyword.endsWith('enum')) return 'enum';
  return KIND[keyword] ?? 'variable';
}

export function parseTypeScript(src: string, file: string): CodeSymbol[] {
  const comments: number[] = [];
  const masked = maskJs(src, comments);
  const depth = braceDepths(masked);
  const lineOf = lineIndex(src);
  const found: Found[] = [];

  for (const m of masked.matchAll(DECL)) {
    const start = m.index! + m[0].search(/\S/);
    if (depth[start] !== 0) continue;
    const keyword = m[2]!.replace(/\s+/g, ' ');
    const name = m[3]!;
    const kind = kindOf(keyword);
    const declStart = m.index! + m[0].length - name.length;
    let end: number;
    if (kind === 'function' || kind === 'class' || kind === 'interface' || kind === 'enum' || kind === 'namespace') end = headerEnd(masked, declStart + name.length);
    else if (kind === 'type') end = typeEnd(masked, declStart + name.length);
    else end = constEnd(masked, declStart + name.length);
    const sigText = sliceWithoutComments(src, comments, start, end).replace(/^export\s+(default\s+)?/, '');
    found.push({ id: '', kind, name, file, line: lineOf(start), signature: oneLine(sigText), exported: Boolean(m[1]), end });

    if (kind === 'class') {
      const open = end;
      if (masked[open] !== '{') continue;
      const close = matchBracket(masked, open);
      found.push(...classMembers(src, comments, masked, depth, open, close === -1 ? masked.length : close, name, file, lineOf));
    }
  }

  const exportedNames = new Set<string>();
  for (const m of masked.matchAll(EXPORT_LIST)) {
    if (depth[m.index! + m[0].search(/\S/)] !== 0) continue;
    for (const part of m[2]!.split(',')) {
      const local = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]?.trim();
      if (local) exportedNames.add(local);
    }
  }
  for (const m of masked.matchAll(EXPORT_DEFAULT_NAME)) exportedNames.add(m[1]!);
  found.push(...commonJsExports(src, comments, masked, depth, file, lineOf, exportedNames));

  const publicClasses = new Set(found.filter((f) => f.kind === 'class' && (f.exported || exportedNames.has(f.name))).map((f) => f.name));
  return found
    .filter((f) => (f.kind === 'method' ? publicClasses.has(f.parent!) : f.exported || exportedNames.has(f.name)))
    .map(({ exported: _e, end: _end, ...s }) => ({ ...s, id: `${file}:${s.parent ? `${s.parent}.` : ''}${s.name}` }));
}

/** Where a const/let/var declaration's header ends: after an arrow function's `=>`, else at `=`. */
function constEnd(masked: string, from: number): number {
  let k = from;
  // Skip a type annotation up to `=` at bracket depth 0.
  while (k < masked.length && masked[k] !== '=' && masked[k] !== ';' && masked[k] !== '\n') {
    if (masked[k] === '(' || masked[k] === '[' || masked[k] === '{' || masked[k] === '<') {
      const close = matchBracket(masked, k);
      if (close === -1) break;
      k = close + 1;
    } else k++;
  }
  if (masked[k] !== '=') return k;
  const rhs = /^=\s*(async\s+)?(\([^]*?\)|[A-Za-z_$][\w$]*)\s*(:[^=;{]*)?=>/.exec(masked.slice(k, k + 600));
  if (rhs) {
    const paren = masked.indexOf('(', k);
    if (paren !== -1 && paren < k + rhs[0].length && masked[paren] === '(') {
      const close = matchBracket(masked, paren);
      if (close !== -1) {
        const arrow = masked.indexOf('=>', close);
        if (arrow !== -1) return arrow + 2;
      }
    }
    return k + rhs[0].length;
  }
  return k;
}

function classMembers(src: string, comments: number[], masked: string, depth: Int32Array, open: number, close: number, className: string, file: string, lineOf: (o: number) => number): Found[] {
  const body = masked.slice(open + 1, close);
  const bodyDepth = depth[open]! + 1;
  const out: Found[] = [];
  const re = new RegExp(MEMBER.source, 'g');
  for (const m of body.matchAll(re)) {
    const start = open + 1 + m.index! + m[0].search(/\S/);
    if (depth[start] !== bodyDepth) continue;
    const mods = m[1] ?? '';
    const name = m[2]!.replace(/^\*\s*/, '');
    if (/\b(private|protected)\b/.test(mods) || name.startsWith('#') || ['if', 'for', 'while', 'switch', 'catch', 'return', 'function'].includes(name)) continue;
    const end = headerEnd(masked, open + 1 + m.index! + m[0].length - 1);
    out.push({ id: '', kind: 'method', name, parent: className, file, line: lineOf(start), signature: oneLine(sliceWithoutComments(src, comments, start, end)), exported: true, end });
  }
  return out;
}

const CJS_MEMBER = /(?:^|(?<=[;{}\n]))[ \t]*(?:module\.)?exports\.([A-Za-z_$][\w$]*)[ \t]*=(?!=)/g;
const CJS_OBJECT = /(?:^|(?<=[;{}\n]))[ \t]*module\.exports[ \t]*=[ \t]*(\{|[A-Za-z_$][\w$]*)/g;

/**
 * CommonJS modules export by assignment: `exports.name = …` is a public symbol, and
 * `module.exports = { a, b }` or `module.exports = Name` makes those local declarations public.
 */
function commonJsExports(src: string, comments: number[], masked: string, depth: Int32Array, file: string, lineOf: (o: number) => number, exportedNames: Set<string>): Found[] {
  const out: Found[] = [];
  for (const m of masked.matchAll(CJS_MEMBER)) {
    const start = m.index! + m[0].search(/\S/);
    if (depth[start] !== 0) continue;
    const eq = m.index! + m[0].length - 1;
    const fn = /^=\s*(async\s+)?function\b[^(]*\(/.exec(masked.slice(eq, eq + 200));
    const end = fn ? headerEnd(masked, eq + fn[0].length - 1) : constEnd(masked, eq - 1);
    out.push({ id: '', kind: fn ? 'function' : 'const', name: m[1]!, file, line: lineOf(start), signature: oneLine(sliceWithoutComments(src, comments, start, end)), exported: true, end });
  }
  for (const m of masked.matchAll(CJS_OBJECT)) {
    if (depth[m.index! + m[0].search(/\S/)] !== 0) continue;
    if (m[1] !== '{') {
      exportedNames.add(m[1]!);
      continue;
    }
    const open = m.index! + m[0].length - 1;
    const close = matchBracket(masked, open);
    if (close === -1) continue;
    for (const part of masked.slice(open + 1, close).split(',')) {
      const name = /^\s*([A-Za-z_$][\w$]*)\s*(?::\s*([A-Za-z_$][\w$]*)\s*)?$/.exec(part);
      if (name) exportedNames.add(name[2] ?? name[1]!);
    }
  }
  return out;
}

/**
 * End of a type alias: the `;` or line end at bracket depth 0, continuing over lines that start
 * with `|` or `&` (multi-line unions). Object types are kept whole; oneLine() bounds the length.
 */
function typeEnd(masked: string, from: number): number {
  let k = from;
  while (k < masked.length) {
    const c = masked[k];
    if (c === '(' || c === '[' || c === '{' || c === '<') {
      const close = matchBracket(masked, k);
      if (close === -1) return masked.length;
      k = close + 1;
      continue;
    }
    if (c === ';') return k;
    if (c === '\n') {
      const next = /^[ \t]*(\S)/.exec(masked.slice(k + 1, k + 200));
      const before = masked.slice(Math.max(from, k - 3), k).trimEnd();
      if (!(next && (next[1] === '|' || next[1] === '&')) && !before.endsWith('=') && !before.endsWith('|') && !before.endsWith('&')) return k;
    }
    k++;
  }
  return masked.length;
}
