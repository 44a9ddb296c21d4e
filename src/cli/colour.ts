/**
 * Colour for people, plain text for programs: styles apply only when the stream is a terminal,
 * `NO_COLOR` is unset or empty (https://no-color.org), `TERM` is not `dumb`, and `--no-color` was not
 * given (src/main.ts turns that flag into NO_COLOR=1 before anything else reads the environment, so
 * oclif's help and every process peers starts agree).
 */
export type ColourStream = { isTTY?: boolean };

export function colourEnabled(stream: ColourStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] } as const;
export type Style = keyof typeof CODES;

/** The SGR parameters the styles write: the only escape sequences a command's output keeps (terminal-text.ts). */
export const STYLE_CODES: readonly number[] = Object.values(CODES).flat();

export type Paint = Record<Style, (text: string) => string>;

/** Style functions for one stream: identity functions when colour is off. */
export function paintFor(stream: ColourStream = process.stdout, env: NodeJS.ProcessEnv = process.env): Paint {
  const on = colourEnabled(stream, env);
  const entries = Object.entries(CODES).map(([name, [open, close]]) => [name, on ? (t: string) => `\u001b[${open}m${t}\u001b[${close}m` : (t: string) => t]);
  return Object.fromEntries(entries) as Paint;
}

/** The colour of a run status word (ls, status): green running, yellow stopped, red crashed. */
export function statusStyle(status: string): Style | undefined {
  if (status === 'running') return 'green';
  if (status === 'crashed' || status === 'unreadable') return 'red';
  if (status === 'stopped') return 'yellow';
  return undefined;
}

/** Removes `--no-color` (before a `--`) from argv; true when it was there. */
export function takeNoColorFlag(argv: string[]): boolean {
  const end = argv.indexOf('--');
  const head = end === -1 ? argv : argv.slice(0, end);
  const i = head.indexOf('--no-color');
  if (i === -1) return false;
  for (let j = head.length - 1; j >= 0; j--) if (argv[j] === '--no-color') argv.splice(j, 1);
  return true;
}
