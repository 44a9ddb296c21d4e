/**
 * The pod's long-running roles, started without oclif when their command line is plain (see
 * src/cli/role-flags.ts for why and for what "plain" means). Everything else, including `--help` and every
 * mistake, goes to oclif, so messages and exit codes are the same either way.
 */
import { type FlagSpecs, type FlagValues, parseRoleArgv } from '../src/cli/role-flags.ts';

type Start = () => Promise<void>;
type Bind = (argv: readonly string[], env: NodeJS.ProcessEnv) => Start | null;

function bind<S extends FlagSpecs>(spec: S, run: (flags: FlagValues<S>) => Promise<void>): Bind {
  return (argv, env) => {
    const flags = parseRoleArgv(argv, spec, env);
    return flags ? () => run(flags) : null;
  };
}

/** Command words → the role's flags and body, each imported only when that role starts. */
export const POD_ROLES: Record<string, () => Promise<Bind>> = {
  'sidecar egress': async () => {
    const m = await import('./sidecar/egress-role.ts');
    return bind(m.EGRESS_FLAGS, m.runEgressSidecar);
  },
  'sidecar bridge': async () => {
    const m = await import('./sidecar/bridge-role.ts');
    return bind(m.BRIDGE_FLAGS, m.runBridgeSidecar);
  },
  'sidecar auth': async () => {
    const m = await import('./sidecar/auth-role.ts');
    return bind(m.AUTH_FLAGS, m.runAuthSidecar);
  },
  runner: async () => {
    const m = await import('./runner-role.ts');
    return bind(m.RUNNER_FLAGS, m.runRunner);
  },
};

/** The role `argv` starts, ready to run, or null when oclif must handle `argv`. */
export async function podRole(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Start | null> {
  if (argv.some((t) => t === '--help' || t === '-h')) return null;
  for (const words of [argv.slice(0, 2).join(' '), argv[0] ?? '']) {
    const load = Object.hasOwn(POD_ROLES, words) ? POD_ROLES[words] : undefined;
    if (load) return (await load())(argv.slice(words.split(' ').length), env);
  }
  return null;
}
