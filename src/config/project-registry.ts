/**
 * The projects registry: `$XDG_CONFIG_HOME/peers/projects.json` (default
 * `~/.config/peers/projects.json`), `{ "version": 1, "projects": [{ "path", "registered_at", … }] }`.
 * `peers init` registers a project so `peers doctor` can check it; `peers up`/`down`/`ls`
 * (sandbox/registry.ts) add a short name and run timestamps. This module is the only one that
 * reads or writes the file: every read-modify-write holds one lock file (registry-lock.ts) and
 * replaces the file atomically, so two commands at once never lose an entry.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { PeersError } from '../cli/errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { MiB, readTextIfExists } from '../fs/safe-read.ts';
import { withRegistryLock } from './registry-lock.ts';

export type RegisteredProject = { path: string; registered_at: string; [k: string]: unknown };
type RegistryFile = { version: 1; projects: RegisteredProject[]; [k: string]: unknown };

export function projectRegistryPath(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'peers', 'projects.json');
}

function readRegistry(path: string): RegistryFile {
  const text = readTextIfExists(path, 2 * MiB);
  if (text === undefined) return { version: 1, projects: [] };
  let parsed: Partial<RegistryFile>;
  try {
    parsed = JSON.parse(text) as Partial<RegistryFile>;
  } catch (e) {
    throw new PeersError(`${path}: projects registry is not valid JSON (${(e as Error).message})`, { exitCode: 2, location: { file: path }, hint: 'fix or delete the file; `peers init` or `peers up` in a project registers it again' });
  }
  if (!Array.isArray(parsed.projects)) throw new PeersError(`${path}: "projects" is not a list`, { exitCode: 2, location: { file: path } });
  return { ...parsed, version: 1, projects: parsed.projects.filter((p): p is RegisteredProject => typeof p?.path === 'string') };
}

/** Registered projects; a missing file means none, a corrupt one is an exit-2 error naming it. */
export function listRegisteredProjects(env: Record<string, string | undefined> = process.env): RegisteredProject[] {
  return readRegistry(projectRegistryPath(env)).projects;
}

/**
 * Applies `mutate` to the projects under the registry lock and writes the file back atomically.
 * A corrupt file is reported, never overwritten (it may hold entries the user wants back).
 */
export function updateProjectRegistry<T>(mutate: (projects: RegisteredProject[]) => T, env: Record<string, string | undefined> = process.env): T {
  const path = projectRegistryPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  return withRegistryLock(`${path}.lock`, () => {
    const file = readRegistry(path);
    const result = mutate(file.projects);
    writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
    return result;
  });
}

/** `peers init`: idempotent. */
export function registerProject(repoDir: string, env: Record<string, string | undefined> = process.env, now = new Date()): void {
  updateProjectRegistry((projects) => {
    if (!projects.some((p) => p.path === repoDir)) projects.push({ path: repoDir, registered_at: now.toISOString() });
  }, env);
}
