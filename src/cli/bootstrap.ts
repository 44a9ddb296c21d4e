/**
 * Builds oclif's Config from data compiled into the binary.
 *
 * oclif normally discovers commands by reading package.json and importing files by path; neither
 * exists inside a `bun build --compile` executable (its files live in a virtual /$bunfs). So we hand
 * oclif a ready-made root plugin: the package metadata is inlined, and the "explicit" discovery
 * strategy is satisfied from a pre-filled command cache instead of a dynamic import.
 */
import { Config, Plugin, type Command } from '@oclif/core';
import { PEERS_DESCRIPTION, PEERS_NAME, PEERS_VERSION } from './version.ts';

export type CommandMap = Record<string, Command.Class>;

const ROOT = '/peers-embedded';

function packageJson(): ConstructorParameters<typeof Plugin>[0]['pjson'] {
  return {
    name: PEERS_NAME,
    version: PEERS_VERSION,
    description: PEERS_DESCRIPTION,
    oclif: {
      bin: PEERS_NAME,
      dirname: PEERS_NAME,
      topicSeparator: ' ',
      // `target` is never imported: the cache below answers first.
      commands: { strategy: 'explicit', target: './embedded-commands', identifier: 'COMMANDS' },
      topics: {
        modes: { description: 'Inspect the built-in mode bundles.' },
        sidecar: { description: 'Sidecar processes of the sandbox pod (internal).', hidden: true },
        image: { description: 'Build and inspect the workspace image.' },
      },
    },
  } as ConstructorParameters<typeof Plugin>[0]['pjson'];
}

class EmbeddedPlugin extends Plugin {
  constructor(commands: CommandMap) {
    super({ root: ROOT, isRoot: true, pjson: packageJson(), ignoreManifest: true, name: PEERS_NAME });
    // oclif's explicit strategy consults this cache before importing `target`.
    (this as unknown as { commandCache: CommandMap }).commandCache = commands;
  }
}

export async function loadConfig(commands: CommandMap): Promise<Config> {
  const plugin = new EmbeddedPlugin(commands);
  await plugin.load();
  return Config.load({ root: ROOT, pjson: plugin.pjson, plugins: new Map([[PEERS_NAME, plugin]]), ignoreManifest: true });
}
