/**
 * The entries a range of the run changed, as git's raw format gives them: path, new mode, new blob
 * id. One `git diff --raw` of `base..head` answers both readers of code the gates run and no
 * reviewer reads (src/protocol/committed-control-plane.ts, src/protocol/escaping-symlinks.ts),
 * where each used to start a git of its own every tick (BENCHMARKS.md, "Loop processes per tick").
 * Without a base (a run with no baseline), every entry of `head`'s tree counts as added.
 */
import { git } from './git.ts';

/**
 * One changed entry: its new mode and blob id (`mode` and `sha`; a deletion's are git's zeros) and
 * its old ones (an addition's are zeros; an entry of a tree listing has none).
 */
export type TreeChange = { path: string; mode: string; sha: string; deleted: boolean; oldMode?: string; oldSha?: string };

export type TreeChanges = { ok: true; changes: TreeChange[] } | { ok: false; error: string };

/** A run may change many files; its paths are read whole or not at all (a cut list would pass). */
const LIST_BUFFER = 256 * 1024 * 1024;

const RAW_META = /^:(\d{6}) (\d{6}) ([0-9a-f]+) ([0-9a-f]+) ([A-Z])\d*$/;

/**
 * `git diff --raw -z --no-renames` (or `diff-tree -r -z --raw`) output: `:oldmode newmode oldsha
 * newsha status`, then the path. The one reader of that format here (tests-alone.ts,
 * checkout-risks.ts, treeChanges). Throws on a line of another shape: a reader that skipped it
 * would pass over the entry it stood for.
 */
export function parseRawDiffZ(out: string): TreeChange[] {
  const fields = out.split('\0');
  const changes: TreeChange[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const meta = RAW_META.exec(fields[i]!);
    if (!meta) throw new Error(`git printed an unexpected raw diff line: ${JSON.stringify(fields[i]!.slice(0, 80))}`);
    const [, oldMode, mode, oldSha, sha, status] = meta;
    changes.push({ path: fields[i + 1]!, mode: mode!, sha: sha!, deleted: status === 'D', oldMode: oldMode!, oldSha: oldSha! });
  }
  return changes;
}

/** `git ls-tree -r -z` output: `mode type sha<TAB>path` per entry, every one of them added. */
export function parseLsTreeZ(out: string): TreeChange[] {
  const changes: TreeChange[] = [];
  for (const f of out.split('\0')) {
    const m = /^(\d+) \w+ ([0-9a-f]+)\t([\s\S]*)$/.exec(f);
    if (m) changes.push({ path: m[3] as string, mode: m[1] as string, sha: m[2] as string, deleted: false });
  }
  return changes;
}

/**
 * The entries `base..head` changed in `repo` (the trusted mirror; renames as a deletion and an
 * addition, so every new path is named). Fails closed: a range git cannot read, or one too large
 * to read whole, is `ok: false`.
 */
export function treeChanges(repo: string, base: string | undefined, head: string): TreeChanges {
  const args = base ? ['diff', '--raw', '-z', '--no-renames', '--no-abbrev', `${base}..${head}`] : ['ls-tree', '-r', '-z', head];
  try {
    const res = git(repo, args, { maxBuffer: LIST_BUFFER });
    if (res.code !== 0) return { ok: false, error: res.stderr.trim().slice(0, 300) || `git ${args[0]} failed` };
    return { ok: true, changes: base ? parseRawDiffZ(res.stdout) : parseLsTreeZ(res.stdout) };
  } catch (error) {
    return { ok: false, error: (error as Error).message.slice(0, 300) };
  }
}
