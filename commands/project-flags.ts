/**
 * The project a command acts on and where its state is, as plain data (src/cli/role-flags.ts specs)
 * and a pure lookup: what both the oclif commands (project-target.ts builds their flags from these)
 * and the commands src/main.ts runs without oclif (plain-commands.ts) read, defined once.
 *
 * One way to name a project in every command, as docker compose and git do: the project as an
 * argument (a registered name from `peers ls`, or a path inside its repository), or `-C DIR`;
 * neither means the repository around the current directory.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CommandIO } from '../src/cli/command-io.ts';
import { InputError } from '../src/cli/errors.ts';
import type { FlagSpecs } from '../src/cli/role-flags.ts';
import { gitRepoRootOf } from '../src/git/project-dir.ts';
import { listProjects, resolveProjectTarget } from '../sandbox/registry.ts';
import { findBareRepo, findWorkTreeRoot } from '../src/git/repo-layout.ts';

export const PROJECT_DESCRIPTION = 'Registered project name (peers ls) or a path in its repository (default: the current directory).';

export const PROJECT_DIR_FLAGS = {
  dir: { kind: 'string', char: 'C', helpValue: 'DIR', description: 'Run as if peers was started in DIR (like git -C): the project is the repository there.' },
} as const satisfies FlagSpecs;

export const STATE_DIR_FLAGS = {
  'state-dir': { kind: 'string', description: 'State directory (default: $PEERS_STATE_DIR or $XDG_STATE_HOME/peers/<project>).' },
} as const satisfies FlagSpecs;

/**
 * The directory `--state-dir` names, from the command's working directory; undefined when the flag
 * is absent. An empty value (a script's unset variable) is refused, exit 2: taken as absent, it
 * would read the current project's run in place of the one the script meant.
 */
export function stateDirOf(value: string | undefined, cwd: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new InputError('--state-dir is empty', { hint: "name the run's state directory, or leave the flag out for the project's own" });
  return resolve(cwd, value);
}

/**
 * A `--state-dir` that is not there is a mistyped path: bad input (exit 2), not a run yet to start
 * (`peers report`, `peers status`; a `status --watch` may start before the run writes its directory).
 */
export function assertStateDirExists(dir: string | undefined): void {
  if (dir === undefined) return;
  const hint = "check the path: `peers status` names the run's state directory and lists every archived run";
  if (!existsSync(dir)) throw new InputError(`--state-dir ${dir} does not exist`, { hint });
  // A directory holding other things but none of a run's files (a parent of it, the repository) is
  // a mistyped path too: "start a run first" would send the user to `peers up` for a run that
  // exists elsewhere. An empty one is a run not started yet.
  if (!statSync(dir).isDirectory()) throw new InputError(`--state-dir ${dir} is not a directory`, { hint });
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    throw new InputError(`--state-dir ${dir}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { hint });
  }
  if (entries.length > 0 && !['state.json', 'runs.jsonl', 'run'].some((f) => existsSync(join(dir, f)))) throw new InputError(`--state-dir ${dir} is not a run's state directory (no state.json, runs.jsonl or run/ in it)`, { hint });
}

/**
 * An empty project (`peers reset "$PROJECT"` with PROJECT unset) is refused, exit 2: taken as
 * absent, it acted on the repository around the current directory, not the one the script meant
 * (as for --state-dir, stateDirOf).
 */
export function refuseEmptyProject(value: string | undefined, as: 'argument' | '-C'): void {
  if (value === undefined || value.trim() !== '') return;
  const hint = 'name the project (a path, or a name from `peers ls`), or leave it out for the repository around the current directory';
  throw new InputError(as === '-C' ? '-C is empty' : 'the project argument is empty', { hint });
}

/**
 * The repository a command acts on (its top directory); exit 2 with the reason when there is none.
 * A path is taken from the command's working directory; a bare word naming no directory there is a
 * registered project's name.
 */
export function projectFrom(arg: string | undefined, dir: string | undefined, io: Pick<CommandIO, 'env' | 'cwd'>, o: { startsProject?: boolean } = {}): string {
  refuseEmptyProject(arg, 'argument');
  refuseEmptyProject(dir, '-C');
  if (arg !== undefined && dir !== undefined) throw new InputError(`the project is named twice: '${arg}' and -C ${dir}`, { hint: 'pass one of them' });
  const target = arg ?? dir;
  if (target === undefined) refuseNoProjectHere(io, o.startsProject === true);
  const isName = target !== undefined && !target.includes('/') && !existsSync(resolve(io.cwd, target));
  return isName ? resolveProjectTarget(target, io.env, io.cwd) : gitRepoRootOf(target ?? io.cwd, undefined, io.cwd);
}

/**
 * No project named, and the command started outside any repository (a new terminal, in the home
 * directory: `peers status` in the morning) while projects are registered: "git init" would send
 * the user to make a repository they have; the registered names are what they meant. A command
 * that starts a project here (`up`, `verify`) also says how to make this one.
 */
function refuseNoProjectHere(io: Pick<CommandIO, 'env' | 'cwd'>, startsProject: boolean): void {
  if (findWorkTreeRoot(io.cwd) || findBareRepo(io.cwd)) return;
  let names: string[];
  try {
    names = listProjects(io.env).map((p) => p.name ?? p.path);
  } catch {
    return; // an unreadable registry: the repository check's own error says what is wrong here
  }
  if (!names.length) return;
  const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')}, …` : names.join(', ');
  throw new InputError(`${io.cwd} is not a git repository, and no project was named`, {
    hint: `name one after the command, a registered name or a path (${names.length} registered: ${shown}; \`peers ls\` shows each one's status), or run it inside the project${startsProject ? '; for a new project here, `git init` then `peers init`' : ''}`,
  });
}
