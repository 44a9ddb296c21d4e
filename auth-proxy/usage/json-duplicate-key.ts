/**
 * The first key that appears twice in one object of a JSON text, or null. The budget reads a
 * request's `model`, `max_tokens`, `background`, tools and the rest with JSON.parse, which keeps the
 * last of two equal keys; a vendor's parser may keep the first (or refuse, or merge), so a body like
 * `{"max_tokens": 1, "max_tokens": 128000}` could be reserved on one value and served on the
 * other (SECURITY.md, "A request goes out only if the budget left covers it"). Keys are compared
 * as the parser sees them, escapes decoded (`"a"` and `"\u0061"` are the same key), and case-folded
 * (`foldKey`): Go's encoding/json, behind many compatible gateways, matches a field to any key equal
 * to it under Unicode case folding, the last one winning, so `"MAX_TOKENS"` (or `"max_to\u212aens"`,
 * with the Kelvin sign) beside `"max_tokens"` was the same key to it and another one to the budget
 * (case-folded-key-budget.test.ts).
 *
 * Call it only on text JSON.parse accepted: it relies on the structure being valid.
 */
const QUOTE = 0x22;

/**
 * A key as a case-insensitive parser matches it: upper- then lower-cased, which folds every
 * character Unicode simple case folding equates with an ASCII letter (`K` and the Kelvin sign to
 * `k`, `ſ` to `s`); it folds some pairs such a parser keeps apart (`ß` and `ss`), on the refused side.
 */
export const foldKey = (key: string): string => key.toUpperCase().toLowerCase();

const BACKSLASH = 0x5c;

export function duplicateJsonKey(text: string): string | null {
  // One entry per open container: the keys seen so far in an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let end = i + 1;
      let escaped = false;
      for (;;) {
        end = text.indexOf('"', end);
        if (end < 0) return null; // not valid JSON: the caller refuses it anyway
        let backslashes = 0;
        for (let k = end - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
        if (backslashes > 0) escaped = true;
        if (backslashes % 2 === 0) break;
        end++;
      }
      const keys = open[open.length - 1];
      if (expectKey && keys) {
        const raw = text.slice(i, end + 1);
        const key = escaped || raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        const folded = foldKey(key);
        if (keys.has(folded)) return key;
        keys.add(folded);
        expectKey = false;
      }
      i = end;
      continue;
    }
    if (c === 0x7b) {
      open.push(new Set());
      expectKey = true;
    } else if (c === 0x5b) {
      open.push(null);
      expectKey = false;
    } else if (c === 0x7d || c === 0x5d) {
      open.pop();
      expectKey = false;
    } else if (c === 0x2c) {
      expectKey = open[open.length - 1] !== null && open.length > 0;
    } else if (c === 0x3a) {
      expectKey = false;
    }
  }
  return null;
}
