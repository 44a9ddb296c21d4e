/**
 * The projects registry: `$XDG_CONFIG_HOME/peers/projects.json` (default
 * `~/.config/peers/projects.json`), `{ "version": 1, "projects": [{ "path", "registered_at", … }] }`.
 * `peers init` registers a project so `peers doctor` can check it; `peers up`/`down`/`ls`
 * (sandbox/registry.ts) add a short name and run timestamps. This module is the only one that
 * reads or writes the file: every read-modify-write holds one lock file (registry-lock.ts) and
 * replaces the file atomically, so two commands at once never lose an entry.
 */
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../cli/errors.ts';
import { accessingFile, type FileKind } from '../fs/file-errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { MiB, readTextIfExists } from '../fs/safe-read.ts';
import { xdgConfigHome } from '../state/env-dirs.ts';
import { withRegistryLock } from './registry-lock.ts';

/**
 * One entry as every reader relies on it. Fields added later (by `peers up`, `down`, or a newer
 * peers) are kept as written; a field of the wrong type is refused with the entry's index rather
 * than crashing a reader (a numeric `name` made `peers ls` fail with exit 70).
 */
const timestamp = z.string().max(64);
const RegisteredProjectSchema = z.looseObject({
  path: z.string().min(1).max(4096).refine(isAbsolute, 'must be an absolute path'),
  registered_at: timestamp,
  name: z.string().min(1).max(128).regex(/^[^\u0000-\u001f]+$/, 'must be printable text').optional(),
  last_up_at: timestamp.optional(),
  last_down_at: timestamp.optional(),
});
const RegistryFileSchema = z.looseObject({ version: z.literal(1).optional(), projects: z.array(z.unknown()).max(10_000) });

export type RegisteredProject = z.infer<typeof RegisteredProjectSchema>;
type RegistryFile = { version: 1; projects: RegisteredProject[]; [k: string]: unknown };

const REGISTRY: FileKind = { what: 'projects registry', hint: 'fix or delete the file; `peers init` or `peers up` in a project registers it again' };
/** The directory the registry goes in, when it cannot be made (a read-only home): there is no file to fix yet. */
const REGISTRY_DIR_HINT = 'make it writable, or point $XDG_CONFIG_HOME (default ~/.config) at a directory you can write: peers keeps its list of projects in $XDG_CONFIG_HOME/peers';
const REGISTRY_DIR: FileKind = { what: 'projects registry directory', hint: REGISTRY_DIR_HINT, deniedHint: REGISTRY_DIR_HINT };

export function projectRegistryPath(env: Record<string, string | undefined> = process.env): string {
  return join(xdgConfigHome(env), 'peers', 'projects.json');
}

function readRegistry(path: string): RegistryFile {
  const text = accessingFile(path, REGISTRY, () => readTextIfExists(path, 2 * MiB));
  if (text === undefined) return { version: 1, projects: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${path}: projects registry is not valid JSON (${(e as Error).message})`, { location: { file: path }, hint: REGISTRY.hint });
  }
  const file = RegistryFileSchema.safeParse(raw);
  if (!file.success) {
    const issue = file.error.issues[0]!;
    throw new InputError(`${path}: projects registry: ${issue.path.join('.') || '(top level)'}: ${issue.message}`, { location: { file: path }, hint: REGISTRY.hint });
  }
  const projects = file.data.projects.map((entry, i) => {
    const parsed = RegisteredProjectSchema.safeParse(entry);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    throw new InputError(`${path}: projects registry entry ${i + 1}: ${issue.path.join('.') || 'the entry'}: ${issue.message}`, {
      location: { file: path },
      hint: `fix or delete entry ${i + 1} of "projects"; \`peers init\` or \`peers up\` in that project registers it again`,
    });
  });
  return { ...file.data, version: 1, projects };
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
  accessingFile(dirname(path), REGISTRY_DIR, () => mkdirSync(dirname(path), { recursive: true, mode: 0o700 }));
  return withRegistryLock(`${path}.lock`, () => {
    const file = readRegistry(path);
    const result = mutate(file.projects);
    accessingFile(path, REGISTRY, () => writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, 0o600));
    return result;
  });
}

/** `peers init`: idempotent. */
export function registerProject(repoDir: string, env: Record<string, string | undefined> = process.env, now = new Date()): void {
  updateProjectRegistry((projects) => {
    if (!projects.some((p) => p.path === repoDir)) projects.push({ path: repoDir, registered_at: now.toISOString() });
  }, env);
}
