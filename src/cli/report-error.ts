/**
 * Turns any error that escaped a command into one line on stderr and an exit code. Expected
 * failures (`PeersError`, oclif's own parse errors) never show a stack trace; anything else is a
 * bug in peers, reported with its stack only when PEERS_DEBUG is set.
 */
import { Errors } from '@oclif/core';
import { paintFor } from './colour.ts';
import { PeersError } from './errors.ts';

/** `peers:` in red when stderr is a terminal that takes colour. */
const prefix = () => paintFor(process.stderr).red('peers:');

export function reportFatal(error: unknown): number {
  if (error instanceof PeersError) {
    process.stderr.write(`${prefix()} ${error.format()}\n`);
    return error.exitCode;
  }
  const oclifExit = (error as { oclif?: { exit?: number } })?.oclif?.exit;
  if (error instanceof Errors.ExitError || (oclifExit !== undefined && (error as Error).message?.startsWith('EEXIT'))) {
    return oclifExit ?? 0;
  }
  if (error instanceof Error && oclifExit !== undefined) {
    // Flag/argument parse errors and "command not found": bad input.
    process.stderr.write(`${prefix()} ${error.message}\n`);
    return oclifExit === 1 ? 2 : oclifExit;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${prefix()} internal error: ${message}\n`);
  if (process.env.PEERS_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write('  (set PEERS_DEBUG=1 for the stack trace, and please report it)\n');
  return 70;
}
