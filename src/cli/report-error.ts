/**
 * Turns any error that escaped a command into one line on stderr and an exit code. Expected
 * failures (`PeersError`, oclif's own parse errors) never show a stack trace; anything else is a
 * bug in peers, reported with its stack only when PEERS_DEBUG is set.
 */
import { Errors } from '@oclif/core';
import { paintFor } from './colour.ts';
import { terminalSafe, type OutputStream } from './command-io.ts';
import { PeersError } from './errors.ts';
import { parseErrorMessage } from './parse-error-message.ts';
import { storageFailure } from './storage-failure.ts';

type ErrorOutput = { stderr: OutputStream; env: NodeJS.ProcessEnv };

/** The exit code of `error`, after writing what the user needs to know about it to `io.stderr`. */
export function reportFatal(error: unknown, io: ErrorOutput = { stderr: process.stderr, env: process.env }): number {
  // `peers:` in red when stderr is a terminal that takes colour.
  const prefix = () => paintFor(io.stderr, io.env).red('peers:');
  // A message can quote what a peer wrote (a subject, a file name): shown as text, as every command's output (command-io.ts).
  const stderr = terminalSafe(io.stderr);
  const write = (text: string) => stderr.write(text);
  if (error instanceof PeersError) {
    // A CommandFailed without a message: the command's own output already said why.
    if (error.message || error.hint) write(`${prefix()} ${error.format()}\n`);
    return error.exitCode;
  }
  const oclifExit = (error as { oclif?: { exit?: number } })?.oclif?.exit;
  if (error instanceof Errors.ExitError || (oclifExit !== undefined && (error as Error).message?.startsWith('EEXIT'))) {
    return oclifExit ?? 0;
  }
  if (error instanceof Error && oclifExit !== undefined) {
    // Bad input that no peers command parsed (commands/base.ts words its own): oclif's `help`
    // command's flags, "command not found". Worded as every parse error is, naming no command.
    write(`${prefix()} ${parseErrorMessage(error, { bin: 'peers', command: '', flagNames: [] })}\n`);
    return oclifExit === 1 ? 2 : oclifExit;
  }
  const storage = storageFailure(error);
  if (storage) {
    write(`${prefix()} ${storage.message}\n  hint: ${storage.hint}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  write(`${prefix()} internal error: ${message}\n`);
  if (io.env.PEERS_DEBUG && error instanceof Error && error.stack) write(`${error.stack}\n`);
  else write('  (set PEERS_DEBUG=1 for the stack trace, and please report it)\n');
  return 70;
}
