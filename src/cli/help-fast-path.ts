/**
 * `peers --help`, `peers <command> --help`, `peers help <command>`: answered from help text oclif
 * itself rendered at build time (render-help.ts, embedded by build.ts as prerendered-help.ts), so the
 * binary prints it without loading oclif or any command. Loading oclif is most of what a help
 * costs (BENCHMARKS.md, Startup).
 *
 * The text is oclif's for one terminal: 80 columns, no colour. That is the terminal oclif sees when
 * stdout is a pipe or an 80-column terminal, with no width forced (OCLIF_COLUMNS) and colour off by
 * the same rules oclif's colour library (ansis) applies. Any other terminal gets oclif's own
 * rendering, as does any command line not rendered at build time (a mistyped command, extra flags):
 * the fast path can only ever print what oclif would have printed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { arch, release } from 'node:os';

/** The help texts by command line (`helpKey`); texts are shared, as `status --help` and `help status` print the same. */
export type PrerenderedHelp = { readonly texts: readonly string[]; readonly byArgv: Readonly<Record<string, number>> };

/** Stands in the rendered text for oclif's user agent (root help's VERSION), which names the machine that runs it. */
export const USER_AGENT_MARK = '\u0000peers-user-agent\u0000';

/** The key of a command line in PrerenderedHelp.byArgv: its words, exactly as typed, space-separated. */
export function helpKey(argv: readonly string[]): string {
  return argv.join(' ');
}

/** Whether `argv` may be a help request at all: the cheap test before the embedded texts are loaded. */
export function mayAskForHelp(argv: readonly string[]): boolean {
  return argv.length === 0 || argv[0] === 'help' || argv.includes('--help') || argv.includes('-h');
}

type Stdout = { readonly isTTY?: boolean; readonly columns?: number };

/** oclif's help width (its screen.ts): OCLIF_COLUMNS, else the terminal's width (at least 40), else 80. */
export function oclifHelpWidthIs80(env: NodeJS.ProcessEnv, stdout: Stdout): boolean {
  // Any width forced through the environment goes to oclif (a test forces 80 to get oclif's rendering).
  if (Number.parseInt(env.OCLIF_COLUMNS ?? '', 10)) return false;
  if (!stdout.isTTY) return true;
  const width = stdout.columns ?? 0;
  return width < 1 || width === 80;
}

const FORCED_COLOUR_LEVELS: Readonly<Record<string, number>> = { '24bit': 3, truecolor: 3, ansi256: 2, ansi: 1 };

/**
 * True when oclif's help would be uncoloured: ansis 3's rules (its colour detection at import),
 * reduced to the cases that surely give no colour. NO_COLOR (which `--no-color` sets, src/main.ts) or
 * FORCE_COLOR=0/false turn colour off; otherwise colour is off only for a non-terminal stdout that
 * no CI, COLORTERM, FORCE_COLOR or process manager variable turns on.
 */
export function oclifHelpUncoloured(env: NodeJS.ProcessEnv, stdout: Stdout): boolean {
  if (env.NO_COLOR) return true;
  const force = env.FORCE_COLOR;
  if (force !== undefined && (force === 'false' || Number.parseInt(force, 10) === 0)) return true;
  if (force !== undefined) return false;
  if (stdout.isTTY || (env.PM2_HOME && env.pm_id) || env.NEXT_RUNTIME?.includes('edge')) return false;
  if (env.COLORTERM !== undefined && FORCED_COLOUR_LEVELS[env.COLORTERM]) return false;
  if (env.TF_BUILD || env.CI || Object.keys(env).some((k) => k.startsWith('TEAMCI'))) return false;
  return true;
}

/** oclif's platform word: `wsl` under the Windows Subsystem for Linux (its is-wsl check), else Node's platform. */
function oclifPlatform(): string | undefined {
  if (process.platform !== 'linux') return process.platform;
  const microsoft = (text: string) => text.toLowerCase().includes('microsoft');
  let procVersion = '';
  try {
    procVersion = readFileSync('/proc/version', 'utf8');
  } catch {}
  // Under WSL (or anything that may be it) oclif decides; its container exceptions are not worth copying.
  if (microsoft(release()) || microsoft(procVersion) || existsSync('/proc/sys/fs/binfmt_misc/WSLInterop') || existsSync('/run/WSL')) return undefined;
  return 'linux';
}

/** oclif's `config.userAgent`, or undefined when only oclif can tell. */
export function oclifUserAgent(name: string, version: string): string | undefined {
  const platform = oclifPlatform();
  if (!platform) return undefined;
  return `${name}/${version} ${platform}-${arch() === 'ia32' ? 'x86' : arch()} node-${process.version}`;
}

/**
 * The help `argv` asks for, exactly as oclif would print it, or undefined when oclif must answer
 * (not a rendered command line, another terminal, or the pod's lifeline to start first).
 */
export function prerenderedHelpFor(
  argv: readonly string[],
  help: PrerenderedHelp,
  env: NodeJS.ProcessEnv,
  stdout: Stdout,
  userAgent: () => string | undefined,
): string | undefined {
  const index = help.byArgv[helpKey(argv)];
  if (index === undefined || env.PEERS_LIFELINE) return undefined;
  if (!oclifHelpWidthIs80(env, stdout) || !oclifHelpUncoloured(env, stdout)) return undefined;
  const text = help.texts[index];
  if (text === undefined || !text.includes(USER_AGENT_MARK)) return text;
  const agent = userAgent();
  return agent === undefined ? undefined : text.replaceAll(USER_AGENT_MARK, agent);
}
