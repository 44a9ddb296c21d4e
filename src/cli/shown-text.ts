/**
 * Text a peer wrote, made fit for a document a person reads outside the sandbox (REPORT.md,
 * REPORT.html, VERIFY.md, a notification): what would not show for what it is is shown, and its
 * size is bounded. A control character (C0 but line breaks and tabs, DEL, C1: an escape sequence
 * would reach the terminal of whoever `cat`s the file), a bidi control or mark (text read in another
 * order than it is written, "Trojan Source") and a zero-width character (two names that look the
 * same) become `<U+XXXX>`, as in the peers' prompts (src/prompt/visible-hidden.ts). Text past
 * `max` characters is cut with a note saying how much was elided, so a peer's 50 MB commit
 * subject costs the report a line, not the run. SECURITY.md, "Peer text outside the sandbox is inert".
 */

const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** `<U+XXXX>` for every character of HIDDEN; CRLF and lone CR read as line breaks first. */
export function markHidden(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(HIDDEN, (c) => `<U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`);
}

/** `text` cut to at most `max` characters (never inside a surrogate pair), saying how many were elided. */
export function boundText(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = Math.max(0, max);
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${text.slice(0, cut)} … (${text.length - cut} more characters elided)`;
}

/** Longest text of one peer-written field shown in full: 64 KiB of characters. */
export const MAX_SHOWN = 64 * 1024;

/** Bounded first (marking lengthens text), then marked. */
export function shownText(text: unknown, max = MAX_SHOWN): string {
  return markHidden(boundText(String(text ?? ''), max));
}
