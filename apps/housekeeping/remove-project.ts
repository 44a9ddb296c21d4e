/**
 * `peers rm`: forget a project. Only its registry entry goes; the user's repository is never
 * touched, and the run's state directory stays (its path is said, `peers prune` or the user removes
 * it). Refused while the project runs: a running pod with no registry entry would be invisible
 * to `peers ls` and the dashboard.
 */
import { isAbsolute, resolve } from 'node:path';
import { InputError } from '../../src/cli/errors.ts';
import { listProjects, updateRegistry, type ProjectEntry } from '../../sandbox/registry.ts';

/** The registry entry `target` names: its name, or its path (which need not exist any more). */
export function findEntry(target: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ProjectEntry {
  const projects = listProjects(env);
  const byName = projects.filter((p) => p.name === target);
  if (byName.length > 1) throw new InputError(`${byName.length} projects are named '${target}': ${byName.map((p) => p.path).join(', ')}`, { hint: 'pass the path instead' });
  const path = isAbsolute(target) || target.includes('/') || target === '.' ? resolve(cwd, target) : undefined;
  const entry = byName[0] ?? (path ? projects.find((p) => p.path === path || path.startsWith(`${p.path}/`)) : undefined);
  if (!entry) throw new InputError(`no registered project '${target}'`, { hint: 'peers ls lists the registered projects' });
  return entry;
}

export async function removeEntry(entry: ProjectEntry, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  return updateRegistry((projects) => {
    const i = projects.findIndex((p) => p.path === entry.path);
    if (i === -1) return false;
    projects.splice(i, 1);
    return true;
  }, env);
}
