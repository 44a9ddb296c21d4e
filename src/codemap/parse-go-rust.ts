/**
 * Light parsers for Go and Rust public symbols, on masked text (comments, strings and raw strings
 * blanked). Go: exported (capitalised) `func`, methods with receivers, `var`/`const`, and
 * `type`s, including grouped `type ( … )`. Rust: `pub` items (not `pub(crate)`), `pub fn` inside `impl` blocks as
 * methods of the implemented type, and the methods declared by a `pub trait`.
 */
import { braceDepths, maskCFamily, matchBracket, sliceWithoutComments } from './mask.ts';
import { lineIndex, oneLine, type CodeSymbol, type SymbolKind } from './types.ts';

/** Header end: the `{` of the body or `;`, skipping bracketed parameter and generic lists. */
function headerEnd(masked: string, from: number, stopAtNewline: boolean): number {
  for (let k = from; k < masked.length; k++) {
    const c = masked[k];
    if (c === '(' || c === '[') {
      const close = matchBracket(masked, k);
      if (close === -1) return masked.length;
      k = close;
    } else if (c === '{' || c === ';' || (stopAtNewline && c === '\n')) return k;
  }
  return masked.length;
}

const GO_FUNC = /^func[ \t]*(\([^)]*\))?[ \t]*([A-Z]\w*)/gm;
const GO_TYPE = /^type[ \t]+([A-Z]\w*)/gm;
const GO_TYPE_GROUP = /^type[ \t]*\(/gm;
const GO_VALUE = /^(var|const)[ \t]+([A-Z]\w*)/gm;

export function parseGo(src: string, file: string): CodeSymbol[] {
  const comments: number[] = [];
  const masked = maskCFamily(src, 'go', comments);
  const lineOf = lineIndex(src);
  const out: CodeSymbol[] = [];
  for (const m of masked.matchAll(GO_FUNC)) {
    const receiver = m[1] ? /([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*\)$/.exec(m[1])?.[1] : undefined;
    const end = headerEnd(masked, m.index! + m[0].length, false);
    const name = m[2]!;
    out.push({ id: `${file}:${receiver ? `${receiver}.` : ''}${name}`, kind: receiver ? 'method' : 'function', name, ...(receiver ? { parent: receiver } : {}), file, line: lineOf(m.index!), signature: oneLine(sliceWithoutComments(src, comments, m.index!, end)) });
  }
  const typeAt = (at: number, name: string, header: string): void => {
    const kind: SymbolKind = /\binterface\b/.test(header) ? 'interface' : /\bstruct\b/.test(header) ? 'struct' : 'type';
    out.push({ id: `${file}:${name}`, kind, name, file, line: lineOf(at), signature: oneLine(header) });
  };
  for (const m of masked.matchAll(GO_TYPE)) typeAt(m.index!, m[1]!, sliceWithoutComments(src, comments, m.index!, headerEnd(masked, m.index! + m[0].length, true)));
  for (const m of masked.matchAll(GO_VALUE)) {
    const end = headerEnd(masked, m.index! + m[0].length, true);
    out.push({ id: `${file}:${m[2]}`, kind: m[1] === 'const' ? 'const' : 'variable', name: m[2]!, file, line: lineOf(m.index!), signature: oneLine(sliceWithoutComments(src, comments, m.index!, end)) });
  }
  for (const m of masked.matchAll(GO_TYPE_GROUP)) {
    const open = m.index! + m[0].length - 1;
    const close = matchBracket(masked, open);
    const body = masked.slice(open + 1, close === -1 ? masked.length : close);
    for (const t of body.matchAll(/^[ \t]+([A-Z]\w*)[ \t]+/gm)) {
      const at = open + 1 + t.index!;
      typeAt(at, t[1]!, `type ${sliceWithoutComments(src, comments, at, headerEnd(masked, at, true)).trim()}`);
    }
  }
  return out;
}

const RUST_ITEM = /(?:^|(?<=[;{}\n]))[ \t]*(pub(?:\([^)]*\))?[ \t]+)?((?:(?:async|unsafe|const|extern[ \t]+"[^"]*")[ \t]+)*)(fn|struct|enum|trait|type|const|static|mod|union)[ \t]+([A-Za-z_]\w*)/g;
const RUST_BLOCK = /(?:^|(?<=[;{}\n]))[ \t]*(?:pub(?:\([^)]*\))?[ \t]+)?(?:unsafe[ \t]+)?(impl|trait)\b([^{;]*)\{/g;
const RUST_KIND: Record<string, SymbolKind> = { fn: 'function', struct: 'struct', enum: 'enum', trait: 'trait', type: 'type', const: 'const', static: 'variable', mod: 'namespace', union: 'struct' };

export function parseRust(src: string, file: string): CodeSymbol[] {
  const comments: number[] = [];
  const masked = maskCFamily(src, 'rust', comments);
  const depth = braceDepths(masked);
  const lineOf = lineIndex(src);
  // Body ranges of impl/trait blocks → the type they belong to, and whether members are public by default.
  const blocks: Array<{ open: number; close: number; owner: string; trait: boolean; public: boolean }> = [];
  for (const m of masked.matchAll(RUST_BLOCK)) {
    const open = m.index! + m[0].length - 1;
    const close = matchBracket(masked, open);
    const head = m[2]!.replace(/<[^<>]*(<[^<>]*>[^<>]*)*>/g, ' ').trim();
    if (m[1] === 'trait') {
      const name = /^([A-Za-z_]\w*)/.exec(head)?.[1];
      if (name) blocks.push({ open, close, owner: name, trait: true, public: /^\s*pub\s/.test(m[0]) });
    } else {
      const forType = /\bfor\s+([A-Za-z_][\w:]*)/.exec(head)?.[1] ?? /^([A-Za-z_][\w:]*)/.exec(head)?.[1];
      if (forType) blocks.push({ open, close, owner: forType.split('::').pop()!, trait: false, public: /\bfor\b/.test(head) });
    }
  }
  const out: CodeSymbol[] = [];
  for (const m of masked.matchAll(RUST_ITEM)) {
    const start = m.index! + m[0].search(/\S/);
    const vis = (m[1] ?? '').trim();
    const kindWord = m[3]!;
    const name = m[4]!;
    const block = blocks.find((b) => b.open < start && start < b.close && depth[start] === depth[b.open]! + 1);
    // Trait impls and pub traits expose their fns without `pub`; elsewhere only a bare `pub` is public API.
    const isPublic = vis === 'pub' || (block !== undefined && kindWord === 'fn' && block.public);
    if (!isPublic) continue;
    if (!block && depth[start] !== 0 && vis !== 'pub') continue;
    const end = headerEnd(masked, m.index! + m[0].length, kindWord !== 'fn');
    const isMethod = block !== undefined && kindWord === 'fn';
    out.push({
      id: `${file}:${isMethod ? `${block.owner}.` : ''}${name}`,
      kind: isMethod ? 'method' : RUST_KIND[kindWord] ?? 'type',
      name,
      ...(isMethod ? { parent: block.owner } : {}),
      file,
      line: lineOf(start),
      signature: oneLine(sliceWithoutComments(src, comments, start, end)),
    });
  }
  return out;
}
