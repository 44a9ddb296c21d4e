/**
 * The repository `peers report --state-dir DIR` reads a run with when no project is named: the one
 * around the working directory, when there is one and it is the run's. The report needs none (the
 * state directory holds the run's history: src/report/run-history.ts); a repository only names a
 * host run's branch. An archived run is read from anywhere, $HOME included, and another project's
 * repository (the working directory's, by chance) is never taken for the run's: the state
 * directory's own name says whose it is when it is a project key (src/state/paths.ts).
 */
import type { CommandIO } from '../src/cli/command-io.ts';
import { InputError } from '../src/cli/errors.ts';
import { projectKey, projectOfStateDir } from '../src/state/paths.ts';
import { projectFrom } from './project-flags.ts';

export function repositoryOfRun(stateDir: string, io: CommandIO): string | undefined {
  let repo: string;
  try {
    repo = projectFrom(undefined, undefined, io);
  } catch (error) {
    if (error instanceof InputError) return undefined; // not in a repository (git says why; nothing the report needs)
    throw error;
  }
  const { key } = projectOfStateDir(stateDir);
  return key === null || key === projectKey(repo) ? repo : undefined;
}
