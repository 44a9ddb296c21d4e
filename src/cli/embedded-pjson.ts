/**
 * The package.json oclif would read from disk, built from data compiled into the binary (a
 * `bun build --compile` executable has no package.json beside it).
 */
import type { Interfaces } from '@oclif/core';
import { PEERS_DESCRIPTION, PEERS_NAME, PEERS_VERSION } from './version.ts';

/** oclif's root for the embedded plugin: a name only, nothing is ever read from it. */
export const EMBEDDED_ROOT = '/peers-embedded';

export const TOPICS: Record<string, { description: string; hidden?: boolean }> = {
  modes: { description: 'Inspect the built-in mode bundles.' },
  sidecar: { description: 'Sidecar processes of the sandbox pod (internal).', hidden: true },
  image: { description: 'Build and inspect the workspace image.' },
};

/** The first line of `peers --help`. */
export const ROOT_HELP_SUMMARY = 'Drive AI coding CLIs as peers on one git repository, in a podman sandbox.';

export function embeddedPjson(): Interfaces.PJSON {
  return {
    name: PEERS_NAME,
    version: PEERS_VERSION,
    description: PEERS_DESCRIPTION,
    oclif: {
      // Root help prints the first line as it is, then wraps the rest as its DESCRIPTION: a first
      // line that fits 80 columns, then the package's description (src/cli/oclif-width.ts).
      description: `${ROOT_HELP_SUMMARY}\n${PEERS_DESCRIPTION}`,
      bin: PEERS_NAME,
      dirname: PEERS_NAME,
      topicSeparator: ' ',
      // `-h` is help on every command, as in gh, docker and git (no command uses -h for anything else).
      additionalHelpFlags: ['-h'],
      // Never imported: commands come from COMMAND_LOADERS (commands/index.ts).
      commands: { strategy: 'explicit', target: './embedded-commands', identifier: 'COMMANDS' },
      topics: TOPICS,
    },
  } as Interfaces.PJSON;
}
