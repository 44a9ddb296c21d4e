/**
 * Peer text in an HTML document (REPORT.html) rendered inert: every character HTML gives a meaning
 * (`& < > " '`) written as a reference, so the text can neither open an element (`<img src=…>`,
 * `<meta http-equiv=refresh>`, `<form>`) nor leave an attribute value it stands in; its hidden
 * characters are shown and its size bounded first (shown-text.ts). The report's Content-Security-Policy
 * (src/report/render-html.ts) forbids every load besides, so a missed escape still fetches nothing.
 * SECURITY.md, "Peer text outside the sandbox is inert".
 */
import { MAX_SHOWN, shownText } from './shown-text.ts';

const REF: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text escaped for an element's content or a quoted attribute value; nothing else is changed. */
export const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => REF[c]!);

/** Peer text for HTML: bounded, its hidden characters shown, escaped. */
export function htmlText(s: unknown, max = MAX_SHOWN): string {
  return esc(shownText(s, max));
}
