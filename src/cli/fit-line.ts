/**
 * Text fitted to one line of a given width for a person to read: a diagnostic in `peers status`,
 * the loop's console line, why a run stopped. Cuts fall between words where a word boundary is
 * near, so a line never shows "the w … ks" or ends in "lists the gates'"; a long word (a path, a
 * hash, a line of `x`s) is cut inside, as it must be. Pure.
 */

const ELLIPSIS = '…';
/** How far back (or forward) a cut may move to fall between words: a share of the part it ends. */
const WORD_SLACK = 0.25;

const flatten = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The first `n` characters of `text`, ending at a word's end when one is near. */
function headOf(text: string, n: number): string {
  if (text.length <= n) return text;
  const space = text.lastIndexOf(' ', n);
  const cut = space >= n * (1 - WORD_SLACK) ? space : n;
  return text.slice(0, cut).trimEnd();
}

/** The last `n` characters of `text`, starting at a word's start when one is near. */
function tailOf(text: string, n: number): string {
  if (text.length <= n) return text;
  const from = text.length - n;
  const space = text.indexOf(' ', from);
  const start = space !== -1 && space - from <= n * WORD_SLACK ? space + 1 : from;
  return text.slice(start);
}

/** `text` on one line, at most `max` characters: its head and `…` when longer. */
export function clipLine(text: string, max: number): string {
  const flat = flatten(text);
  if (flat.length <= max) return flat;
  return `${headOf(flat, max - 2)} ${ELLIPSIS}`;
}

/**
 * `text` on one line, at most `max` characters: its head and its tail around ` … ` when longer. A
 * tool says why at the end of its output, after the command and the exit code, so both ends stay.
 * `headShare` is the share of the line given to the head.
 */
export function headAndTail(text: string, max: number, headShare = 0.4): string {
  const flat = flatten(text);
  if (flat.length <= max) return flat;
  const headRoom = Math.floor(max * headShare);
  const tailRoom = max - headRoom - 3;
  return `${headOf(flat, headRoom)} ${ELLIPSIS} ${tailOf(flat, tailRoom)}`;
}
