/**
 * The commands people run most, started without oclif when their command line is plain (what
 * "plain" means: src/cli/role-flags.ts): `peers status`, `peers ls`, `peers info`, with their long
 * flags and `--json`. Loading oclif is most of what these cost (BENCHMARKS.md, Startup). Anything
 * else, a project argument, a short flag, `--help`, every mistake, goes to oclif, so messages and
 * exit codes are oclif's. Both paths run the same body (`*-plain.ts`), print through the same
 * functions (src/cli/json-output/command-output.ts) and end in the same reportFatal.
 */
import type { CommandIO } from '../src/cli/command-io.ts';
import { commandOutput, jsonOfFailure, writeJson, type CommandOutput } from '../src/cli/json-output/command-output.ts';
import { type FlagSpecs, type FlagValues, parseRoleArgv } from '../src/cli/role-flags.ts';

/** oclif's `--json` (enableJsonFlag), which every command here has. */
const JSON_FLAG = { json: { kind: 'boolean', description: 'Format output as json.' } } as const satisfies FlagSpecs;

export type PlainCommand = { readonly id: string; readonly json: boolean; run(out: CommandOutput): Promise<unknown> };
type Bind = (id: string, argv: readonly string[], env: NodeJS.ProcessEnv) => PlainCommand | null;

function bind<S extends FlagSpecs>(spec: S, run: (flags: FlagValues<S>, out: CommandOutput) => Promise<unknown>): Bind {
  return (id, argv, env) => {
    // oclif reads these of the environment for any command (PEERS_CONTENT_TYPE=json means --json).
    if (env.PEERS_CONTENT_TYPE !== undefined || env.PEERS_REDIRECTED !== undefined) return null;
    const parsed = parseRoleArgv(argv, { ...spec, ...JSON_FLAG }, env);
    if (!parsed) return null;
    const { json, ...flags } = parsed;
    return { id, json: json === true, run: (out) => run(flags as FlagValues<S>, out) };
  };
}

/** Command word → its flags and body, each imported only when that command runs. */
export const PLAIN_COMMANDS: Record<string, () => Promise<Bind>> = {
  status: async () => {
    const m = await import('./status-plain.ts');
    return bind(m.STATUS_FLAGS, (flags, out) => m.runStatus(undefined, flags, out));
  },
  ls: async () => {
    const m = await import('./ls-plain.ts');
    return bind(m.LS_FLAGS, m.runLs);
  },
  info: async () => {
    const m = await import('./info-plain.ts');
    return bind(m.INFO_FLAGS, (flags, out) => m.runInfo(undefined, flags, out));
  },
};

/** The command `argv` runs without oclif, or null when oclif must handle `argv`. */
export async function plainCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<PlainCommand | null> {
  const [word, ...rest] = argv;
  if (word === undefined || !Object.hasOwn(PLAIN_COMMANDS, word)) return null;
  return (await PLAIN_COMMANDS[word]!())(word, rest, env);
}

/**
 * Runs `command` as oclif runs a peers command (commands/base.ts): its result as the JSON document
 * under --json, a failure's JSON under --json, then the exit code from `report` (reportFatal).
 */
export async function runPlainCommand(command: PlainCommand, io: CommandIO, report: (error: unknown, io: CommandIO) => Promise<number>): Promise<number> {
  try {
    const result = await command.run(commandOutput(io, command.json));
    // The output schemas (every command's) are loaded for a JSON document only.
    if (result && command.json) writeJson(io, (await import('../src/cli/json-output/json-output.ts')).jsonOutput(command.id, result));
    return 0;
  } catch (error) {
    if (command.json) {
      const json = await jsonOfFailure(command.id, error);
      if (json !== undefined) writeJson(io, json);
    }
    return report(error, io);
  }
}
