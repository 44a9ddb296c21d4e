/**
 * Symlinks the run's commits point out of the repository. The gates' checkout is the commit's tree,
 * links included, and a test suite follows them; the reviewer's diff shows a link as its target's
 * path, never what is there. add() with a special case of the tested input, written to a file
 * outside the repository and reached through a committed `src/impl.mjs` link that src/calc.mjs
 * re-exported, ended the run `complete` on the host loop (SECURITY.md, "Code the gates run and no
 * reviewer reads holds the run"). A link added or changed in the run whose target is absolute or
 * climbs out of the repository holds convergence until a commit removes or repoints it; a link
 * within the tree (`bin/calc-link.mjs -> ../src/calc.mjs`) is its own content and never holds.
 */
import { posix } from 'node:path';
import { git, gitBytes } from '../git/git.ts';

const SYMLINK_MODE = '120000';

/** Whether a link at `linkPath` (repository-relative) with `target` leads out of the tree. */
export function escapesTree(linkPath: string, target: string): boolean {
  if (target === '' || target.startsWith('/') || target.includes('\0')) return true;
  const resolved = posix.normalize(posix.join(posix.dirname(linkPath), target));
  return resolved === '..' || resolved.startsWith('../');
}

export type EscapingSymlinks = { ok: true; links: string[] } | { ok: false; error: string };

/**
 * The links `base..head` added or changed (read in the trusted mirror) that escape the tree, each
 * as `path -> target`. Fails closed: a range or a link git cannot read is `ok: false`.
 */
export function escapingSymlinks(repo: string, base: string | undefined, head: string): EscapingSymlinks {
  const args = base ? ['diff', '--raw', '-z', '--no-renames', '--no-abbrev', `${base}..${head}`] : ['ls-tree', '-r', '-z', head];
  const res = git(repo, args);
  if (res.code !== 0) return { ok: false, error: res.stderr.trim().slice(0, 300) || `git ${args[0]} failed` };
  const fields = res.stdout.split('\0');
  const entries: Array<{ path: string; sha: string }> = [];
  if (base) {
    // `:oldmode newmode oldsha newsha status` then the path.
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const meta = (fields[i] as string).split(' ');
      if (meta[1] === SYMLINK_MODE && !meta[4]?.startsWith('D')) entries.push({ path: fields[i + 1] as string, sha: meta[3] as string });
    }
  } else {
    // `mode type sha\tpath`.
    for (const f of fields) {
      const m = /^(\d+) \w+ ([0-9a-f]+)\t([\s\S]*)$/.exec(f);
      if (m && m[1] === SYMLINK_MODE) entries.push({ path: m[3] as string, sha: m[2] as string });
    }
  }
  const links: string[] = [];
  for (const e of entries) {
    let target: string;
    try {
      target = gitBytes(repo, ['cat-file', 'blob', e.sha]).toString('utf8');
    } catch (error) {
      return { ok: false, error: `${e.path}: ${(error as Error).message.slice(0, 200)}` };
    }
    if (escapesTree(e.path, target)) links.push(`${e.path} -> ${target}`);
  }
  return { ok: true, links };
}
