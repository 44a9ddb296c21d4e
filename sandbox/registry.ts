/**
 * The projects registry `peers up`/`down`/`ls` share with `peers init` and `doctor`
 * (`$XDG_CONFIG_HOME/peers/projects.json`, format of src/config/project-registry.ts, extended
 * with a short `name` per project). Every read-modify-write holds an O_EXCL lock file, so two
 * `peers up` at once cannot lose an entry; writes are atomic. Run status is NOT stored here: it is
 * derived from podman and the state dir each time (reconcile.ts), so it can never go stale.
 */
import { closeSync, constants, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { PeersError } from '../src/cli/errors.ts';
import { projectRegistryPath } from '../src/config/project-registry.ts';
import { writeFileAtomic } from '../src/fs/atomic-write.ts';
import { MiB, readTextIfExists } from '../src/fs/safe-read.ts';

export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export type ProjectEntry = { path: string; registered_at: string; name?: string; last_up_at?: string; last_down_at?: string; [k: string]: unknown };
type RegistryFile = { version: 1; projects: ProjectEntry[]; [k: string]: unknown };

const LOCK_TIMEOUT_MS = 5000;

function read(path: string): RegistryFile {
  const text = readTextIfExists(path, 2 * MiB);
  if (text === undefined) return { version: 1, projects: [] };
  let parsed: Partial<RegistryFile>;
  try {
    parsed = JSON.parse(text) as Partial<RegistryFile>;
  } catch (e) {
    throw new PeersError(`${path}: projects registry is not valid JSON (${(e as Error).message})`, { exitCode: 2, location: { file: path }, hint: 'fix or delete the file; `peers up` in a project registers it again' });
  }
  if (!Array.isArray(parsed.projects)) throw new PeersError(`${path}: "projects" is not a list`, { exitCode: 2, location: { file: path } });
  return { ...parsed, version: 1, projects: parsed.projects.filter((p) => typeof p?.path === 'string') };
}

/** The lock file holds its owner's pid; a lock whose owner is gone is taken over. */
async function withLock<T>(lockPath: string, fn: () => T): Promise<T> {
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      const fd = openSync(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(readFileSync(lockPath, 'utf8').trim() || 0);
      if (owner > 0 && !pidAlive(owner)) {
        unlinkSync(lockPath);
        continue;
      }
      if (Date.now() > deadline) throw new PeersError(`projects registry is locked by pid ${owner} (${lockPath})`, { hint: 'another peers command is updating it; retry' });
      await Bun.sleep(50);
    }
  }
  try {
    return fn();
  } finally {
    unlinkSync(lockPath);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function listProjects(env: NodeJS.ProcessEnv = process.env): ProjectEntry[] {
  return read(projectRegistryPath(env)).projects.map((p) => ({ ...p, name: p.name ?? basename(p.path) }));
}

/** Applies `mutate` to the registry under the lock and writes it back atomically. */
export async function updateRegistry<T>(mutate: (projects: ProjectEntry[]) => T, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const path = projectRegistryPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  return withLock(`${path}.lock`, () => {
    const file = read(path);
    const result = mutate(file.projects);
    writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
    return result;
  });
}

/** Registers `repoDir` (idempotent) and returns its entry; the name is the basename, made unique. */
export async function ensureRegistered(repoDir: string, env: NodeJS.ProcessEnv = process.env, now = new Date()): Promise<ProjectEntry> {
  return updateRegistry((projects) => {
    const existing = projects.find((p) => p.path === repoDir);
    const taken = new Set(projects.filter((p) => p !== existing).map((p) => p.name ?? basename(p.path)));
    const entry = existing ?? { path: repoDir, registered_at: now.toISOString() };
    if (!entry.name || taken.has(entry.name)) {
      const stem = basename(repoDir).replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 56) || 'project';
      let name = stem;
      for (let i = 2; taken.has(name); i++) name = `${stem}-${i}`;
      entry.name = name;
    }
    if (!existing) projects.push(entry);
    return { ...entry };
  }, env);
}

/** A project by registry name, or undefined. */
export function findByName(name: string, env: NodeJS.ProcessEnv = process.env): ProjectEntry | undefined {
  return listProjects(env).find((p) => p.name === name);
}
