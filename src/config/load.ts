/**
 * Reads and validates `.peers/config.yaml` and `.peers/goals.yaml` (control-file.ts says how; the
 * goals alone: goals-file.ts).
 */
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, InputErrors } from '../cli/errors.ts';
import type { FileKind } from '../fs/file-errors.ts';
import { gitRepoRootOf } from '../git/project-dir.ts';
import { ConfigSchema, type PeersConfig } from './config-schema.ts';
import { parseAndValidate, RESTORE } from './control-file.ts';
import { loadGoalsFile } from './goals-file.ts';
import type { GoalsFile } from './goals-schema.ts';

export { loadGoalsFile };

export type LoadedProject = { config: PeersConfig; goals: GoalsFile; dir: string; configPath: string; goalsPath: string };

const CONFIG_FILE: FileKind = { what: 'config file', hint: 'replace it with a regular YAML file', missingHint: RESTORE };

export function loadConfigFile(path: string): PeersConfig {
  return parseAndValidate(path, CONFIG_FILE, ConfigSchema, {});
}

/** Refuses a repository peers was never set up in (no .peers/), with what to run. */
export function assertSetUp(repoDir: string): void {
  if (!existsSync(join(repoDir, '.peers'))) throw new InputError(`no .peers/ directory in ${repoDir}`, { hint: 'run `peers init` in the repository first' });
}

/** Loads both control files of the project at `repoDir`; all problems of both files at once. */
export function loadProject(repoDir: string): LoadedProject {
  const dir = join(repoDir, '.peers');
  assertSetUp(repoDir);
  const kind = lstatSync(dir);
  if (kind.isSymbolicLink()) throw new InputError('.peers is a symlink; refusing to read through it', { location: { file: dir } });
  if (!kind.isDirectory()) throw new InputError('.peers is not a directory', { location: { file: dir }, hint: 'move it aside and run `peers init`' });
  const configPath = join(dir, 'config.yaml');
  const goalsPath = join(dir, 'goals.yaml');
  const problems: InputError[] = [];
  let config: PeersConfig | undefined;
  let goals: GoalsFile | undefined;
  try {
    config = loadConfigFile(configPath);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    problems.push(...(error instanceof InputErrors ? error.problems : [error]));
  }
  try {
    goals = loadGoalsFile(goalsPath);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    problems.push(...(error instanceof InputErrors ? error.problems : [error]));
  }
  if (problems.length === 1) throw problems[0]!;
  if (problems.length > 1) throw new InputErrors(problems);
  return { config: config!, goals: goals!, dir, configPath, goalsPath };
}

/** The repository a command acts on: the top of the git repository containing `start` (else exit 2). */
export function projectDirFrom(start: string): string {
  return gitRepoRootOf(start);
}
