/**
 * Text bound for the operator's terminal that carries what peers wrote (a blocked reason or a
 * subject from a commit message, a failure's cause from a CLI's output, a prompt quoting both, the
 * loop's log): its control characters become `?`, so no escape sequence a peer planted reaches the
 * terminal (clearing the screen to print a fake status, retitling the window, OSC 52 writing the
 * clipboard), nor a C1 control (U+0080-U+009F: U+009B is a CSI to some terminals). Line breaks and
 * tabs stay. Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) become `?` too:
 * they make the terminal show text in another order than it is written ("Trojan Source"), so a
 * reviewer would misread it. The marks that only place neutral characters (U+200E, U+200F, U+061C)
 * and the zero-width characters stay: text in right-to-left scripts and emoji need them, and they
 * reorder or hide nothing already on the line. SECURITY.md, "A peer's words reach the operator's
 * terminal as text".
 */
import { STYLE_CODES } from './colour.ts';

const CONTROLS = '\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069';
const CONTROL = new RegExp(`[${CONTROLS}]`, 'g');

export function terminalText(text: string): string {
  return text.replace(CONTROL, '?');
}

/**
 * Lines of a command's text (each element one line: a status line, a table row) that quote peers'
 * words: a line break inside an element becomes a space before terminalText, so a peer's words stay
 * on the line that quotes them. No escape sequence is needed to forge a verdict: a halt reason, a
 * health reason or a warning holding `\nOver: complete …` printed a line of the peer's making among
 * `peers status`'s own. Every break a terminal, pager or editor honours is folded: LF, VT, FF, CR,
 * NEL (U+0085), LINE and PARAGRAPH SEPARATOR (U+2028, U+2029). SECURITY.md, "A peer's words reach
 * the operator's terminal as text".
 */
const LINE_BREAKS = /[\n\v\f\r\u0085\u2028\u2029]+/g;

/** `text` with each run of line breaks a space: for a line that quotes a peer's words (a bug line too, in prompts). */
export function foldLineBreaks(text: string): string {
  return text.replace(LINE_BREAKS, ' ');
}

export function terminalLine(line: string): string {
  return terminalText(foldLineBreaks(line));
}

/**
 * A file name (or test id) as a multi-line report quotes it: as it is, or, when it holds a line
 * break or a control character, in double quotes with JSON's escapes, as git's `core.quotePath`
 * quotes such names. A committed file named `a.txt\nno-secrets: pass` printed a line of the peer's
 * making among `peers check`'s own; quoted, it is one visible name. SECURITY.md, "A peer's words
 * reach the operator's terminal as text".
 */
const UNSAFE_IN_NAME = new RegExp(`[${CONTROLS}\\n\\t\\u2028\\u2029]`);

/** Beside what jsonForTerminal escapes, the Unicode line breaks JSON.stringify also leaves raw. */
const LINE_SEPARATORS = /[\u2028\u2029]/g;

export function shownName(name: string): string {
  if (!UNSAFE_IN_NAME.test(name)) return name;
  return jsonForTerminal(JSON.stringify(name)).replace(LINE_SEPARATORS, unicodeEscape);
}

export function terminalLines(lines: readonly string[]): string {
  return lines.map(terminalLine).join('\n');
}

/**
 * What a command writes to its output streams (command-io.ts): terminalText, except that the exact
 * styles peers paints itself (colour.ts: bold, dim, five colours and their resets) pass, so its
 * tables keep their colours. A peer can write those few styles too; none of them moves the cursor,
 * clears, hides text or talks back to the terminal.
 */
const CONTROL_OR_STYLE = new RegExp(`\\u001b\\[(?:${[...new Set(STYLE_CODES)].join('|')})m|[${CONTROLS}]`, 'g');

export function terminalOutput(text: string): string {
  return text.replace(CONTROL_OR_STYLE, (m) => (m.length > 1 ? m : '?'));
}

/**
 * A JSON text with the characters JSON.stringify leaves raw that terminalText would change (DEL, C1
 * controls, bidi controls) written as `\u` escapes: the same document, parsed, and nothing for the
 * command streams to change, so `--json` output stays exact. Outside strings JSON is ASCII, so every
 * such character is inside a string, where an escape means the same character.
 */
const RAW_IN_JSON = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** `\\u` and the character's four hex digits (every character escaped here is in the BMP). */
const unicodeEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

export function jsonForTerminal(json: string): string {
  return json.replace(RAW_IN_JSON, unicodeEscape);
}
