/**
 * Where the user's git hooks are and whether any is installed, read from their repository for the
 * publish check (checkout-risks.ts, `UserHooks`): their own configuration decides it
 * (`core.hooksPath`, else the git directory's `hooks`), as it decides what their git runs.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configByScope } from './config-scopes.ts';
import { resolveRepoLayout, type RepoLayout } from './repo-layout.ts';
import { treeHooksDir, type UserHooks } from './checkout-risks.ts';

/** The user's hooks as the publish check reads them: in-tree or not, and whether any is installed. */
export function userHooksOf(located: HooksDir): UserHooks {
  return { dir: treeHooksDir(located.dir, realOrAsIs(located.workDir)), active: anyHookIn(located.dir) };
}

/** The directory git runs the user's hooks from (links resolved), and their work tree. */
export type HooksDir = { dir: string; workDir: string };

/** Where the user's hooks are, or `{ error }` when git cannot say (the caller publishes nothing). */
export function userHooksDir(repo: string): HooksDir | { error: string } {
  let layout: RepoLayout;
  try {
    layout = resolveRepoLayout(repo, { allowGitFile: true });
  } catch (error) {
    return { error: (error as Error).message };
  }
  // Every git call here sets core.hooksPath=/dev/null on its command line (git.ts): the user's own
  // setting is the last one from a file. Relative, it is taken from the top of the tree, where git runs hooks.
  const set = configByScope(layout.workDir, 'core.hooksPath', { path: true });
  if (set === null) return { error: `git config core.hooksPath in ${repo} failed` };
  // Unset, the common git directory's: linked worktrees share its hooks.
  const path = set.filter((v) => v.scope !== 'command').pop()?.value ?? join(layout.commonDir, 'hooks');
  return { dir: realOrAsIs(resolve(layout.workDir, path)), workDir: layout.workDir };
}

function realOrAsIs(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Whether `name` in the hooks directory `dir` is a file git would run as a hook: executable, not one of git's `.sample`s. */
export function isRunnableHook(dir: string, name: string): boolean {
  if (name.endsWith('.sample')) return false;
  try {
    const st = statSync(join(dir, name));
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Whether `dir` holds a hook git would run. */
function anyHookIn(dir: string): boolean {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return false;
  }
  return names.some((name) => isRunnableHook(dir, name));
}
