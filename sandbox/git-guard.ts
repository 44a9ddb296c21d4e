/**
 * Git hooks and config that run code on the operator's next host `git` command. Peers work in the
 * repository, so they could plant `.git/hooks/*`, `core.hooksPath` or `core.fsmonitor`. At `up` we
 * record what the user had; at `down` anything new or changed is neutralised and reported: hooks
 * are moved to `.git/peers-disabled-hooks/`, the config keys restored to the recorded value.
 * (The user's own hooks, present at `up`, are left alone.)
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/fs/atomic-write.ts';
import { git } from '../src/git/git.ts';

export const GUARDED_KEYS = ['core.hooksPath', 'core.fsmonitor'] as const;

export type GitGuardSnapshot = { hooks: Record<string, string>; config: Record<string, string | null> };

function gitDir(repo: string): string {
  return join(repo, '.git');
}

function hookDigests(repo: string): Record<string, string> {
  const dir = join(gitDir(repo), 'hooks');
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.sample')) continue;
    const p = join(dir, name);
    const st = lstatSync(p);
    out[name] = st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : `non-file:${st.mode}`;
  }
  return out;
}

function localConfig(repo: string, key: string): string | null {
  const r = git(repo, ['config', '--local', '--get', key]);
  return r.code === 0 ? r.stdout.trim() : null;
}

export function snapshotGitGuard(repo: string): GitGuardSnapshot {
  return { hooks: hookDigests(repo), config: Object.fromEntries(GUARDED_KEYS.map((k) => [k, localConfig(repo, k)])) };
}

export function saveGitGuard(path: string, snap: GitGuardSnapshot): void {
  writeFileAtomic(path, `${JSON.stringify(snap, null, 2)}\n`);
}

export function loadGitGuard(path: string): GitGuardSnapshot {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as GitGuardSnapshot;
  } catch {
    // No record (up by an older peers, or deleted): trust nothing but sample hooks.
    return { hooks: {}, config: { 'core.hooksPath': null, 'core.fsmonitor': null } };
  }
}

/** Neutralises what changed since `before`; returns one line per action for the user. */
export function neutraliseGit(repo: string, before: GitGuardSnapshot): string[] {
  const actions: string[] = [];
  const now = hookDigests(repo);
  const quarantine = join(gitDir(repo), 'peers-disabled-hooks');
  for (const [name, digest] of Object.entries(now)) {
    if (before.hooks[name] === digest) continue;
    mkdirSync(quarantine, { recursive: true, mode: 0o700 });
    const dest = join(quarantine, `${name}.${Date.now()}`);
    renameSync(join(gitDir(repo), 'hooks', name), dest);
    actions.push(`disabled git hook .git/hooks/${name} (${before.hooks[name] ? 'changed' : 'added'} during the run; moved to ${dest})`);
  }
  for (const key of GUARDED_KEYS) {
    const was = before.config[key] ?? null;
    const is = localConfig(repo, key);
    if (is === was) continue;
    if (was === null) git(repo, ['config', '--local', '--unset-all', key]);
    else git(repo, ['config', '--local', '--replace-all', key, was]);
    actions.push(`reset git config ${key} (was set to ${JSON.stringify(is)} during the run)`);
  }
  return actions;
}
