/**
 * oclif's command-line parse errors, reworded as peers' other errors are: one line saying what was
 * wrong, for which command, and where to look (`peers <command> --help`). commands/base.ts throws
 * the result as an InputError (exit 2), so every parse error leaves through reportFatal.
 *
 * oclif (its parser/parse.js and parser/errors.js) exports neither its error classes nor stable
 * codes, so the errors are told apart by their fixed messages; test/unit/cli/parse-error-message.test.ts
 * produces each one with oclif's own parser, so an oclif upgrade that rewords one fails there.
 */
import { didYouMean } from './did-you-mean.ts';

/** The command as users type it (`sidecar egress`, not `sidecar:egress`) and the names of its flags. */
export type ParsedCommand = { readonly bin: string; readonly command: string; readonly flagNames: readonly string[] };

/** The message for an unknown flag of `command`, suggesting the closest of its flags. */
export function unknownFlagMessage(flag: string, command: string, flagNames: readonly string[]): string {
  const guess = didYouMean(flag.replace(/^-+/, '').split('=')[0]!, flagNames);
  if (!command) return `unknown flag '${flag}' (see \`peers --help\`)`;
  return guess ? `unknown flag '${flag}' for '${command}'. Did you mean '--${guess}'?` : `unknown flag '${flag}' for '${command}' (peers ${command} --help lists its flags)`;
}

/** What was wrong, then the command and where its usage is: the one shape of every message here. */
function withCommand(said: (where: string) => string, cmd: Pick<ParsedCommand, 'bin' | 'command'>): string {
  const where = cmd.command ? ` for '${cmd.command}'` : '';
  const full = cmd.command ? `${cmd.bin} ${cmd.command}` : cmd.bin;
  return `${said(where).trim().replace(/\s*\n\s*/g, ' ')} (see \`${full} --help\`)`;
}

const unexpectedArguments = (extra: readonly string[], where: string) => `unexpected argument${extra.length === 1 ? '' : 's'} ${quoteList(extra)}${where}`;

/** Words after a command that takes none (`peers ls extra`). */
export function unexpectedArgumentsMessage(extra: readonly string[], cmd: Pick<ParsedCommand, 'bin' | 'command'>): string {
  return withCommand((where) => unexpectedArguments(extra, where), cmd);
}

const quoteList = (items: readonly string[]) => items.map((i) => `'${i}'`).join(', ');

type OclifParseError = { message?: unknown; flags?: unknown; args?: unknown };

/** The first line of oclif's message, without its "See more help with --help" and ANSI colour. */
function oclifText(error: unknown): string {
  const message = error instanceof Error ? error.message : String((error as OclifParseError)?.message ?? error);
  // oclif colours the reasons of a failed flag validation.
  return message.replace(/\u001b\[[0-9;]*m/g, '').replace(/\n\s*See more help with --help\s*$/, '');
}

/** What went wrong, in peers' words with `where` (" for 'up'") in its place, or undefined for a message this does not know. */
function whatWentWrong(error: unknown, where: string): string | undefined {
  const text = oclifText(error);
  const e = error as OclifParseError;
  let m: RegExpMatchArray | null;
  if ((m = text.match(/^Unexpected flag (\S+)$/))) return `unknown flag '${m[1]}'${where}`;
  if ((m = text.match(/^Flag --(\S+) expects a value$/))) return `--${m[1]} needs a value${where}`;
  if ((m = text.match(/^Flag --(\S+) expects one of these values: (.*)$/))) return `--${m[1]} needs a value${where}, one of: ${m[2]}`;
  if ((m = text.match(/^Flag --(\S+) can only be specified once$/))) return `--${m[1]} is given more than once${where}; give it once`;
  if ((m = text.match(/^Expected --([^=\s]+)=(.*) to be one of: (.*)$/s))) return `--${m[1]}${where} does not take '${m[2]}'; it takes one of: ${m[3]}`;
  if ((m = text.match(/^Expected (.*) to be one of: (.*)$/s))) return `'${m[1]}' is not an argument${where}; it takes one of: ${m[2]}`;
  if (/^Unexpected arguments?: /.test(text)) {
    const extra = Array.isArray(e.args) ? e.args.map(String) : text.replace(/^Unexpected arguments?: /, '').split(', ');
    return unexpectedArguments(extra, where);
  }
  if (/^Missing \d+ required args?/.test(text)) {
    const names = Array.isArray(e.args) ? e.args.map((a) => String((a as { name?: unknown }).name ?? '')).filter(Boolean) : [];
    return `missing argument${names.length === 1 ? '' : 's'}${names.length ? ` ${names.map((n) => n.toUpperCase()).join(', ')}` : ''}${where}`;
  }
  if ((m = text.match(/^The following errors? occurred:\n([\s\S]*)$/))) {
    const reasons = m[1]!.split('\n').map((r) => r.trim()).filter(Boolean);
    const reworded = reasons.map((r) =>
      r
        .replace(/^Missing required flag (\S+)$/, 'missing required flag --$1')
        .replace(/^--([^=\s]+)(?:=\S*)? cannot also be provided when using --(\S+)$/, '--$2 and --$1 cannot be given together')
        .replace(/^[A-Z]/, (c) => c.toLowerCase()),
    );
    return `${reworded.join('; ')}${where}`;
  }
  // A flag's own parser (Flags.integer and the like): oclif puts "Parsing --flag" before its message.
  if ((m = text.match(/^Parsing --(\S+) *\n\s*([\s\S]*)$/))) return `--${m[1]}${where}: ${m[2]!.trim().replace(/^Expected/, 'expected')}`;
  return undefined;
}

/**
 * The one line for `error`, an oclif parse error of `cmd`: what was wrong, which command, and what
 * to run to see how the command is used. A message this does not know keeps oclif's words, on
 * one line, with the same ending.
 */
export function parseErrorMessage(error: unknown, cmd: ParsedCommand): string {
  const flags = (error as OclifParseError).flags;
  if (/^Nonexistent flags?: /.test(oclifText(error)) && Array.isArray(flags) && flags.length) {
    return unknownFlagMessage(String(flags[0]), cmd.command, cmd.flagNames);
  }
  // An argument's own parser (Args.integer: `replay abc`) throws a plain Error of its words.
  return withCommand((where) => whatWentWrong(error, where) ?? `${oclifText(error).replace(/^Expected /, 'expected ')}${where}`, cmd);
}
