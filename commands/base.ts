/**
 * The base of every peers command: consistent `--json` output and error reporting. Commands stay
 * thin: parse flags, call into `src/`, print.
 *
 * A command reaches its process only through `this.io` (command-io.ts: output streams, stdin,
 * environment, working directory, stop signals), so it runs in process in tests. It ends one of two
 * ways: it returns its result (exit 0), or it throws a PeersError — bad input (exit 2), a failed
 * operation (1), or `CommandFailed` for a command whose result says it failed (a red `verify`, a
 * finished run's own exit code). `catch` below prints the JSON of either; `reportFatal` maps every
 * error to its exit code and stderr line, in one place (docs/ARCHITECTURE.md, Commands).
 */
import { Command, Errors, type Interfaces } from '@oclif/core';
import { processIO, terminalSafeIO, type CommandIO } from '../src/cli/command-io.ts';
import { commandOutput, exitWith, jsonOfFailure, logLine, writeJson, type CommandOutput } from '../src/cli/json-output/command-output.ts';
import { parseErrorMessage } from '../src/cli/parse-error-message.ts';
import { InputError, PeersError } from '../src/cli/errors.ts';
import { jsonOutput } from '../src/cli/json-output/json-output.ts';
import { reportFatal } from '../src/cli/report-error.ts';

export abstract class BaseCommand extends Command {
  /**
   * True for a command that, given valid input, starts or stops pods, servers or long runs (up,
   * down, loop, demo, runner, sidecars, model-server, image build, dashboard, notify-watch). Tools
   * that run every command (the CLI fuzzer in test/fuzz) give such a command only input that must
   * fail validation.
   * Carried into oclif's command manifest, so `peers commands --json` reports it.
   */
  static controlsRuns = false;

  /** The process as this command sees it; tests replace it before the command runs. */
  io: CommandIO = processIO();

  /**
   * Runs the command on `io` and returns its exit code, mapped from what it threw by the same
   * `reportFatal` as the binary's: `peers <command>` in process, for tests.
   */
  async runWith(io: CommandIO): Promise<number> {
    // As processIO's: what the command prints shows peers' control characters as `?` (command-io.ts).
    this.io = terminalSafeIO(io);
    try {
      await this._run();
      return 0;
    } catch (error) {
      return reportFatal(error, this.io);
    }
  }

  /**
   * Whatever goes wrong while parsing the command line is the user's input: an unknown flag, a
   * missing or malformed value, a value below a flag's minimum, an extra or missing argument.
   * oclif's own parse errors and the plain errors its argument parsers throw (`replay abc`) become
   * one InputError, exit 2, worded by parse-error-message.ts: what, for which command, see --help.
   */
  protected override async parse<F extends Record<string, unknown>, B extends Record<string, unknown>, A extends Record<string, unknown>>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    try {
      return await super.parse(options, argv);
    } catch (error) {
      // A shared flag's parser (run-flags.ts) throws the InputError itself; oclif has wrapped its
      // message in "Parsing --flag … See more help", which the user does not need twice.
      if (error instanceof PeersError) {
        error.message = error.message.replace(/^Parsing --\S+ \n\t/, '').replace(/\nSee more help with --help$/, '');
        throw error;
      }
      if (error instanceof Errors.ExitError) throw error;
      const flagNames = [...Object.keys(this.ctor.flags ?? {}), ...Object.keys(this.ctor.baseFlags ?? {}), ...(this.ctor.enableJsonFlag ? ['json'] : []), 'help'];
      throw new InputError(parseErrorMessage(error, { bin: this.config.bin, command: (this.id ?? '').replaceAll(':', ' '), flagNames }));
    }
  }

  /** oclif prints the value `run()` returns under --json through here. */
  protected override toSuccessJson(result: unknown): unknown {
    return jsonOutput(this.id ?? '', result);
  }

  /** Plain JSON, two-space indented: a program reads it, whatever the terminal. */
  override logJson(json: unknown): void {
    writeJson(this.io, json);
  }

  /** A line on stdout for people (nothing under --json: stdout is then one JSON document). */
  override log(message = '', ...args: unknown[]): void {
    logLine(this.io, this.jsonEnabled(), message, ...args);
  }

  /** A line on stderr for people: progress, notes (nothing under --json). */
  override logToStderr(message = '', ...args: unknown[]): void {
    logLine({ stdout: this.io.stderr }, this.jsonEnabled(), message, ...args);
  }

  /** What a command body shared with the oclif-free path (plain-commands.ts) prints through. */
  protected output(): CommandOutput {
    return commandOutput(this.io, this.jsonEnabled());
  }

  /**
   * The result when `exitCode` is 0; otherwise the command has failed with this result (its JSON
   * document under --json; its human output was already printed).
   */
  protected exitWith<T>(exitCode: number, result: T): T {
    return exitWith(exitCode, result);
  }

  /** Under --json, the document of a failure: the command's own result when it has one, else the error. */
  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (this.jsonEnabled()) {
      const json = await jsonOfFailure(this.id ?? '', err);
      if (json !== undefined) this.logJson(json);
    }
    throw err;
  }
}
