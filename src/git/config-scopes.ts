/**
 * Every value git reads for one configuration key, with the scope each comes from (`system`,
 * `global`, `local`, `worktree`, `command`), in git's order (`git config --show-scope --get-all`).
 * For reading the user's own settings where peers' git puts its own on the command line
 * (git.ts: `core.hooksPath=/dev/null`), or where only the scopes git trusts count
 * (`safe.directory`: system and global).
 */
import { git } from './git.ts';

export type ScopedValue = { scope: string; value: string };

/** The values of `key` as read in `cwd`; null when git could not read its configuration (none set is `[]`). */
export function configByScope(cwd: string, key: string, opts: { path?: boolean; hermetic?: boolean } = {}): ScopedValue[] | null {
  const r = git(cwd, ['config', ...(opts.path ? ['--path'] : []), '--show-scope', '--get-all', key], opts.hermetic === undefined ? {} : { hermetic: opts.hermetic });
  // git config exits 1 when the key is set nowhere.
  if (r.code === 1) return [];
  if (r.code !== 0) return null;
  return r.stdout
    .split('\n')
    .filter((line) => line.includes('\t'))
    .map((line) => ({ scope: line.slice(0, line.indexOf('\t')), value: line.slice(line.indexOf('\t') + 1) }));
}
