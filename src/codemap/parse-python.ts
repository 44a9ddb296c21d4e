/**
 * Public symbols of a Python module: top-level `def`/`async def`/`class` and the methods of
 * top-level classes, with decorators, multi-line signatures and the docstring's first line.
 * Indentation decides scope, on masked text (strings and comments blanked) so a `def` inside a
 * docstring is never a symbol. Public = no leading underscore (dunders included, as in the
 * baseline) and, when the module has a literal `__all__`, listed in it.
 */
import { maskPython, matchBracket, sliceWithoutComments } from './mask.ts';
import { lineIndex, oneLine, type CodeSymbol } from './types.ts';

const DEF = /^([ \t]*)(async[ \t]+def|def|class)[ \t]+([A-Za-z_]\w*)/gm;
const DOCSTRING = /^\s*[rRuU]?("""|'''|"|')\s*([^\n]*)/;

type Scope = { indent: number; kind: 'def' | 'class'; name: string; depth: number };

function indentWidth(ws: string): number {
  let w = 0;
  for (const c of ws) w = c === '\t' ? w + 8 - (w % 8) : w + 1;
  return w;
}

/** Offset of the `:` that ends a def/class header, skipping bracketed parameter lists. */
function headerColon(masked: string, from: number): number {
  for (let k = from; k < masked.length; k++) {
    const c = masked[k];
    if (c === '(' || c === '[') {
      const close = matchBracket(masked, k);
      if (close === -1) return -1;
      k = close;
    } else if (c === ':') return k;
  }
  return -1;
}

function decoratorsAbove(src: string, lineStart: number): string[] {
  // Walk back line by line from the def (never split the whole file: that is quadratic).
  const out: string[] = [];
  let end = lineStart - 1;
  while (end > 0) {
    const start = src.lastIndexOf('\n', end - 1) + 1;
    const t = src.slice(start, end).trim();
    if (t.startsWith('@')) out.unshift(t);
    else if (t !== '' && !t.startsWith('#')) break;
    end = start - 1;
  }
  return out;
}

const DUNDER_ALL = /^__all__[ \t]*(?::[^=\n]*)?=[ \t]*[[(]/m;

/** The names a module's `__all__ = [...]` lists, when it has a literal one: then only those are public. */
function dunderAll(src: string, masked: string): Set<string> | undefined {
  const m = DUNDER_ALL.exec(masked);
  if (!m) return undefined;
  const open = m.index + m[0].length - 1;
  const close = matchBracket(masked, open);
  if (close === -1) return undefined;
  return new Set([...src.slice(open + 1, close).matchAll(/(['"])([A-Za-z_]\w*)\1/g)].map((x) => x[2]!));
}

export function parsePython(src: string, file: string): CodeSymbol[] {
  const comments: number[] = [];
  const masked = maskPython(src, comments);
  const lineOf = lineIndex(src);
  const out: CodeSymbol[] = [];
  const stack: Scope[] = [];
  const exported = dunderAll(src, masked);

  for (const m of masked.matchAll(DEF)) {
    const indent = indentWidth(m[1]!);
    const kind = m[2]!.startsWith('class') ? 'class' : 'def';
    const name = m[3]!;
    while (stack.length && stack[stack.length - 1]!.indent >= indent) stack.pop();
    const parent = stack[stack.length - 1];
    const depth = stack.length;
    stack.push({ indent, kind, name, depth });

    // Module level, or directly in a module-level class; everything nested deeper is private detail.
    const isTop = depth === 0;
    const isMethod = depth === 1 && parent?.kind === 'class' && kind === 'def';
    if (!isTop && !isMethod) continue;
    if (name.startsWith('_') || (isMethod && parent!.name.startsWith('_'))) continue;
    if (exported && !exported.has(isMethod ? parent!.name : name)) continue;

    const start = m.index! + m[1]!.length;
    const colon = headerColon(masked, start + m[0].length - m[1]!.length);
    const header = colon === -1 ? src.slice(start, src.indexOf('\n', start) === -1 ? undefined : src.indexOf('\n', start)) : sliceWithoutComments(src, comments, start, colon);
    const decorators = decoratorsAbove(src, m.index!);
    const doc = colon === -1 ? null : DOCSTRING.exec(src.slice(colon + 1, colon + 400).replace(/^[^\n]*\n/, (l) => (l.trim() === '' ? '' : l)));
    const summary = doc?.[2]?.replace(/("""|'''|"|')\s*$/, '').trim();
    out.push({
      id: `${file}:${isMethod ? `${parent!.name}.` : ''}${name}`,
      kind: kind === 'class' ? 'class' : isMethod ? 'method' : 'function',
      name,
      ...(isMethod ? { parent: parent!.name } : {}),
      file,
      line: lineOf(start),
      signature: oneLine([...decorators, header].join(' ')),
      ...(summary ? { summary: oneLine(summary) } : {}),
    });
  }
  return out;
}
