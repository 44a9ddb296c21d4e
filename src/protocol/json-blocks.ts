/**
 * Balanced `{…}` JSON objects embedded in free text (commit bodies). The bug ledger and soft
 * reviews both read structured data out of prose, and a peer controls that prose, so the scanner
 * must not be fooled by braces inside strings or by an unbalanced decoy: it is string- and
 * escape-aware, nests, and only reports blocks that decode to a plain object.
 */
export type JsonBlock = { start: number; end: number; value: Record<string, unknown> };

/**
 * Every balanced top-level `{…}` in `text` (from `from` on) that parses as a JSON object, in order.
 * A candidate that does not parse is skipped, and scanning resumes just after its opening brace, so
 * a stray `{` in prose cannot swallow a real block that follows it.
 */
export function jsonBlocks(text: string, from = 0): JsonBlock[] {
  const blocks: JsonBlock[] = [];
  let i = text.indexOf('{', from);
  while (i !== -1) {
    const end = balancedEnd(text, i);
    if (end !== -1) {
      const value = tryObject(text.slice(i, end + 1));
      if (value) {
        blocks.push({ start: i, end: end + 1, value });
        i = text.indexOf('{', end + 1);
        continue;
      }
    }
    i = text.indexOf('{', i + 1);
  }
  return blocks;
}

/** The first object block at or after `from`, or undefined. */
export function firstJsonBlock(text: string, from = 0): Record<string, unknown> | undefined {
  return jsonBlocks(text, from)[0]?.value;
}

/** Index of the `}` that closes the `{` at `open`, or -1 when the text ends first. */
function balancedEnd(text: string, open: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function tryObject(candidate: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(candidate);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
