/**
 * The files of a project that recon and codemap look at: what git tracks (plus untracked files
 * that are not ignored) when the directory is a repository's top level, else a walk of the tree.
 * Either way, vendored and generated directories are left out and symlinks are never followed.
 */
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { git } from './git.ts';

export const NOISE_DIRS = new Set([
  'node_modules', '__pycache__', '.git', '.venv', 'venv', 'env', '.pytest_cache', '.mypy_cache', '.tox', 'dist', 'build', '.peers',
  '.worktrees', 'target', '.idea', '.vscode', '.next', '.cache', 'coverage', 'htmlcov', 'vendor',
]);

function isNoise(rel: string): boolean {
  return rel.split('/').some((part) => NOISE_DIRS.has(part));
}

function gitToplevel(dir: string): boolean {
  const res = git(dir, ['rev-parse', '--show-toplevel']);
  if (res.code !== 0) return false;
  try {
    return realpathSync(res.stdout.trim()) === realpathSync(dir);
  } catch {
    return false;
  }
}

/** Relative paths of the project's regular files, sorted, noise directories excluded. */
export function listProjectFiles(root: string, opts: { maxFiles?: number } = {}): string[] {
  const max = opts.maxFiles ?? 200_000;
  let files: string[];
  if (gitToplevel(root)) {
    const res = git(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { maxBuffer: 512 * 1024 * 1024 });
    files = res.code === 0 ? [...new Set(res.stdout.split('\0').filter(Boolean))] : walk(root, max);
  } else files = walk(root, max);
  return filterProjectFiles(files, max);
}

/** The same filter for a list obtained elsewhere (the loop lists HEAD's tree from its mirror). */
export function filterProjectFiles(files: string[], max = 200_000): string[] {
  return files.filter((f) => !isNoise(f)).sort().slice(0, max);
}

function walk(root: string, max: number): string[] {
  const out: string[] = [];
  const stack = [''];
  while (stack.length && out.length < max) {
    const rel = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!NOISE_DIRS.has(e.name)) stack.push(p);
      } else if (e.isFile()) out.push(p);
    }
  }
  return out;
}

/** True when the path is a regular file (not a symlink); used before reading project content. */
export function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}
