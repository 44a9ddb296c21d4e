/**
 * Text in a notification made inert for whatever shows it: a chat service (Slack, Discord,
 * Mattermost, Teams, ntfy with Markdown), a phone, the operator's own script. A peer's words reach
 * the payload's `why` (a blocked reason, a gate's output, a CLI's error); shown in a channel they
 * must not ping anyone, make the service fetch a URL (link unfurling, a Markdown image: the URL
 * carries what the peer put in it), or turn into a link. No one escaping serves every service, so
 * the text is defanged the way incident reports defang indicators, readable everywhere:
 *
 * - `@` becomes `＠` (U+FF20): no `@everyone`, `@here`, `@channel`, `@all`, `@user`, no e-mail link;
 * - `<` and `>` become `‹` `›`: no Slack control sequence (`<!channel>`, `<https://x|y>`), Discord
 *   mention (`<@id>`), Teams `<at>` or HTML;
 * - `://` becomes `[:]//`, and a `.` between a name and a letter `[.]`: no URL, domain or `www.` to
 *   autolink or unfurl; `](`, `]:` and `![` get a space: no Markdown link, reference or image;
 * - control characters and bidi controls become `?`, as on the terminal (src/cli/terminal-text.ts),
 *   and so do zero-width characters and bidi marks, which could split a name the rules above look for;
 * - whitespace folds to single spaces and the text is cut at `max`, saying how much was elided.
 *
 * SECURITY.md, "Peer text outside the sandbox is inert".
 */
import { boundText } from '../cli/shown-text.ts';
import { terminalText } from '../cli/terminal-text.ts';

/** Longest line of a notification, in characters. */
export const MAX_CHAT_LINE = 500;

export function chatText(text: unknown, max = MAX_CHAT_LINE): string {
  return terminalText(boundText(String(text ?? ''), max))
    .replace(/[\u061c\u200b-\u200f\u2060\ufeff]/g, '?')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/@/g, '\uff20')
    .replace(/</g, '\u2039')
    .replace(/>/g, '\u203a')
    .replace(/:\/\//g, '[:]//')
    .replace(/(?<=[\p{L}\p{N}_-])\.(?=\p{L})/gu, '[.]')
    .replace(/\](?=[(:[])/g, '] ')
    .replace(/!\[/g, '! [');
}
