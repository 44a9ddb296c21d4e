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

export function embeddedPjson(): Interfaces.PJSON {
  return {
    name: PEERS_NAME,
    version: PEERS_VERSION,
    description: PEERS_DESCRIPTION,
    oclif: {
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
