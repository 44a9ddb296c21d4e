/**
 * `peers prune`: delete archived runs (`<state dir>.archive/<id>/`, written by `peers reset` and
 * `up --fresh`: their state, logs, prompts, run clone) older than a cut-off. The current run's state
 * directory is never a candidate, and only a real directory directly inside an archive root is
 * deleted (a symlink planted there is skipped, never followed).
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/cli/errors.ts';
import { archiveRootFor } from '../../src/state/paths.ts';
import { removeTree } from '../../src/fs/remove-tree.ts';

export type PruneCandidate = { project: string; path: string; archived_at: string; bytes: number };

const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `30d`, `12h`, `2w`, `90m`, `45s` in seconds; exit 2 otherwise. */
export function parseAge(text: string): number {
  const m = /^(\d+)([smhdw])$/.exec(text.trim());
  if (!m) throw new InputError(`--older-than ${text}: expected a number and a unit (s, m, h, d, w), like 30d or 12h`);
  return Number(m[1]) * UNIT_S[m[2]!]!;
}

/** When an archive was made: from its id (`2026-12-05T01-38-50Z-…`), else its directory's mtime. */
export function archivedAt(id: string, mtimeMs: number): Date {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z/.exec(id);
  const parsed = m ? Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`) : NaN;
  return new Date(Number.isNaN(parsed) ? mtimeMs : parsed);
}

/**
 * The bytes of the files under `root`, as far as they can be read: an archived run holds the peers'
 * clone, whose directories may deny their owner (`chmod 000`) or nest deeper than a call stack.
 */
function sizeOf(root: string): number {
  let bytes = 0;
  const paths = [root];
  for (let path = paths.pop(); path !== undefined; path = paths.pop()) {
    try {
      const st = lstatSync(path);
      if (!st.isDirectory()) bytes += st.size;
      else for (const name of readdirSync(path)) paths.push(join(path, name));
    } catch {
      // unreadable: counted as nothing (deleting it still works: src/fs/remove-tree.ts)
    }
  }
  return bytes;
}

/** Archived runs of `stateDir` archived before `now - olderThanS`. */
export function pruneCandidates(project: string, stateDir: string, olderThanS: number, now: Date): PruneCandidate[] {
  const root = archiveRootFor(stateDir);
  let names: string[];
  try {
    if (!lstatSync(root).isDirectory()) return [];
    names = readdirSync(root);
  } catch {
    return [];
  }
  const cutoff = now.getTime() - olderThanS * 1000;
  return names.sort().flatMap((id) => {
    const path = join(root, id);
    const st = lstatSync(path);
    if (!st.isDirectory()) return [];
    const when = archivedAt(id, st.mtimeMs);
    return when.getTime() < cutoff ? [{ project, path, archived_at: when.toISOString(), bytes: sizeOf(path) }] : [];
  });
}

export function deleteArchive(c: PruneCandidate): void {
  removeTree(c.path);
}
