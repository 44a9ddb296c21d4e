#!/usr/bin/env bun
/**
 * The single entry point of the `peers` executable. Every role (CLI, loop, runner, sidecars,
 * model server) is a subcommand of this one binary.
 */
import { PEERS_NAME, PEERS_VERSION } from './cli/version.ts';

export async function main(argv: string[]): Promise<number> {
  // oclif would print its user-agent string; users expect `peers <version>`.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version')) {
    process.stdout.write(`${PEERS_NAME} ${PEERS_VERSION}\n`);
    return 0;
  }
  // Everything else is loaded only now, so `--version` does not pay for the whole command tree.
  const { reportFatal } = await import('./cli/report-error.ts');
  try {
    const { dropUnusableTmpdir } = await import('./state/env-dirs.ts');
    dropUnusableTmpdir();
    const { COMMANDS } = await import('../commands/index.ts');
    const { loadConfig } = await import('./cli/bootstrap.ts');
    const { run } = await import('@oclif/core');
    const config = await loadConfig(COMMANDS);
    await run(argv, config);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return reportFatal(error);
  }
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
