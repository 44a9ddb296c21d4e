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
import { gitBytes } from '../git/git.ts';
import { treeChanges, type TreeChanges } from '../git/tree-changes.ts';

const SYMLINK_MODE = '120000';

/** Whether a link at `linkPath` (repository-relative) with `target` leads out of the tree. */
export function escapesTree(linkPath: string, target: string): boolean {
  if (target === '' || target.startsWith('/') || target.includes('\0')) return true;
  const resolved = posix.normalize(posix.join(posix.dirname(linkPath), target));
  return resolved === '..' || resolved.startsWith('../');
}

/** `links`: each as `path -> target`, for people; `found`: the same, as data (a path may hold ` -> `). */
export type EscapingSymlinks = { ok: true; links: string[]; found: Array<{ path: string; target: string }> } | { ok: false; error: string };

/**
 * The links among `read` (the entries a range of the run changed, read in the trusted mirror) that
 * escape the tree, each as `path -> target`. Fails closed: a range or a link git cannot read is
 * `ok: false`.
 */
export function escapingSymlinksIn(repo: string, read: TreeChanges): EscapingSymlinks {
  if (!read.ok) return read;
  const found: Array<{ path: string; target: string }> = [];
  for (const e of read.changes) {
    if (e.deleted || e.mode !== SYMLINK_MODE) continue;
    let target: string;
    try {
      target = gitBytes(repo, ['cat-file', 'blob', e.sha]).toString('utf8');
    } catch (error) {
      return { ok: false, error: `${e.path}: ${(error as Error).message.slice(0, 200)}` };
    }
    if (escapesTree(e.path, target)) found.push({ path: e.path, target });
  }
  return { ok: true, links: found.map((l) => `${l.path} -> ${l.target}`), found };
}

/** escapingSymlinksIn for the links `base..head` added or changed (every link of `head` without a base). */
export function escapingSymlinks(repo: string, base: string | undefined, head: string): EscapingSymlinks {
  return escapingSymlinksIn(repo, treeChanges(repo, base, head));
}
