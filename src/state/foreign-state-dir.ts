/**
 * A state directory is peers' own: `up` writes a run into it and `reset` moves the whole of it into
 * `<dir>.archive/`, which `peers prune` deletes. So `$PEERS_STATE_DIR` naming a directory of other
 * files (`~/Documents`) is refused, exit 2, before anything is written or moved there: `up` made
 * its run beside the user's files and `reset` then archived them with it.
 */
import { readdirSync } from 'node:fs';
import { InputError } from '../cli/errors.ts';

/**
 * Throws when `dir` holds entries and none of them is one of `peers` (what peers keeps at the top of
 * a state directory: paths.ts, stateDirEntries): a directory that is not a state directory.
 */
export function refuseForeignStateDir(dir: string, peers: ReadonlySet<string>): void {
  let entries: string[];
  try {
    // A fresh file system's lost+found (a volume mounted as the state directory) is no one's files.
    entries = readdirSync(dir).filter((e) => e !== 'lost+found');
  } catch {
    return; // Missing: peers makes it. Unreadable or not a directory: the caller's own access says so.
  }
  if (entries.length === 0 || entries.some((e) => peers.has(e))) return;
  entries.sort();
  const shown = entries.length > 3 ? `${entries.slice(0, 3).join(', ')}, … (${entries.length} entries)` : entries.join(', ');
  throw new InputError(`state directory: it holds other files (${shown}) and no run of peers: refusing to use it`, {
    location: { file: dir },
    hint: 'point $PEERS_STATE_DIR at a new or empty directory (peers keeps one run there, and `peers reset` moves the whole directory aside), or unset it for the default under $XDG_STATE_HOME/peers',
  });
}
