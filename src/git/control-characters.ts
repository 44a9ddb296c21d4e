/**
 * The terminal control characters peers keeps out of what the user's git prints (history-controls.ts)
 * and never hides when it cuts a long text (capped-records.ts): the characters `terminalText`
 * shows as `?` (src/cli/terminal-text.ts): C0 but line feed and tab, DEL, C1, and the bidi
 * embeddings, overrides and isolates. One rule, for the loop's judgement of a turn and publishing.
 */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** The first control character of `text` itself, else undefined. */
export function controlCharIn(text: string): string | undefined {
  return CONTROL.exec(text)?.[0];
}

/** `U+001B` for the first control character of `text`, else undefined. */
export function firstControl(text: string): string | undefined {
  const c = controlCharIn(text);
  return c ? `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` : undefined;
}
