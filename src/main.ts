#!/usr/bin/env bun
/**
 * The single entry point of the `peers` executable. Every role (CLI, loop, runner, sidecars,
 * model server) is a subcommand of this one binary.
 */
import { podRole } from '../commands/pod-roles.ts';
import { mayAskForHelp, oclifUserAgent, prerenderedHelpFor } from './cli/help-fast-path.ts';
import type { CommandIO } from './cli/command-io.ts';
import { PEERS_NAME, PEERS_VERSION } from './cli/version.ts';

/**
 * The first import of @oclif/core checks the Node version against oclif's package.json, which loads
 * and runs semver (~30 ms of every start) to judge a runtime that is Bun, not Node. The switch is
 * an environment variable; it is removed again so the processes peers starts never inherit it.
 * The same import fixes oclif's help width, which every help line must fit (src/cli/oclif-width.ts).
 */
async function importWithoutEngineCheck<T>(load: () => Promise<T>): Promise<T> {
  const before = process.env.OCLIF_DISABLE_ENGINE_WARNING;
  process.env.OCLIF_DISABLE_ENGINE_WARNING = '1';
  try {
    const { importOclifAtWidth } = await import('./cli/oclif-width.ts');
    return await importOclifAtWidth(load, process.env, process.stdout);
  } finally {
    if (before === undefined) delete process.env.OCLIF_DISABLE_ENGINE_WARNING;
    else process.env.OCLIF_DISABLE_ENGINE_WARNING = before;
  }
}

export async function main(argv: string[]): Promise<number> {
  // `--no-color` on any command means NO_COLOR, set before oclif (its help) or anything else reads it.
  const { takeNoColorFlag } = await import('./cli/colour.ts');
  if (takeNoColorFlag(argv)) process.env.NO_COLOR = '1';
  // Up to oclif, output goes straight to the descriptor (src/cli/fd-output.ts): process.stdout costs more to make than the rest.
  const { stdoutFd } = await import('./cli/fd-output.ts');
  // oclif would print its user-agent string; users expect `peers <version>`.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version')) {
    stdoutFd().write(`${PEERS_NAME} ${PEERS_VERSION}\n`);
    return 0;
  }
  // Help as oclif rendered it at build time, when this terminal is the one it was rendered for.
  if (mayAskForHelp(argv)) {
    const { prerenderedHelp } = await import('./cli/prerendered-help.ts');
    const stdout = stdoutFd();
    const text = prerenderedHelpFor(argv, prerenderedHelp(), process.env, stdout, () => oclifUserAgent(PEERS_NAME, PEERS_VERSION));
    if (text !== undefined) {
      stdout.write(text);
      return 0;
    }
  }
  // The loop records every stop it is asked for, also one that comes while it is still loading.
  if (argv[0] === 'loop') (await import('./cli/stop-signal.ts')).holdEarlyStop(process);
  // The binary starts with a reluctant JIT (build.ts): right for a command that is over in a moment.
  // A process still running after a second serves or loops, so it gets the normal JIT back.
  setTimeout(() => Bun.unsafe.setJITPolicy(1), 1000).unref();
  // The sidecars and runners run for hours: they start without oclif, which would hold ~12 MiB each.
  // They get what every command gets before it runs: a usable TMPDIR and, in the pod, the lifeline.
  const role = await podRole(argv);
  if (role) {
    try {
      const { dropUnusableTmpdir } = await import('./state/env-dirs.ts');
      dropUnusableTmpdir();
      await startLifeline(argv);
      await role();
      return 0;
    } catch (error) {
      const { reportFatal } = await importWithoutEngineCheck(() => import('./cli/report-error.ts'));
      return reportFatal(error);
    }
  }
  // `status`, `ls`, `info` with a plain command line: the same bodies as their oclif commands, without oclif.
  const { plainCommand, runPlainCommand } = await import('../commands/plain-commands.ts');
  const plain = await plainCommand(argv);
  if (plain) {
    const report = async (error: unknown, io?: CommandIO) => (await importWithoutEngineCheck(() => import('./cli/report-error.ts'))).reportFatal(error, io);
    try {
      const { dropUnusableTmpdir } = await import('./state/env-dirs.ts');
      dropUnusableTmpdir();
      await startLifeline(argv);
      const { processIO } = await import('./cli/command-io.ts');
      return await runPlainCommand(plain, processIO(stdoutFd()), report);
    } catch (error) {
      return report(error);
    }
  }
  // Everything else is loaded only now, so `--version` does not pay for the whole command tree.
  const { reportFatal } = await importWithoutEngineCheck(() => import('./cli/report-error.ts'));
  try {
    const { dropUnusableTmpdir } = await import('./state/env-dirs.ts');
    dropUnusableTmpdir();
    const { COMMAND_LOADERS } = await import('../commands/index.ts');
    const { loadConfig } = await import('./cli/bootstrap.ts');
    const { run } = await import('@oclif/core');
    const config = await loadConfig(COMMAND_LOADERS);
    // A mistyped command is one line with the closest command, and a word after a command that takes
    // none an unexpected argument: exit 2, not oclif's "command x not found".
    const { unknownCommandMessage } = await import('./cli/command-suggest.ts');
    const unknown = unknownCommandMessage(argv, {
      ids: config.commandIDs,
      topics: config.topics.map((t) => t.name),
      hiddenIds: config.commands.filter((c) => c.hidden).map((c) => c.id),
      withoutArgs: config.commands.filter((c) => c.strict !== false && Object.keys(c.args ?? {}).length === 0).map((c) => c.id),
    });
    if (unknown) {
      const { InputError } = await import('./cli/errors.ts');
      throw new InputError(unknown);
    }
    await startLifeline(argv);
    await run(argv, config);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return reportFatal(error);
  }
}

/** In the pod: the loop holds the lifeline, the other roles stop when it drops (sandbox/lifeline.ts). */
async function startLifeline(argv: readonly string[]): Promise<void> {
  if (process.env.PEERS_LIFELINE) await (await import('../sandbox/lifeline.ts')).startLifelineForRole(argv[0]);
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(process.argv.slice(2));
  } catch (error) {
    // `--version` and prerendered help write before any command runs (a full disk under stdout:
    // fd-output.ts): reported as every command's failure is, never as an unhandled rejection.
    const { reportFatal } = await importWithoutEngineCheck(() => import('./cli/report-error.ts'));
    code = reportFatal(error);
  }
  process.exit(code);
}
