/**
 * The base of every peers command: consistent `--json` output and error reporting. Commands stay
 * thin: parse flags, call into `src/`, print.
 */
import { Command } from '@oclif/core';
import { PeersError } from '../src/cli/errors.ts';

export abstract class BaseCommand extends Command {
  /** Print a value as the command's JSON result (stable, two-space indented). */
  protected printJson(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (this.jsonEnabled() && err instanceof PeersError) {
      this.printJson({ error: { message: err.message, exitCode: err.exitCode, location: err.location, hint: err.hint } });
    }
    throw err;
  }
}
