/**
 * The environment the processes of one piece of work are started in, set for that work and every
 * call below it, sync or async (AsyncLocalStorage), instead of written into `process.env`.
 *
 * `peers check` runs a check in its command's environment plus the variables that point git at a
 * read-only view of the repository (src/git/observed-view.ts `withObservedWorkTree`). Every git call of a
 * check must see that view, however deep in the check it is made; a parameter missed on one call
 * would silently read the repository with its own configuration. A scope cannot be missed, and,
 * unlike `process.env`, it is this work's own: a command running beside it in the same process
 * (in-process tests, the dashboard) neither sees it nor changes it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<NodeJS.ProcessEnv>();

/** Runs `work` with `env` as the environment of the processes it starts. */
export function withSpawnEnv<T>(env: NodeJS.ProcessEnv, work: () => T): T {
  return scope.run(env, work);
}

/** The environment of the current scope, undefined outside any. */
export function scopedSpawnEnv(): NodeJS.ProcessEnv | undefined {
  return scope.getStore();
}

/** The environment of the current scope; outside any, the process's own (a process started for one job, e.g. a pod role). */
export function spawnEnv(): NodeJS.ProcessEnv {
  return scope.getStore() ?? process.env;
}
