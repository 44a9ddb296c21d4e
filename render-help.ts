/**
 * Renders, with oclif, every help the binary answers without it (help-fast-path.ts): for each
 * command and topic, `<words> --help`, `<words> -h` and `help <words>`, and the root's `--help`,
 * `-h`, `help` and empty command line. Each is run through src/main.ts exactly as the binary runs a
 * command line, and kept only when it exits 0 with nothing on stderr.
 *
 * build.ts runs this in a process of its own, stdout a pipe, NO_COLOR set and no OCLIF_COLUMNS: the
 * 80-column, colourless terminal the texts are valid for. The machine's user agent (root help's
 * VERSION) is replaced by USER_AGENT_MARK, filled in at run time.
 *
 *   bun render-help.ts OUT.json
 */
import { writeFileSync } from 'node:fs';
import { format } from 'node:util';
import { COMMAND_LOADERS } from './commands/index.ts';
import { main } from './src/main.ts';
import { importOclifAtWidth } from './src/cli/oclif-width.ts';
import { helpKey, USER_AGENT_MARK, type PrerenderedHelp } from './src/cli/help-fast-path.ts';

/** The command lines to render: help flags and the help command over every command and topic. */
export function helpCommandLines(commandIds: readonly string[], topics: readonly string[]): string[][] {
  // oclif's topics only: the words of a hidden topic (`k8s`) are not a command line oclif's help answers.
  const subjects = [...new Set([...commandIds, ...topics])];
  const lines: string[][] = [[], ['--help'], ['-h'], ['help']];
  for (const subject of subjects.sort()) {
    const words = subject.split(':');
    lines.push([...words, '--help'], [...words, '-h'], ['help', ...words]);
  }
  return lines;
}

/** What one command line prints through main(), stdout and stderr captured. */
async function capture(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { stdout: process.stdout.write, stderr: process.stderr.write, log: console.log, error: console.error, warn: console.warn };
  process.stdout.write = ((chunk: string | Uint8Array) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  // oclif prints help with console.log, which in Bun does not go through process.stdout.write.
  console.log = (...args: unknown[]) => void out.push(`${format(...args)}\n`);
  console.error = console.warn = (...args: unknown[]) => void err.push(`${format(...args)}\n`);
  try {
    const code = await main([...argv]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
    Object.assign(console, { log: saved.log, error: saved.error, warn: saved.warn });
  }
}

export async function renderHelp(): Promise<PrerenderedHelp> {
  if (process.stdout.isTTY || !process.env.NO_COLOR || process.env.OCLIF_COLUMNS) {
    throw new Error('render-help.ts: run with stdout a pipe, NO_COLOR=1 and no OCLIF_COLUMNS (build.ts does)');
  }
  // The first import of oclif fixes its help width, as src/main.ts's does (src/cli/oclif-width.ts).
  const { loadConfig } = await importOclifAtWidth(() => import('./src/cli/bootstrap.ts'), process.env, process.stdout);
  const config = await loadConfig(COMMAND_LOADERS);
  const texts: string[] = [];
  const byArgv: Record<string, number> = {};
  for (const argv of helpCommandLines(config.commandIDs, config.topics.map((t) => t.name))) {
    const r = await capture(argv);
    process.exitCode = undefined;
    if (r.code !== 0 || r.stderr || !r.stdout) continue;
    const text = r.stdout.replaceAll(config.userAgent, USER_AGENT_MARK);
    const seen = texts.indexOf(text);
    byArgv[helpKey(argv)] = seen >= 0 ? seen : texts.push(text) - 1;
  }
  return { texts, byArgv };
}

if (import.meta.main) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: bun render-help.ts OUT.json');
  writeFileSync(out, JSON.stringify(await renderHelp()));
}
