/**
 * The run's commits reaching the user's repository as a host command's side step (`peers status`,
 * `report`, `up`, `down`): on its own so `peers status` does not load the whole of `peers up`.
 */
import { join } from 'node:path';
import { loadConfigFile } from '../src/config/load.ts';
import { hasRunClone, projectKey, statePaths, type StatePaths } from '../src/state/paths.ts';
import { defaultResultsBranch, publishRunBranch, type PublishResult } from './publish-branch.ts';

export { describePublish } from './publish-branch.ts';

/** The branch a run's results are published to: config's `results.branch` (from the run's snapshot). */
export function runBranch(paths: StatePaths, key: string, repo: string): string {
  try {
    return loadConfigFile(join(paths.snapshotDir, 'config.yaml')).results?.branch ?? defaultResultsBranch(repo, key, paths);
  } catch {
    return defaultResultsBranch(repo, key, paths);
  }
}

/**
 * Publishes the run's head when there is a pod run (a host command's side step; never fails it).
 * A host-only `peers loop` has a mirror but no run clone: its commits are the repository's own.
 */
export function publishIfRun(repo: string, stateDir: string): PublishResult | undefined {
  const paths = statePaths(stateDir);
  if (!hasRunClone(paths)) return undefined;
  try {
    return publishRunBranch(repo, paths, runBranch(paths, projectKey(repo), repo));
  } catch (error) {
    return { branch: runBranch(paths, projectKey(repo), repo), sha: null, ahead: 0, updated: false, note: `could not publish the run's branch: ${(error as Error).message}` };
  }
}
