/**
 * Builds oclif's Config from data compiled into the binary.
 *
 * oclif normally discovers commands by reading package.json and importing files by path; neither
 * exists inside a `bun build --compile` executable (its files live in a virtual /$bunfs). So we hand
 * oclif a ready-made root plugin: the package metadata is inlined, the manifest (every command's
 * flags, args, help text) comes from command-manifest.ts (computed at build time for the binary), and a
 * command's module is imported only when that command runs.
 */
import { Config, settings, type Command, type Interfaces } from '@oclif/core';
import { commandManifest } from './command-manifest.ts';
import { EMBEDDED_ROOT, TOPICS, embeddedPjson } from './embedded-pjson.ts';
import { PEERS_NAME, PEERS_VERSION } from './version.ts';

export type CommandLoaders = Record<string, () => Promise<Command.Class>>;

/**
 * oclif reads an optional positional argument from stdin when stdin is not a terminal (waiting up
 * to 10 ms for it), so `echo x | peers status` took `x` as the project. No peers command takes an
 * argument from stdin.
 */
function ignoreStdinForArgs(cmd: Command.Class): void {
  for (const arg of Object.values(cmd.args ?? {})) arg.ignoreStdin = true;
}

/** oclif's Plugin contract, answered from the embedded manifest and per-command loaders. */
class EmbeddedPlugin implements Interfaces.Plugin {
  readonly _base = `${PEERS_NAME}@${PEERS_VERSION}`;
  readonly alias = PEERS_NAME;
  readonly name = PEERS_NAME;
  readonly version = PEERS_VERSION;
  readonly root = EMBEDDED_ROOT;
  readonly options: Interfaces.Options = { root: EMBEDDED_ROOT, isRoot: true, name: PEERS_NAME };
  readonly pjson = embeddedPjson();
  readonly commandsDir = undefined;
  readonly hasManifest = true;
  readonly moduleType = 'module' as const;
  hooks: Interfaces.Plugin['hooks'] = {};
  isRoot = true;
  type = 'core';
  valid = true;
  readonly commandIDs: string[];
  commands: Command.Loadable[];
  readonly topics: Interfaces.Topic[] = Object.entries(TOPICS).map(([name, t]) => ({ name, ...t }));

  constructor(
    readonly manifest: Interfaces.Manifest,
    private readonly loaders: CommandLoaders,
  ) {
    this.commandIDs = Object.keys(manifest.commands);
    this.commands = Object.entries(manifest.commands)
      .map(([id, cached]) => ({ ...cached, id, pluginAlias: PEERS_NAME, pluginType: 'core', load: () => this.findCommand(id, { must: true }) }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async load(): Promise<void> {}

  findCommand(id: string, opts: { must: true }): Promise<Command.Class>;
  findCommand(id: string, opts?: { must: boolean }): Promise<Command.Class> | undefined;
  findCommand(id: string, opts?: { must: boolean }): Promise<Command.Class> | undefined {
    const loader = this.loaders[id];
    if (!loader) {
      if (opts?.must) return Promise.reject(new Error(`command ${id} not found`));
      return undefined;
    }
    return loader().then((cmd) => {
      cmd.id = id;
      cmd.plugin = this;
      ignoreStdinForArgs(cmd);
      return cmd;
    });
  }
}

export async function loadConfig(loaders: CommandLoaders, manifest?: Interfaces.Manifest): Promise<Config> {
  // oclif would look for a tsconfig.json (and the TypeScript compiler) to run `.ts` sources of
  // linked plugins in development; peers has none (build.ts also stubs the reader out).
  settings.enableAutoTranspile = false;
  const plugin = new EmbeddedPlugin(manifest ?? (await commandManifest(loaders)), loaders);
  return Config.load({ root: EMBEDDED_ROOT, pjson: plugin.pjson, plugins: new Map([[PEERS_NAME, plugin]]), ignoreManifest: true });
}
