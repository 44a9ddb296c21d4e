/**
 * What `peers init` writes, checked before its first write: the repository's top (`.peers/`,
 * `.gitignore`) and its git directories (the commit of `.gitignore`, the `peers-baseline` tag). A
 * repository this user cannot write is bad input named by its path (exit 2), and nothing is left
 * behind: found only at the commit, it used to leave `.peers/` and an untracked `.gitignore`, and end
 * in exit 70 "internal error: EACCES".
 */
import { accessSync, constants, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../cli/errors.ts';
import { shellCommand } from '../cli/shell-word.ts';
import { accessingFile } from '../fs/file-errors.ts';
import { git } from '../git/git.ts';

function mustWrite(path: string, what: string): void {
  try {
    accessSync(path, constants.W_OK);
  } catch {
    throw new InputError(`permission denied: peers init ${what}`, { location: { file: path }, hint: `run peers as the user who owns it, or make it writable: \`${shellCommand('chmod', 'u+w', path)}\`` });
  }
}

export function checkInitWritable(repo: string): void {
  mustWrite(repo, 'writes .peers/ and .gitignore here');
  // A linked worktree has its own git dir (HEAD, index) beside the common one (objects, refs, tags).
  const gitDirs = new Set(['--absolute-git-dir', '--git-common-dir'].map((flag) => git(repo, ['rev-parse', flag]).stdout.trim()).filter(Boolean).map((d) => resolve(repo, d)));
  for (const dir of gitDirs) mustWrite(dir, 'commits .gitignore and tags HEAD here');
}

/** `init --force`: the old `.peers/` goes first; one this user cannot remove is named, exit 2. */
export function removeControlDir(dir: string): void {
  accessingFile(dir, { what: 'the existing .peers/', hint: `run peers as the user who owns it, or remove it yourself: \`${shellCommand('rm', '-rf', dir)}\`` }, () => rmSync(dir, { recursive: true, force: true }));
}
