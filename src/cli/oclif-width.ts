/**
 * The width oclif's help wraps to. oclif fixes it once, when @oclif/core is first imported (its
 * screen.js): OCLIF_COLUMNS, else its `settings.columns`, else the terminal's width (at least 40),
 * else 80. Its flag list, when it turns multi-line (a flag whose description needs more than five
 * lines), wraps descriptions to that width less 4 and indents them by 6 (help/formatter.js
 * renderList): those lines ran 2 columns past the terminal. oclif is given the width less those 2,
 * so every help line fits; src/main.ts and render-help.ts make the first import through here.
 */

type Stdout = { readonly isTTY?: boolean; readonly columns?: number };

/** Columns oclif's multi-line flag list runs past the width it is given. */
export const OCLIF_LIST_OVERRUN = 2;

/** The terminal's width as oclif's screen.js measures it (OCLIF_COLUMNS first). */
export function terminalWidth(env: NodeJS.ProcessEnv, stdout: Stdout): number {
  const forced = Number.parseInt(env.OCLIF_COLUMNS ?? '', 10);
  if (forced) return forced;
  if (!stdout.isTTY) return 80;
  const width = stdout.columns ?? 0;
  return width < 1 ? 80 : Math.max(40, width);
}

/**
 * Runs `load`, the process's first import of @oclif/core, with oclif's width set to the terminal's
 * less OCLIF_LIST_OVERRUN. OCLIF_COLUMNS, which oclif would read before its settings, is hidden
 * for the import and put back; a later import changes nothing (the width is oclif's from then on).
 */
export async function importOclifAtWidth<T>(load: () => Promise<T>, env: NodeJS.ProcessEnv, stdout: Stdout): Promise<T> {
  const forced = env.OCLIF_COLUMNS;
  const settings = ((globalThis as { oclif?: { columns?: number } }).oclif ??= {});
  settings.columns = terminalWidth(env, stdout) - OCLIF_LIST_OVERRUN;
  delete env.OCLIF_COLUMNS;
  try {
    return await load();
  } finally {
    if (forced !== undefined) env.OCLIF_COLUMNS = forced;
  }
}
