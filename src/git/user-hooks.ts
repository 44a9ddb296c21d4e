/**
 * Where the user's git hooks are and whether any is installed, read from their repository for the
 * publish check (checkout-risks.ts, `UserHooks`): their own configuration decides it
 * (`core.hooksPath`, else the git directory's `hooks`), as it decides what their git runs.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { git } from './git.ts';
import { treeHooksDir, type UserHooks } from './checkout-risks.ts';

/** The user's hooks, or `{ error }` when git cannot say where they are (the caller publishes nothing). */
export function userHooksOf(repo: string): UserHooks | { error: string } {
  const top = git(repo, ['rev-parse', '--show-toplevel']);
  if (top.code !== 0) return { error: `git rev-parse --show-toplevel in ${repo} failed` };
  const topLevel = top.stdout.trim();
  // Every git call here sets core.hooksPath=/dev/null on its command line (git.ts): the user's own
  // setting is the last one from a file. Relative, it is taken from the top of the tree, where git runs hooks.
  const set = git(topLevel, ['config', '--path', '--show-scope', '--get-all', 'core.hooksPath']);
  if (set.code > 1) return { error: `git config core.hooksPath in ${repo} failed` };
  const configured = set.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('command\t')).map((l) => l.slice(l.indexOf('\t') + 1)).pop();
  let path = configured;
  if (path === undefined) {
    // Linked worktrees share the hooks of the common git directory.
    const common = git(topLevel, ['rev-parse', '--git-common-dir']);
    if (common.code !== 0) return { error: `git rev-parse --git-common-dir in ${repo} failed` };
    path = join(common.stdout.trim(), 'hooks');
  }
  const dir = realOrAsIs(resolve(topLevel, path));
  return { dir: treeHooksDir(dir, realOrAsIs(topLevel)), active: anyHookIn(dir) };
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
