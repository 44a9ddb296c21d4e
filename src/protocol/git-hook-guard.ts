/**
 * Hooks and config that make git run code, kept away from the peers' view of each other's commits.
 * A peer can plant `.git/hooks/commit-msg` (or `core.hooksPath`, a clean filter, a textconv) so that
 * its counterpart's `git commit` silently rewrites the counterpart's own review. Two defences:
 *
 *   1. Every peer process gets `core.hooksPath=/dev/null`, `core.fsmonitor=false` and no commit
 *      signing program through git's environment config (`GIT_CONFIG_COUNT`/`KEY_n`/`VALUE_n`),
 *      which outranks every config file a peer can write.
 *   2. After every tick the loop reads the repository's hooks and code-running config keys as
 *      files; what the turn added (new since it began, and not there when the run started) is
 *      reported as a finding against it, and everything not there at the run's start is disabled
 *      IN THE WORKSPACE (workspace-git.ts: hooks moved to `.git/peers-disabled-hooks/`, config
 *      keys unset), where the peers' own git runs anyway. What could not be disabled is tried
 *      again after every later turn, and never held against a turn that did not plant it.
 *
 * Outside the workspace no git process ever opens the peers' repository (the trusted mirror,
 * docs/ARCHITECTURE.md), so what is planted there can only ever run in the workspace itself.
 */
import { createHash } from 'node:crypto';
import { type Dirent } from 'node:fs';
import { join } from 'node:path';
import { UnsafePathError } from '../fs/atomic-write.ts';
import { listDirBeneath, readFileBeneath, readTextBeneath } from '../fs/read-beneath.ts';
import { MiB } from '../fs/safe-read.ts';
import { parseGitConfig } from '../git/config-file.ts';
import { PEER_REPLACEMENTS_OFF } from '../git/git-env.ts';
import { type RepoLayout, resolveRepoLayout } from '../git/repo-layout.ts';

/**
 * Forced for every peer process; outranks repository, global and system config. Besides the
 * programs git would run, what would change a peer's own commit message behind its back: a planted
 * `commit.cleanup=strip` or comment character (`core.commentChar`, and `core.commentString`, its
 * newer name) cut the reviewer's `## Review` heading or its `{"pass": false…}` verdict line from a
 * plain `git commit -m`, and a template seeds the message an editor finishes.
 */
export const PEER_GIT_OVERRIDES: Array<[string, string]> = [
  ['core.hooksPath', '/dev/null'],
  ['core.fsmonitor', 'false'],
  ['commit.gpgSign', 'false'],
  ['tag.gpgSign', 'false'],
  ['commit.cleanup', 'default'],
  ['core.commentChar', '#'],
  ['core.commentString', '#'],
  ['commit.template', '/dev/null'],
];

/** `env` plus PEER_GIT_OVERRIDES appended after any GIT_CONFIG_* entries it already has, and PEER_REPLACEMENTS_OFF. */
export function withPeerGitOverrides(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...env, ...PEER_REPLACEMENTS_OFF };
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

/**
 * Repository config keys that make git run a program (or pull in config that could), or write into
 * the next peer's commit messages: `commit.template` seeds every message a peer's editor finishes
 * (a planted pass vote in the reviewer's own commit), `commit.cleanup` and the comment character
 * cut lines from it, and `trailer.*` adds trailers, by a program of its own with `.command`/`.cmd`.
 */
// extensions.worktreeConfig makes git read `.git/config.worktree` too, where any of the others could
// hide: switching it on is itself the finding, and unsetting it switches that file off.
const CODE_RUNNING_KEY = /^(core\.(hookspath|fsmonitor|sshcommand|pager|editor|askpass|attributesfile|gitproxy|worktree)|filter\..+\.(clean|smudge|process)|diff\..+\.(textconv|command)|diff\.external|merge\..+\.driver|include\.path|includeif\..+\.path|gpg\.(.+\.)?program|commit\.gpgsign|commit\.template|commit\.cleanup|core\.comment(char|string)|trailer\..+|credential\..*helper|sequence\.editor|uploadpack\.packobjectshook|alias\..+|pager\..+|extensions\.worktreeconfig)$/;

export type GitExecSurface = { hooks: Record<string, string>; config: string[] };

