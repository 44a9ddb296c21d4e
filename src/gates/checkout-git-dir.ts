/**
 * The `.git` of a gate's checkout of one commit of a peers-owned observer repo (the run's mirror, a
 * view of a repository), written by this process rather than cloned: no configuration, hook,
 * index or alternates of anyone else's applies, and nothing of the source is written. Shared by
 * the loop's reused checkout (gate-checkout.ts) and the one-off checkouts (clean-checkout.ts).
 *
 * A clone would not do for a shallow source either: `git clone --shared` of a shallow repository
 * silently drops `--shared` and fetches only its branches and tags, so the attestation notes'
 * commit is not there to name.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { alternatesLine } from '../git/alternates-line.ts';
import { gitOk } from '../git/git.ts';
import { ATTEST_NOTES_REF, BASELINE_TAG, observerRef } from '../git/observer.ts';
import { removeTree } from '../fs/remove-tree.ts';

/** The whole configuration of the checkout's `.git` (hermetic git adds no other file's). */
function checkoutConfig(sha256: boolean): string {
  return [
    '[core]',
    `\trepositoryformatversion = ${sha256 ? 1 : 0}`,
    '\tfilemode = true',
    '\tbare = false',
    '\tlogallrefupdates = false',
    '\thooksPath = /dev/null',
    '\tfsmonitor = false',
    '[gc]',
    '\tauto = 0',
    ...(sha256 ? ['[extensions]', '\tobjectformat = sha256'] : []),
    '',
  ].join('\n');
}

/**
 * Writes `gitDir` for a detached checkout of `sha`: the source's objects borrowed (alternates),
 * its `shallow` list (a shallow clone's history ends there: a gate's `git log` must not walk into
 * parents that are not in it), and, as one `packed-refs`, the attestation notes (who made each
 * commit, for `peers check`) and the baseline tag, read as files of the source: no git process.
 */
export function writeCheckoutGitDir(source: string, gitDir: string, sha: string): void {
  // What git needs of a git dir (HEAD, objects/, refs/): a directory made and removed per gate run
  // costs more than the write of a file (BENCHMARKS.md, "Loop processes per tick"); git makes any
  // other (refs/heads/…) itself when a gate's git needs it.
  for (const d of ['objects/info', 'refs']) mkdirSync(join(gitDir, d), { recursive: true, mode: 0o700 });
  writeFileSync(join(gitDir, 'config'), checkoutConfig(sha.length === 64));
  writeFileSync(join(gitDir, 'HEAD'), `${sha}\n`);
  writeFileSync(join(gitDir, 'objects/info/alternates'), `${alternatesLine(realpathSync(join(source, 'objects')))}\n`);
  // The source is peers-owned (only peers' own git writes it): its `shallow` is read as it is.
  if (existsSync(join(source, 'shallow'))) copyFileSync(join(source, 'shallow'), join(gitDir, 'shallow'));
  // No traits line: git then peels an annotated tag itself.
  const packed = [ATTEST_NOTES_REF, BASELINE_TAG].flatMap((ref) => {
    const value = observerRef(source, ref);
    return value ? [`${value} ${ref}\n`] : [];
  });
  if (packed.length) writeFileSync(join(gitDir, 'packed-refs'), packed.join(''));
}

/**
 * The checkout's `.git` written again, as `writeCheckoutGitDir` wrote it, once `setup` has run:
 * setup is the peers' code (an `npm ci` runs their package.json's install scripts) and ran in the
 * checkout, `.git` included, and a `peers check` gate reads history through it (its HEAD, the
 * attestation notes, the baseline tag). A setup that moved HEAD to the parent, or committed on top,
 * made `peers check deps-justified` pass on a commit whose dependency nobody justified (SECURITY.md,
 * "Gates judge committed content only"). Whatever setup made of `.git` (a link, a file, a directory
 * it made unremovable) is renamed out of the tree, never read; the index is the commit's again.
 *
 * Then every tracked file setup changed, deleted, replaced (a link, a directory made a link) or
 * re-moded is written again from the commit: an install script that patched the product in the
 * checkout (`postinstall` rewriting src/calc.js with the fix the commit lacks) made every gate
 * green on a commit that still holds the bug. What setup added beside the commit's files (the
 * installed dependencies) stays. Returns the paths written again. Throws when `.git` cannot be moved
 * away or a file cannot be written again (fail closed).
 */
export function resealCheckoutGitDir(source: string, dir: string, sha: string): string[] {
  const gitDir = join(dir, '.git');
  const st = lstatSync(gitDir, { throwIfNoEntry: false });
  if (st) {
    // Moving a directory to another parent writes its `..`: a `.git` setup made read-only moves too.
    if (st.isDirectory()) chmodSync(gitDir, 0o700);
    const away = join(dirname(dir), `.git-after-setup-${randomBytes(8).toString('hex')}`);
    renameSync(gitDir, away);
    removeWhatSetupLeft(away);
  }
  writeCheckoutGitDir(source, gitDir, sha);
  const env = { GIT_DIR: gitDir, GIT_WORK_TREE: dir };
  gitOk(dir, ['read-tree', '--reset', `${sha}^{commit}`], { hermetic: true, env });
  // The index has no file's stat yet: status compares every tracked file's content with the commit's.
  const changed = trackedChangesOf(gitOk(dir, ['status', '--porcelain', '-z', '--untracked-files=no', '--no-renames', '--ignore-submodules=all'], { hermetic: true, env }));
  if (changed.length) gitOk(dir, ['checkout-index', '--force', '--quiet', '-z', '--stdin'], { hermetic: true, env, input: changed.map((p) => `${p}\0`).join('') });
  return changed;
}

/** The paths of `git status --porcelain -z` entries (`XY path`, no renames asked for). */
export function trackedChangesOf(statusZ: string): string[] {
  return statusZ.split('\0').filter((e) => e.length > 3).map((e) => e.slice(3));
}

/** Removes `path`, its directories made writable first (setup may have made them read-only; links are never followed). */
function removeWhatSetupLeft(path: string): void {
  try {
    removeTree(path);
  } catch {
    // What is left goes with the checkout's scratch directory.
  }
}

/**
 * The checkout's `.git` as peers wrote it, again once setup (the peers' code) is done, so a
 * `peers check` gate judges the commit asked for with the loop's notes (checkout-git-dir.ts);
 * null when done, else why the gates cannot run (fail closed).
 */
export function resealAfterSetup(reseal: () => void): string | null {
  try {
    reseal();
    return null;
  } catch (error) {
    return `setup left the checkout's .git where it cannot be written again: ${(error as Error).message.slice(0, 300)}`;
  }
}
