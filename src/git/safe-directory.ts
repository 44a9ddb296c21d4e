/**
 * The user's own `safe.directory` entries, for the hermetic git calls that touch their repository
 * (the run clone's import from it, publishing into it). A repository owned by another user (a
 * shared checkout, a mounted volume) is one git refuses ("detected dubious ownership") unless the
 * user's system or global configuration names it there; the hermetic calls read neither, so a
 * repository that `init`, `verify` and `doctor` used failed `up` with an internal error. Only those
 * two scopes count, as for git itself: a repository's own configuration cannot vouch for it. They
 * reach git as the global configuration of the call (`-c` would not: git clears it for the
 * upload-pack a local fetch starts), a file holding them alone.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeScratchDir } from '../proc/scratch-dir.ts';
import { configByScope } from './config-scopes.ts';

let cached: Record<string, string> | undefined;

/** The environment a hermetic call adds to read the user's safe.directory entries (none when they have none). */
export function userSafeDirectoryEnv(): Record<string, string> {
  cached ??= writeSafeDirectoryConfig(readUserSafeDirectories());
  return cached;
}

function readUserSafeDirectories(): string[] {
  // From `/`: outside any repository, only the system and global files are there to read.
  return (configByScope('/', 'safe.directory', { hermetic: false }) ?? [])
    .filter((v) => v.scope === 'system' || v.scope === 'global')
    .map((v) => v.value)
    // A local fetch's upload-pack checks the git directory, where `git -C <tree>` checks the tree:
    // an entry naming a work tree names its `.git` too, the same repository.
    .flatMap((d) => (d === '*' || d.endsWith('/*') || d.endsWith('/.git') ? [d] : [d, `${d.replace(/\/+$/, '')}/.git`]));
}

/** A git config value in double quotes: a backslash and a quote escaped, as git reads them. */
const quoted = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function writeSafeDirectoryConfig(entries: string[]): Record<string, string> {
  const usable = entries.filter((e) => !/[\n\0]/.test(e));
  if (!usable.length) return {};
  const dir = makeScratchDir('peers-safe-directory-');
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'gitconfig');
  writeFileSync(file, `[safe]\n${usable.map((e) => `\tdirectory = ${quoted(e)}\n`).join('')}`, { mode: 0o600 });
  return { GIT_CONFIG_GLOBAL: file };
}