/** A repository's own config is small; beyond this it is reported as unreadable. */
const CONFIG_LIMIT = 4 * MiB;

/**
 * Where the git dir's files are read from: beneath the working tree (`.git/...`) when the git dir
 * is the tree's own `.git`, so a `.git` (or `.git/hooks`) swapped for a symlink after
 * resolveRepoLayout checked it is refused, not followed (read-beneath.ts); a `git worktree`'s
 * shared git dir (a user's repository only) beneath itself.
 */
function gitDirFiles(repo: string, layout: RepoLayout): { root: string; prefix: string } {
  return layout.commonDir === join(repo, '.git') ? { root: repo, prefix: '.git/' } : { root: layout.commonDir, prefix: '' };
}

/**
 * The names git runs from the hooks directory (githooks(5)). Git never runs an entry by any other
 * name, so only these are read and hashed; any other entry is noted by its kind alone: a peer that
 * filled the directory with thousands of 8 MiB files under other names cost the loop about 26 ms
 * a file, every tick, to hash (SECURITY.md, "Hooks never rewrite another peer's commit").
 */
const GIT_HOOK_NAMES = new Set([
  'applypatch-msg', 'pre-applypatch', 'post-applypatch', 'pre-commit', 'pre-merge-commit', 'prepare-commit-msg', 'commit-msg', 'post-commit',
  'pre-rebase', 'post-checkout', 'post-merge', 'pre-push', 'pre-receive', 'update', 'proc-receive', 'post-receive', 'post-update',
  'reference-transaction', 'push-to-checkout', 'pre-auto-gc', 'post-rewrite', 'sendemail-validate', 'fsmonitor-watchman',
  'p4-changelist', 'p4-prepare-changelist', 'p4-post-changelist', 'p4-pre-submit', 'post-index-change',
]);

/**
 * At most this many hooks-directory entries are listed one by one. Beyond it the directory is one
 * finding (`(hooks directory has N entries)`) beside its real hooks: an unbounded list of names
 * went into every finding, warning and state.json (6000 names of 200 characters made the state
 * larger than the loop reads back, so the run could not resume).
 */
export const MAX_HOOK_ENTRIES = 256;
/** The same bound for code-running config entries, each shown in at most CONFIG_ENTRY_CHARS. */
export const MAX_CONFIG_ENTRIES = 256;
const CONFIG_ENTRY_CHARS = 300;

function digestOf(at: { root: string; prefix: string }, entry: Dirent): string {
  if (entry.isSymbolicLink()) return 'symlink';
  if (!entry.isFile()) return 'other';
  if (!GIT_HOOK_NAMES.has(entry.name)) return 'file';
  return createHash('sha256').update(readFileBeneath(at.root, `${at.prefix}hooks/${entry.name}`, 8 * MiB)).digest('hex');
}

