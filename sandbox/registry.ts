/**
 * The projects registry `peers up`/`down`/`ls` share with `peers init` and `doctor`
 * (`$XDG_CONFIG_HOME/peers/projects.json`, format of src/config/project-registry.ts, extended
 * with a short `name` per project). Reads and locked, atomic writes go through that module, the
 * file's only owner, so `peers init` and two `peers up` at once cannot lose an entry. Run status is NOT stored here: it is
 * derived from podman and the state dir each time (reconcile.ts), so it can never go stale.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { readableName } from '../src/state/readable-name.ts';
import { InputError } from '../src/cli/errors.ts';
import { shellCommand } from '../src/cli/shell-word.ts';
import { gitRepoRootOf } from '../src/git/project-dir.ts';
import { listRegisteredProjects, updateProjectRegistry } from '../src/config/project-registry.ts';

export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export type ProjectEntry = { path: string; registered_at: string; name?: string; last_up_at?: string; last_down_at?: string; [k: string]: unknown };

export function listProjects(env: NodeJS.ProcessEnv = process.env): ProjectEntry[] {
  return (listRegisteredProjects(env) as ProjectEntry[]).map((p) => ({ ...p, name: p.name ?? basename(p.path) }));
}

/** Applies `mutate` to the registry under the lock and writes it back atomically. */
export async function updateRegistry<T>(mutate: (projects: ProjectEntry[]) => T, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  return updateProjectRegistry((projects) => mutate(projects as ProjectEntry[]), env);
}

/** Registers `repoDir` (idempotent) and returns its entry; the name is the basename, made unique. */
export async function ensureRegistered(repoDir: string, env: NodeJS.ProcessEnv = process.env, now = new Date()): Promise<ProjectEntry> {
  return updateRegistry((projects) => {
    const existing = projects.find((p) => p.path === repoDir);
    const taken = new Set(projects.filter((p) => p !== existing).map((p) => p.name ?? basename(p.path)));
    const entry = existing ?? { path: repoDir, registered_at: now.toISOString() };
    if (!entry.name || taken.has(entry.name)) {
      const stem = readableName(basename(repoDir));
      let name = stem;
      for (let i = 2; taken.has(name); i++) name = `${stem}-${i}`;
      entry.name = name;
    }
    if (!existing) projects.push(entry);
    return { ...entry };
  }, env);
}

/** What to do about an entry whose directory is gone, as `peers ls` and a command naming it say. */
export function forgetMissingProject(name: string): string {
  return `\`${shellCommand('peers', 'rm', name)}\` forgets it (its run state is kept); moved? peers init in its new place`;
}

/**
 * The project a command names: a registered name (`peers ls`), else a path inside a git repository
 * (default: `cwd`, the command's working directory), resolved to the repository's top. Every way this can fail is
 * bad input, exit 2: an unknown or ambiguous name, a missing path, a file, a non-repository.
 */
export function resolveProjectTarget(target: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  if (target && !target.includes('/') && !existsSync(target)) {
    const named = listProjects(env).filter((p) => p.name === target);
    if (!named.length) throw new InputError(`no project named '${target}' and no such directory`, { hint: 'run `peers ls` to see registered projects, or pass a path' });
    // Entries `peers init` wrote carry no name of their own, so two repositories may share a basename.
    if (named.length > 1) throw new InputError(`${named.length} projects are named '${target}': ${named.map((p) => p.path).join(', ')}`, { hint: 'pass the path instead' });
    return gitRepoRootOf(named[0]!.path, `the registry entry '${target}' points here (deleted, moved or not mounted?); ${forgetMissingProject(target)}`);
  }
  return gitRepoRootOf(target ?? cwd, undefined, cwd);
}

/** A project by registry name, or undefined. */
export function findByName(name: string, env: NodeJS.ProcessEnv = process.env): ProjectEntry | undefined {
  return listProjects(env).find((p) => p.name === name);
}
