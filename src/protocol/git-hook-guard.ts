/**
 * Hooks and config that make git run code, kept away from the peers' view of each other's commits.
 * A peer can plant `.git/hooks/commit-msg` (or `core.hooksPath`, a clean filter, a textconv) so that
 * its counterpart's `git commit` silently rewrites the counterpart's own review. Two defences:
 *
 *   1. Every peer process gets `core.hooksPath=/dev/null`, `core.fsmonitor=false` and no commit
 *      signing program through git's environment config (`GIT_CONFIG_COUNT`/`KEY_n`/`VALUE_n`),
 *      which outranks every config file a peer can write.
 *   2. After every tick the loop compares the repository's hooks and code-running config keys with
 *      what was there when the run started; anything new is reported as a finding and disabled
 *      (hooks moved to `.git/peers-disabled-hooks/`, config keys unset).
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { MiB, readFileCapped } from '../fs/safe-read.ts';
import { git } from '../git/git.ts';

/** Forced for every peer process; outranks repository, global and system config. */
export const PEER_GIT_OVERRIDES: Array<[string, string]> = [
  ['core.hooksPath', '/dev/null'],
  ['core.fsmonitor', 'false'],
  ['commit.gpgSign', 'false'],
  ['tag.gpgSign', 'false'],
];

/** `env` plus PEER_GIT_OVERRIDES appended after any GIT_CONFIG_* entries it already has. */
export function withPeerGitOverrides(env: Record<string, string>): Record<string, string> {
  const out = { ...env };
  const have = Number.parseInt(env.GIT_CONFIG_COUNT ?? '0', 10);
  let n = Number.isFinite(have) && have > 0 ? have : 0;
  for (const [key, value] of PEER_GIT_OVERRIDES) {
    out[`GIT_CONFIG_KEY_${n}`] = key;
    out[`GIT_CONFIG_VALUE_${n}`] = value;
    n++;
  }
  out.GIT_CONFIG_COUNT = String(n);
  return out;
}

/** Repository config keys that make git run a program (or pull in config that could). */
const CODE_RUNNING_KEY = /^(core\.(hookspath|fsmonitor|sshcommand|pager|editor|askpass|attributesfile|gitproxy|worktree)|filter\..+\.(clean|smudge|process)|diff\..+\.(textconv|command)|diff\.external|merge\..+\.driver|include\.path|includeif\..+\.path|gpg\.(.+\.)?program|commit\.gpgsign|credential\..*helper|sequence\.editor|uploadpack\.packobjectshook|alias\..+|pager\..+)$/;

export type GitExecSurface = { hooks: Record<string, string>; config: string[] };

function hooksDir(repo: string): string | undefined {
  const res = git(repo, ['rev-parse', '--git-common-dir']);
  if (res.code !== 0) return undefined;
  const dir = res.stdout.trim();
  return join(isAbsolute(dir) ? dir : join(repo, dir), 'hooks');
}

function digestOf(path: string): string {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return 'symlink';
  if (!st.isFile()) return 'other';
  return createHash('sha256').update(readFileCapped(path, 8 * MiB)).digest('hex');
}

/** The hooks (`.sample` files excluded) and code-running local config entries of a repository. */
export function readGitExecSurface(repo: string): GitExecSurface {
  const hooks: Record<string, string> = {};
  const dir = hooksDir(repo);
  if (dir) {
    let names: string[] = [];
    try {
      names = lstatSync(dir).isDirectory() ? readdirSync(dir) : ['(hooks directory replaced)'];
    } catch {
      names = [];
    }
    for (const name of names) {
      if (name.endsWith('.sample')) continue;
      try {
        hooks[name] = name.startsWith('(') ? 'other' : digestOf(join(dir, name));
      } catch {
        hooks[name] = 'unreadable';
      }
    }
  }
  const res = git(repo, ['config', '--local', '--null', '--list']);
  const config = res.code === 0 ? res.stdout.split('\0').filter((e) => CODE_RUNNING_KEY.test(e.split('\n', 1)[0]!.toLowerCase())).map((e) => e.replace('\n', '=')) : [];
  return { hooks, config: config.sort() };
}

export type PlantedGitExec = { hooks: string[]; config: string[] };

/** What is new or changed since `before` (pure). */
export function plantedSince(before: GitExecSurface, now: GitExecSurface): PlantedGitExec {
  return {
    hooks: Object.keys(now.hooks).filter((h) => before.hooks[h] !== now.hooks[h]).sort(),
    config: now.config.filter((c) => !before.config.includes(c)),
  };
}

/**
 * Disables what was planted: hooks are moved to `.git/peers-disabled-hooks/tick-N-<name>` (only
 * when the hooks directory is a real directory: a symlinked one is reported, never followed) and
 * planted config keys are unset. Returns what could not be disabled.
 */
export function disablePlanted(repo: string, planted: PlantedGitExec, tick: number): string[] {
  const failed: string[] = [];
  const dir = hooksDir(repo);
  if (dir && planted.hooks.length) {
    let real = false;
    try {
      real = lstatSync(dir).isDirectory();
    } catch {}
    const dest = join(dir, '..', 'peers-disabled-hooks');
    for (const name of planted.hooks) {
      if (!real || name.includes('/') || name.startsWith('(')) {
        failed.push(`hook ${name}`);
        continue;
      }
      try {
        mkdirSync(dest, { recursive: true, mode: 0o700 });
        if (!lstatSync(dest).isDirectory()) throw new Error('not a directory');
        renameSync(join(dir, name), join(dest, `tick-${tick}-${name}`));
      } catch {
        failed.push(`hook ${name}`);
      }
    }
  }
  for (const entry of planted.config) {
    const key = entry.split('=', 1)[0]!;
    if (git(repo, ['config', '--local', '--unset-all', key]).code !== 0) failed.push(`config ${key}`);
  }
  return failed;
}
