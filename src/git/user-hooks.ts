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

/** The user's hooks, or `{ error }` when git cannot say where they are (the caller publishes nothing). */
export function userHooksOf(repo: string): UserHooks | { error: string } {
  const hooks = userHooksDir(repo);
  if ('error' in hooks) return hooks;
  return { dir: treeHooksDir(hooks.dir, realOrAsIs(hooks.workDir)), active: anyHookIn(hooks.dir) };
}

/** The directory git runs the user's hooks from (links resolved), and their work tree; or `{ error }`. */
export function userHooksDir(repo: string): { dir: string; workDir: string } | { error: string } {
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

/** Whether `dir` holds a file git would run as a hook: executable, not one of git's `.sample`s. */
function anyHookIn(dir: string): boolean {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return false;
  }
  return names.some((name) => {
    if (name.endsWith('.sample')) return false;
    try {
      const st = statSync(join(dir, name));
      return st.isFile() && (st.mode & 0o111) !== 0;
    } catch {
      return false;
    }
  });
}
