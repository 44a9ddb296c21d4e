/**
 * One screenful of text for a redrawing terminal view, without flicker: the cursor goes home and
 * each line overwrites the previous frame's (erasing only what is left of it), then everything
 * below is erased. Nothing is cleared first, so the screen never goes blank between frames.
 * Lines are cut to the terminal's width (a wrapped line would shift every line below it) and the
 * frame to its height, saying how many lines did not fit.
 */
export const ESC = {
  altScreenOn: '\x1b[?1049h',
  altScreenOff: '\x1b[?1049l',
  hideCursor: '\x1b[?25l',
  showCursor: '\x1b[?25h',
  home: '\x1b[H',
  eraseLineEnd: '\x1b[K',
  eraseBelow: '\x1b[J',
};

/** Cuts to `cols` characters (a code point is a column here: status text is plain). */
function fit(line: string, cols: number): string {
  const chars = [...line];
  return chars.length <= cols ? line : `${chars.slice(0, Math.max(0, cols - 1)).join('')}…`;
}

export function frameLines(lines: string[], cols: number, rows: number): string[] {
  const width = Math.max(10, cols);
  const height = Math.max(2, rows);
  const fitted = lines.map((l) => fit(l, width));
  if (fitted.length <= height) return fitted;
  const shown = fitted.slice(0, height - 1);
  shown.push(fit(`… ${fitted.length - shown.length} more line(s): enlarge the window`, width));
  return shown;
}

/** The bytes that draw `lines` over the previous frame. */
export function renderFrame(lines: string[], cols: number, rows: number): string {
  return `${ESC.home}${frameLines(lines, cols, rows).map((l) => `${l}${ESC.eraseLineEnd}`).join('\r\n')}${ESC.eraseBelow}`;
}
