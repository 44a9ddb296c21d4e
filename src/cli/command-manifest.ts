/**
 * oclif's manifest of the command tree (ids, descriptions, flags, args, examples): what help,
 * `peers commands` and command lookup need, without importing any command.
 *
 * bootstrap.ts imports `commandManifest` as a Bun macro (`with { type: 'macro' }`), so it runs once at
 * bundle time and the binary carries the result as a literal; from the sources (`bun src/main.ts`)
 * the macro runs when bootstrap.ts is transpiled. Either way the manifest is derived from the
 * command classes themselves, by oclif's own Plugin, so it cannot drift from them.
 */
import { Plugin, type Command, type Interfaces } from '@oclif/core';
import { EMBEDDED_ROOT, embeddedPjson } from './embedded-pjson.ts';
import { PEERS_NAME } from './version.ts';

/** A plugin whose "explicit" discovery is answered from classes in hand, not a file import. */
class ClassesPlugin extends Plugin {
  constructor(commands: Record<string, Command.Class>) {
    super({ root: EMBEDDED_ROOT, isRoot: true, pjson: embeddedPjson(), ignoreManifest: true, errorOnManifestCreate: true, name: PEERS_NAME });
    // oclif's explicit strategy consults this cache before importing `target`.
    (this as unknown as { commandCache: Record<string, Command.Class> }).commandCache = commands;
  }
}

export async function manifestOf(commands: Record<string, Command.Class>): Promise<Interfaces.Manifest> {
  const plugin = new ClassesPlugin(commands);
  await plugin.load();
  // A macro's result must be plain data; the round trip also drops anything that is not.
  return JSON.parse(JSON.stringify(plugin.manifest)) as Interfaces.Manifest;
}

/** The macro: loads every command once and returns the manifest. */
export async function commandManifest(): Promise<Interfaces.Manifest> {
  const { COMMAND_LOADERS } = await import('../../commands/index.ts');
  const entries = await Promise.all(Object.entries(COMMAND_LOADERS).map(async ([id, load]) => [id, await load()] as const));
  return manifestOf(Object.fromEntries(entries));
}
