/**
 * Removing a directory tree the peers could write: a run's clone (archived runs), a runner's socket
 * dir, a gate's scratch checkout. The peers run as the user's uid (the workspace's `--userns=keep-id`,
 * a host loop's own processes), so they may leave directories whose modes deny their owner
 * (`chmod 000`), and a plain recursive remove then stops at the first with EACCES: `peers down`
 * ended in an internal error after the pod was gone, and `peers prune` deleted nothing (SECURITY.md,
 * "The loop's run state"). Here a refused remove gives this user's own directories back their
 * owner's bits, walking without following a link, and tries again; what still cannot go is an
 * error naming the path and the commands that remove it.
 */
import { chmodSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { shellWord } from '../cli/shell-word.ts';
import { PeersError } from '../cli/errors.ts';

const REFUSED = new Set(['EACCES', 'EPERM', 'ENOTEMPTY']);

/** Removes `path` and everything under it (nothing when it is not there); a PeersError when it cannot. */
export function removeTree(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
    return;
  } catch (error) {
    if (!REFUSED.has((error as NodeJS.ErrnoException).code ?? '')) throw cannotRemove(path, error);
  }
  grantOwnerAccess(path);
  try {
    rmSync(path, { recursive: true, force: true });
  } catch (error) {
    throw cannotRemove(path, error);
  }
}

/**
 * Gives every directory under `root` that this user owns read, write and search for its owner, so
 * its entries can be listed and unlinked. Entries are lstat'ed: a link is never followed nor
 * changed. (chmod itself follows a link that replaced a directory since its lstat; in that race it
 * adds owner bits to a file this user owns, and changes nothing of anyone else's.)
 */
function grantOwnerAccess(root: string): void {
  const uid = process.getuid?.();
  const dirs = [root];
  for (let dir = dirs.pop(); dir !== undefined; dir = dirs.pop()) {
    let names: string[];
    try {
      const st = lstatSync(dir);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      if ((st.mode & 0o700) !== 0o700) chmodSync(dir, (st.mode & 0o7777) | 0o700);
      names = readdirSync(dir);
    } catch {
      continue; // gone meanwhile, or not this user's to open: the second remove names it
    }
    for (const name of names) dirs.push(join(dir, name));
  }
}

function cannotRemove(path: string, error: unknown): PeersError {
  const e = error as NodeJS.ErrnoException;
  const where = e.path && e.path !== path ? ` (${e.path})` : '';
  return new PeersError(`cannot remove ${path}${where}: ${e.code ?? e.message}`, { hint: `remove it by hand: chmod -R u+rwX ${shellWord(path)} && rm -rf ${shellWord(path)}` });
}
