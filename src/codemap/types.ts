/** One public symbol of the codemap. `id` is `<file>:<Qualified.name>`, unique and sortable by file. */
export type SymbolKind = 'function' | 'class' | 'method' | 'interface' | 'type' | 'enum' | 'const' | 'variable' | 'namespace' | 'struct' | 'trait';
export type CodeSymbol = {
  id: string;
  kind: SymbolKind;
  name: string;
  /** Enclosing class, impl or trait for methods. */
  parent?: string;
  file: string;
  line: number;
  signature: string;
  summary?: string;
};
export type Language = 'typescript' | 'javascript' | 'python' | 'go' | 'rust';

/** Signatures are for orientation, not reproduction: one line, bounded. */
export const SIGNATURE_MAX = 240;
export function oneLine(text: string): string {
  const s = text.replace(/\s+/g, ' ').replace(/([([]) /g, '$1').replace(/ ([)\]])/g, '$1').replace(/,([)\]])/g, '$1').trim();
  return s.length > SIGNATURE_MAX ? `${s.slice(0, SIGNATURE_MAX - 1)}…` : s;
}

/** 1-based line numbers for offsets, by binary search over the newline positions. */
export function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}
