/**
 * oclif's manifest of the command tree (ids, descriptions, flags, args, examples): what help,
 * `peers commands` and command lookup need, without importing any command.
 *
 * From the sources (`bun src/main.ts`) `commandManifest` imports every command of the tree it is
 * handed (commands/index.ts, which the entry point and build.ts pass in) and asks oclif's own Plugin
 * for the manifest. The compiled binary never runs this: build.ts computes the manifest once
 * with this same function and replaces this module with the result (`embeddedCommandManifest`), so
 * the binary imports a command only when it runs it, and the manifest cannot drift from the classes.
 */
import { Plugin, type Command, type Interfaces } from '@oclif/core';
import { EMBEDDED_ROOT, embeddedPjson } from './embedded-pjson.ts';
import { reflowParagraphs } from './help-text.ts';
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
  // Plain data only: the manifest is embedded in the binary as JSON.
  const manifest = JSON.parse(JSON.stringify(plugin.manifest)) as Interfaces.Manifest;
  // One line per paragraph, which oclif's help wraps to the terminal (help-text.ts).
  for (const command of Object.values(manifest.commands)) {
    if (command.description) command.description = reflowParagraphs(command.description);
    for (const part of [...Object.values(command.flags), ...Object.values(command.args)]) {
      if (part.description) part.description = reflowParagraphs(part.description);
    }
  }
  return manifest;
}

/** `loaders`: the command tree's loaders by id (commands/index.ts); the embedded module ignores them. */
export async function commandManifest(loaders: Record<string, () => Promise<Command.Class>>): Promise<Interfaces.Manifest> {
  const entries = await Promise.all(Object.entries(loaders).map(async ([id, load]) => [id, await load()] as const));
  return manifestOf(Object.fromEntries(entries));
}

/** The module build.ts puts in this one's place: the same export, answered from the embedded JSON. */
export function embeddedCommandManifest(manifest: Interfaces.Manifest): string {
  return `export async function commandManifest() { return JSON.parse(${JSON.stringify(JSON.stringify(manifest))}); }\n`;
}
