/**
 * The directory and repository a command acts on, from a path the user typed (or the current
 * directory). Checked here, once for every command, before any git process is started in it: a
 * file, a device or a missing path is bad input with a message naming it, not a failed spawn.
 * The repository is found without git (docs/ARCHITECTURE.md: the directory may be one a peer wrote).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { bareRepoMessage, findBareRepo, findWorkTreeRoot, usesSha256 } from './repo-layout.ts';
import { InputError } from '../cli/errors.ts';

/** `path` resolved (from `cwd`), if it names an existing directory; else an InputError saying what it is. */
export function existingDirectory(path: string, hint: string, cwd = process.cwd()): string {
  const dir = resolve(cwd, path);
  let st;
  try {
    st = statSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is below a file, not a directory' : code === 'ELOOP' ? 'is a symlink loop' : `cannot be reached (${code ?? (error as Error).message})`;
    throw new InputError(`${path} ${why}`, { location: { file: dir }, hint });
  }
  if (!st.isDirectory()) throw new InputError(`${path} is not a directory`, { location: { file: dir }, hint });
  return dir;
}

/** The top directory of the git repository containing `start`. */
export function gitRepoRootOf(start: string, hint = 'pass the project directory (a git repository), or run the command inside it', cwd = process.cwd()): string {
  const dir = existingDirectory(start, hint, cwd);
  const root = findWorkTreeRoot(dir);
  const bare = root ? undefined : findBareRepo(dir);
  if (bare) throw new InputError(bareRepoMessage(bare).message, { location: { file: dir }, hint: bareRepoMessage(bare).hint });
  if (!root) throw new InputError(`${dir} is not a git repository`, { location: { file: dir }, hint: 'peers works on a git repository: `git init`, commit, then `peers init`' });
  refuseUnsupportedRepository(root);
  return root;
}

/** A repository peers cannot work on, told from its files (no git run): bad input that says why. */
export function refuseUnsupportedRepository(root: string): void {
  if (usesSha256(root)) throw new InputError(`${root} is a SHA-256 repository (extensions.objectFormat = sha256), which peers does not support yet: its mirror and checkouts are SHA-1 repositories, and git fetches no history across the two`, { location: { file: root }, hint: 'run peers on a SHA-1 repository of the project (git has no in-place conversion)' });
}