/** The hooks directory's entries; a marker name for one that is missing (none), replaced or unreadable. */
function hookEntries(at: { root: string; prefix: string }): Array<Dirent | string> {
  try {
    return listDirBeneath(at.root, `${at.prefix}hooks`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    return [error instanceof UnsafePathError ? '(hooks directory replaced)' : '(hooks directory unreadable)'];
  }
}

type CodeRunningEntry = { text: string; key: string };

/**
 * An entry as listed: `key=value`, or `key` alone. A long one (a subsection or value of megabytes)
 * is cut, with its length and a hash that keep two different ones apart.
 */
function entryText(key: string, value: string | null): string {
  const full = value === null ? key : `${key}=${value}`;
  if (full.length <= CONFIG_ENTRY_CHARS) return full;
  return `${full.slice(0, CONFIG_ENTRY_CHARS - 60)}… (${full.length} chars, sha256 ${createHash('sha256').update(full).digest('hex').slice(0, 16)})`;
}

/** The entries of a config file whose key makes git run code, each as entryText shows it, with its key. */
export function codeRunningEntries(text: string): CodeRunningEntry[] {
  return parseGitConfig(text)
    .filter((e) => CODE_RUNNING_KEY.test(e.key.toLowerCase()))
    .map((e) => ({ text: entryText(e.key, e.value), key: e.key }));
}

function configEntries(repo: string, opts: { allowGitFile?: boolean }, known?: RepoLayout): CodeRunningEntry[] {
  let text: string | undefined;
  try {
    const at = gitDirFiles(repo, known ?? resolveRepoLayout(repo, { allowGitFile: opts.allowGitFile ?? false }));
    try {
      text = readTextBeneath(at.root, `${at.prefix}config`, CONFIG_LIMIT);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  } catch (error) {
    return [{ text: `(config unreadable: ${(error as Error).message.slice(0, 200)})`, key: '' }];
  }
  try {
    return codeRunningEntries(text ?? '');
  } catch (error) {
    return [{ text: `(config unparsable: ${(error as Error).message.slice(0, 200)})`, key: '' }];
  }
}

/**
 * The hooks (`.sample` files excluded) and code-running config entries of a repository's own git
 * dir, read as files (no-follow, size-capped, repo-layout.ts): no git process opens a repository a
 * peer can write. `allowGitFile` for a host repository that is a `git worktree`; the run clone
 * always has a real `.git` directory. Anything unreadable is listed as such, so a peer that
 * replaces the hooks directory or the config file is reported rather than missed.
 */
export function readGitExecSurface(repo: string, opts: { allowGitFile?: boolean } = {}): GitExecSurface {
  let layout;
  try {
    layout = resolveRepoLayout(repo, { allowGitFile: opts.allowGitFile ?? false });
  } catch (error) {
    return { hooks: {}, config: [`(git directory unreadable: ${(error as Error).message.slice(0, 200)})`] };
  }
  return gitExecSurfaceOf(repo, layout);
}

/**
 * readGitExecSurface once the layout is resolved (exported so a test can swap `.git` between the
 * two, as a peer's leftover process can): every read goes beneath `repo`, never through a link.
 */
export function gitExecSurfaceOf(repo: string, layout: RepoLayout): GitExecSurface {
  const at = gitDirFiles(repo, layout);
  const hooks: Record<string, string> = {};
  const entries = hookEntries(at).filter((e) => !(typeof e === 'string' ? e : e.name).endsWith('.sample'));
  const flooded = entries.length > MAX_HOOK_ENTRIES;
  for (const entry of entries) {
    const name = typeof entry === 'string' ? entry : entry.name;
    if (flooded && !GIT_HOOK_NAMES.has(name)) continue;
    try {
      hooks[name] = typeof entry === 'string' ? 'other' : digestOf(at, entry);
    } catch {
      hooks[name] = 'unreadable';
    }
  }
  if (flooded) hooks[`(hooks directory has ${entries.length} entries)`] = 'other';
  const config = [...new Set(configEntries(repo, {}, layout).map((e) => e.text))].sort();
  if (config.length > MAX_CONFIG_ENTRIES) return { hooks, config: [...config.slice(0, MAX_CONFIG_ENTRIES), `(config has ${config.length} code-running entries)`] };
  return { hooks, config };
}

/** The config keys behind planted entries (read again from the file), for unsetting them. */
export function plantedConfigKeys(repo: string, planted: string[], opts: { allowGitFile?: boolean } = {}): string[] {
  const wanted = new Set(planted);
  return [...new Set(configEntries(repo, opts).filter((e) => e.key && wanted.has(e.text)).map((e) => e.key))];
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
 * What one turn planted (pure): new or changed since the turn began (`before`) and not what the run
 * started with (`start`). A turn is judged on what it changed, never on what an earlier turn left
 * that could not be removed: measured against the run's start alone, one hook the workspace could
 * not move failed every later turn of every peer, each blamed on whoever had it.
 */
export function plantedInTurn(start: GitExecSurface, before: GitExecSurface, now: GitExecSurface): PlantedGitExec {
  const sinceStart = plantedSince(start, now);
  const sinceBefore = plantedSince(before, now);
  return { hooks: sinceStart.hooks.filter((h) => sinceBefore.hooks.includes(h)), config: sinceStart.config.filter((c) => sinceBefore.config.includes(c)) };
}

/**
 * The hooks that stay when the workspace clears the hooks directory (pure): those the run started
 * with, unchanged. Everything else there is moved aside, whatever its name.
 */
export function hooksToKeep(start: GitExecSurface, now: GitExecSurface): string[] {
  return Object.keys(start.hooks).filter((h) => now.hooks[h] === start.hooks[h] && !h.includes('/') && h !== '.' && h !== '..').sort();
}
