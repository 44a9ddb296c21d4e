/**
 * One way to name a project in every command, as docker compose and git do: the project as an
 * argument (a registered name from `peers ls`, or a path inside its repository), or `-C DIR`;
 * neither means the repository around the current directory.
 */
import { Args, Flags } from '@oclif/core';
import { InputError } from '../src/cli/errors.ts';
import { resolveProjectTarget } from '../sandbox/registry.ts';

export const PROJECT_DESCRIPTION = 'Registered project name (peers ls) or a path in its repository (default: the current directory).';

export const projectArg = () => Args.string({ description: PROJECT_DESCRIPTION });

export const projectDirFlag = () => ({ dir: Flags.string({ char: 'C', helpValue: 'DIR', description: 'Run as if peers was started in DIR (like git -C): the project is the repository there.' }) });

/** The repository a command acts on (its top directory); exit 2 with the reason when there is none. */
export function projectFrom(arg: string | undefined, dir: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (arg !== undefined && dir !== undefined) throw new InputError(`the project is named twice: '${arg}' and -C ${dir}`, { hint: 'pass one of them' });
  return resolveProjectTarget(arg ?? dir, env);
}
