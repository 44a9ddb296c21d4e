/**
 * One way to name a project in every command, as docker compose and git do: the project as an
 * argument (a registered name from `peers ls`, or a path inside its repository), or `-C DIR`;
 * neither means the repository around the current directory.
 */
import { Args, Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandIO } from '../src/cli/command-io.ts';
import { InputError } from '../src/cli/errors.ts';
import { gitRepoRootOf } from '../src/git/project-dir.ts';
import { resolveProjectTarget } from '../sandbox/registry.ts';

export const PROJECT_DESCRIPTION = 'Registered project name (peers ls) or a path in its repository (default: the current directory).';

export const projectArg = () => Args.string({ description: PROJECT_DESCRIPTION });

export const projectDirFlag = () => ({ dir: Flags.string({ char: 'C', helpValue: 'DIR', description: 'Run as if peers was started in DIR (like git -C): the project is the repository there.' }) });

/**
 * The repository a command acts on (its top directory); exit 2 with the reason when there is none.
 * A path is taken from the command's working directory; a bare word naming no directory there is a
 * registered project's name.
 */
export function projectFrom(arg: string | undefined, dir: string | undefined, io: Pick<CommandIO, 'env' | 'cwd'>): string {
  if (arg !== undefined && dir !== undefined) throw new InputError(`the project is named twice: '${arg}' and -C ${dir}`, { hint: 'pass one of them' });
  const target = arg ?? dir;
  const isName = target !== undefined && !target.includes('/') && !existsSync(resolve(io.cwd, target));
  return isName ? resolveProjectTarget(target, io.env, io.cwd) : gitRepoRootOf(target ?? io.cwd, undefined, io.cwd);
}
