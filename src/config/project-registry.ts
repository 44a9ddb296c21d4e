/**
 * The projects this user has initialised, so `peers doctor` can check every one of them.
 * `$XDG_CONFIG_HOME/peers/projects.json` (default `~/.config/peers/projects.json`):
 * `{ "version": 1, "projects": [{ "path": "/abs/repo", "registered_at": "<iso>" }] }`.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { MiB, readTextIfExists } from '../fs/safe-read.ts';

export type RegisteredProject = { path: string; registered_at: string };
type RegistryFile = { version: 1; projects: RegisteredProject[] };

export function projectRegistryPath(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'peers', 'projects.json');
}

/** Registered projects; a missing file means none, a corrupt one is reported as an error. */
export function listRegisteredProjects(env: Record<string, string | undefined> = process.env): RegisteredProject[] {
  const path = projectRegistryPath(env);
  const text = readTextIfExists(path, MiB);
  if (text === undefined) return [];
  const parsed = JSON.parse(text) as Partial<RegistryFile>;
  if (!Array.isArray(parsed.projects)) throw new Error(`${path}: "projects" is not a list`);
  return parsed.projects.filter((p): p is RegisteredProject => typeof p?.path === 'string');
}

export function registerProject(repoDir: string, env: Record<string, string | undefined> = process.env, now = new Date()): void {
  const path = projectRegistryPath(env);
  let projects: RegisteredProject[];
  try {
    projects = listRegisteredProjects(env);
  } catch {
    projects = []; // A corrupt registry is rebuilt rather than blocking `peers init`.
  }
  if (projects.some((p) => p.path === repoDir)) return;
  projects.push({ path: repoDir, registered_at: now.toISOString() });
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomic(path, `${JSON.stringify({ version: 1, projects } satisfies RegistryFile, null, 2)}\n`, 0o600);
}
