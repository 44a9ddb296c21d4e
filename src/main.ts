#!/usr/bin/env bun
/**
 * The single entry point of the `peers` executable. Every role (CLI, loop, runner, sidecars,
 * model server) is a subcommand of this one binary.
 */
import { run } from '@oclif/core';
import { COMMANDS } from '../commands/index.ts';
import { loadConfig } from './cli/bootstrap.ts';
import { reportFatal } from './cli/report-error.ts';
import { PEERS_NAME, PEERS_VERSION } from './cli/version.ts';

export async function main(argv: string[]): Promise<number> {
  // oclif would print its user-agent string; users expect `peers <version>`.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version')) {
    process.stdout.write(`${PEERS_NAME} ${PEERS_VERSION}\n`);
    return 0;
  }
  try {
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
