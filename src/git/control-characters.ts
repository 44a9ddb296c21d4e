/**
 * The terminal control characters peers keeps out of what the user's git prints (history-controls.ts)
 * and never hides when it cuts a long text (capped-records.ts): the characters `terminalText`
 * shows as `?` (src/cli/terminal-text.ts): C0 but line feed and tab, DEL, C1, and the bidi
 * embeddings, overrides and isolates. One rule, for the loop's judgement of a turn and publishing.
 *
 * A carriage return that ends a line (CR LF) is text: a terminal moves to the line's start and then
 * down, showing nothing. Messages written by `git commit-tree` or a Windows tool (libgit2, an IDE)
 * end their lines so, and `git cherry-pick` copies them as they are: an honest peer's turn was undone
 * for it every time. A CR anywhere else moves the cursor back over what the line showed, and stays
 * one (`git revert` of such a commit quotes its subject with its CR inside the line).
 *
 * A form feed alone on its line is a page break (GNU-style messages and ChangeLog entries use one):
 * a terminal moves down a line for it, as for a line feed, and `less` shows `^L`; it hides and
 * redraws nothing. A form feed beside other text on its line stays one (SECURITY.md, "Results come
 * back as a branch").
 */
const CONTROL = /[\u0000-\u0008\u000b\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\r(?!\n)|\f(?<=[^\n]\f)|\f(?!\r?\n|$)/;

/** The first control character of `text` itself, else undefined. */
export function controlCharIn(text: string): string | undefined {
  return CONTROL.exec(text)?.[0];
}

/** `U+001B` for the first control character of `text`, else undefined. */
export function firstControl(text: string): string | undefined {
  const c = controlCharIn(text);
  return c ? `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` : undefined;
}

/**
 * What peers reads of git's bytes as UTF-8 where they are none (the replacement character): git
 * prints such bytes as they are, and a terminal not in UTF-8 reads the raw byte 0x9B as the C1
 * control CSI (`\x9b2J` clears the screen), which a check of the decoded text never saw.
 */
export const NOT_UTF8 = 'U+FFFD';

/** How a finding of firstPrintedControl or firstRawPathControl reads in a sentence ("has …"). */
export function controlWords(char: string): string {
  return char === NOT_UTF8 ? 'bytes that are not UTF-8 (a terminal not in UTF-8 reads some as control characters)' : `a control character ${char}`;
}

/**
 * firstControl of text git prints as it is (a commit's message, names and emails): also NOT_UTF8
 * where its bytes were not UTF-8. Fails closed on a replacement character the text really holds.
 */
export function firstPrintedControl(text: string): string | undefined {
  return firstControl(text) ?? (text.includes('\ufffd') ? NOT_UTF8 : undefined);
}

/**
 * `U+009B` for the first control character of a file name that git prints as it is: with
 * `core.quotePath=false` (common where names are not ASCII) every character past ASCII, so the C1
 * controls and the bidi embeddings, overrides and isolates (`git log --stat`, diff headers). C0 and
 * DEL are quoted by git whatever the setting, and other scripts are text.
 */
export function firstRawPathControl(path: string): string | undefined {
  for (const ch of path) {
    if (ch === '\ufffd') return NOT_UTF8;
    if (ch.charCodeAt(0) >= 0x80 && controlCharIn(ch)) return firstControl(ch);
  }
  return undefined;
}
