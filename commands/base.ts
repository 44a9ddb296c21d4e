/**
 * The base of every peers command: consistent `--json` output and error reporting. Commands stay
 * thin: parse flags, call into `src/`, print.
 */
import { Command, Errors, type Interfaces } from '@oclif/core';
import { unknownFlagMessage } from '../src/cli/command-suggest.ts';
import { InputError, PeersError } from '../src/cli/errors.ts';
import { jsonError, jsonOutput } from '../src/cli/json-output/json-output.ts';

export abstract class BaseCommand extends Command {
  /**
   * True for a command that, given valid input, starts or stops pods, servers or long runs (up,
   * down, loop, demo, runner, sidecars, model-server, image build, dashboard, notify-watch). Tools
   * that run every command (the CLI fuzzer in test/fuzz) give such a command only input that must
   * fail validation.
   * Carried into oclif's command manifest, so `peers commands --json` reports it.
   */
  static controlsRuns = false;

  /**
   * Whatever goes wrong while parsing the command line is the user's input: an unknown flag, a
   * missing or malformed value, a value below a flag's minimum. oclif's own parse errors and the
   * plain errors its argument parsers throw (`replay abc`) become one InputError, exit 2.
   */
  protected override async parse<F extends Record<string, unknown>, B extends Record<string, unknown>, A extends Record<string, unknown>>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    try {
      return await super.parse(options, argv);
    } catch (error) {
      if (error instanceof PeersError || error instanceof Errors.ExitError) throw error;
      const unknownFlags = (error as { flags?: unknown }).flags;
      if (Array.isArray(unknownFlags) && unknownFlags.length && String((error as Error).message).startsWith('Nonexistent flag')) {
        const known = [...Object.keys(this.ctor.flags ?? {}), ...Object.keys(this.ctor.baseFlags ?? {}), ...(this.ctor.enableJsonFlag ? ['json'] : []), 'help'];
        throw new InputError(unknownFlagMessage(String(unknownFlags[0]), (this.id ?? '').replaceAll(':', ' '), known));
      }
      const message = (error instanceof Error ? error.message : String(error)).replace(/\n\s*See more help with --help\s*$/, '');
      throw new InputError(message, { hint: `see \`${this.config.bin} ${(this.id ?? '').replaceAll(':', ' ')} --help\`` });
    }
  }

  /** Print a command's result as its JSON document (json-output.ts: schema_version, snake_case, money rounded, checked shape). */
  protected printJson(result: unknown): void {
    this.logJson(jsonOutput(this.id ?? '', result));
  }

  /** oclif prints the value `run()` returns under --json through here. */
  protected override toSuccessJson(result: unknown): unknown {
    return jsonOutput(this.id ?? '', result);
  }

  /** Plain JSON, two-space indented: a program reads it, whatever the terminal. */
  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (this.jsonEnabled() && err instanceof PeersError) this.logJson(jsonError(err));
    throw err;
  }
}
