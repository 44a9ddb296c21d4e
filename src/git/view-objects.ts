/**
 * The object stores a host command's read-only view of a repository borrows (observed-view.ts
 * `openView`: `peers check`, `bugs`, `report` and `verify` on the host, which an operator may point
 * at the peers' clone). Git opens what it finds in a store with a blocking open(), so a FIFO there
 * held the command for ever. Checking the store in place and then letting git read it left a
 * window: a process the peers left running in the workspace (the workspace runner keeps them)
 * swapped a pack index for a FIFO once the check had passed. And the stores the repository names
 * in `objects/info/alternates` (relative paths reach anywhere in the peers' own tree) were read by
 * git unchecked. So every store git will read — the repository's and each alternate, followed as
 * git follows them, at most five deep — is borrowed as hard links checked once made
 * (object-store-links.ts: an inode never changes type), its `info/alternates` left out, and the
 * view names exactly those linked stores. A store that cannot be linked (another filesystem than
 * the view's scratch directory, another user's files) is checked in place, with the race.
 * Linking costs a link per object file the first time (about a second for 3 000 loose objects on a
 * loaded machine, against 20 ms for the check in place), so it is done for the peers' clone only,
 * whose links are kept in its run directory (`runCloneLinkRoot`); a user's own repository, which
 * no peer writes while the command runs, is checked in place, alternates included. SECURITY.md, "The user's repository, the run clone and the trusted
 * observer".
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { readTextIfExists } from '../fs/safe-read.ts';
import { objectStoreProblem } from './object-store-check.ts';
import { linkObjectStore } from './object-store-links.ts';

/** Git follows alternates of alternates to this depth (sha1-file.c, link_alt_odb_entries). */
const MAX_ALTERNATE_DEPTH = 5;
const ALTERNATES_FILES = new Set(['info/alternates', 'info/http-alternates']);

/** The stores `objectsDir/info/alternates` names, resolved as git resolves them (relative to `objectsDir`). */
export function alternateStores(objectsDir: string): string[] {
  const text = readTextIfExists(join(objectsDir, 'info', 'alternates'), 64 * 1024);
  if (text === undefined) return [];
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    // A C-quoted path is git's too; peers reads none (fail closed: the view is refused).
    if (line.startsWith('"')) throw new Error(`${join(objectsDir, 'info', 'alternates')} names a quoted path, which peers does not read`);
    out.push(isAbsolute(line) ? line : resolve(objectsDir, line));
  }
  return out;
}

/**
 * Links every store git would read for `objectsDir` under `linkRoot` (when given; else, or when a
 * store cannot be linked, checks it in place) and returns the directories the view must name as
 * its alternates. Throws with the reason when a store holds anything but files and directories.
 */
export function borrowViewStores(objectsDir: string, linkRoot: string | undefined): string[] {
  const borrowed: string[] = [];
  const seen = new Set<string>();
  const visit = (store: string, depth: number): void => {
    let real: string;
    try {
      real = realpathSync(store);
    } catch {
      return; // git skips an alternate that does not exist; so does the view
    }
    if (seen.has(real)) return;
    seen.add(real);
    const into = linkRoot === undefined ? undefined : join(linkRoot, String(borrowed.length));
    const linked = into === undefined ? ({ ok: false, unlinkable: true } as const) : linkObjectStore(real, into, ALTERNATES_FILES);
    if (linked.ok) borrowed.push(into!);
    else if ('problem' in linked) throw new Error(linked.problem);
    else {
      const planted = objectStoreProblem(real);
      if (planted) throw new Error(planted);
      borrowed.push(real);
    }
    if (depth >= MAX_ALTERNATE_DEPTH) return;
    for (const alt of alternateStores(real)) visit(alt, depth + 1);
  };
  visit(objectsDir, 0);
  return borrowed;
}

/**
 * Where the view of a run clone keeps its links, when `commonDir` is the git dir of one
 * (`<state>/run/clone/.git`, beside the run's mirror), which the peers write; else undefined. In
 * the run directory, out of the peers' reach and on the clone's filesystem (a scratch directory in
 * `TMPDIR`, often a tmpfs, could link nothing), and kept from one command to the next like the
 * loop's stage: a link is remade only when its store entry changed.
 */
export function runCloneLinkRoot(commonDir: string, observerMarker: string): string | undefined {
  try {
    const run = dirname(dirname(realpathSync(commonDir)));
    return existsSync(join(run, 'mirror.git', observerMarker)) ? join(run, 'view-objects') : undefined;
  } catch {
    return undefined;
  }
}
