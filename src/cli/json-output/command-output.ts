/**
 * What a command prints, whether oclif runs it (commands/base.ts) or src/main.ts runs it without
 * oclif (commands/plain-commands.ts): lines for people unless --json, the JSON document of its
 * result, the JSON of its failure. One implementation for both, so the two paths cannot differ.
 */
import type { CommandIO } from '../command-io.ts';
import { CommandFailed, PeersError } from '../errors.ts';
import { jsonForTerminal } from '../terminal-text.ts';

/** A command's view of its output: its process (io) and whether it answers in JSON. */
export type CommandOutput = { readonly io: CommandIO; readonly json: boolean; log(message?: string, ...args: unknown[]): void };

/**
 * Plain JSON, two-space indented: a program reads it, whatever the terminal. The characters the
 * command streams would show as `?` are escaped in it (jsonForTerminal), so the document is exact.
 */
export function writeJson(io: Pick<CommandIO, 'stdout'>, json: unknown): void {
  io.stdout.write(`${jsonForTerminal(JSON.stringify(json, null, 2))}\n`);
}

/**
 * A line on stdout for people (nothing under --json: stdout is then one JSON document). A message
 * alone is the line (what util.format returns for one string), so a command that only prints lines
 * never loads node:util.
 */
export function logLine(io: Pick<CommandIO, 'stdout'>, json: boolean, message = '', ...args: unknown[]): void {
  if (json) return;
  const line = args.length === 0 && typeof message === 'string' ? message : process.getBuiltinModule('node:util').format(message, ...args);
  io.stdout.write(`${line}\n`);
}

export function commandOutput(io: CommandIO, json: boolean): CommandOutput {
  return { io, json, log: (message = '', ...args) => logLine(io, json, message, ...args) };
}

/**
 * Under --json, the document of a failure: the command's own result when it has one, else the error;
 * undefined for none. The output schemas (every command's, json-output.ts) are loaded only here and
 * for a --json result, never by a command that prints text.
 */
export async function jsonOfFailure(commandId: string, error: unknown): Promise<unknown> {
  if (!(error instanceof PeersError)) return undefined;
  const { jsonError, jsonOutput } = await import('./json-output.ts');
  if (!(error instanceof CommandFailed)) return jsonError(error);
  return error.result === undefined ? undefined : jsonOutput(commandId, error.result);
}

/**
 * The result when `exitCode` is 0; otherwise the command has failed with this result (its JSON
 * document under --json; its human output was already printed).
 */
export function exitWith<T>(exitCode: number, result: T): T {
  if (exitCode === 0) return result;
  throw new CommandFailed(exitCode, { result });
}
