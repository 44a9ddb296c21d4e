/**
 * A host command's read-only view of a repository (docs/ARCHITECTURE.md, "The trusted observer";
 * SECURITY.md, "The user's repository, the run clone and the trusted observer"): `peers check`,
 * `bugs`, `report` and `verify` on the host, and a gate's checkout, read a user's repository or the
 * peers' clone through a peers-owned git dir (observer.ts `initObserverRepo`) that borrows its
 * objects, so nothing of that repository's configuration is honoured. Apart from observer.ts,
 * which brings the peers' work into the mirror: a view is made per command, never written back,
 * and its copies of the repository's files are no-follow, bounded and never of a FIFO.
 */
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { copyRegularFile } from '../fs/safe-copy.ts';
import { MiB } from '../fs/safe-read.ts';
import { makeScratchDir } from '../proc/scratch-dir.ts';
import { withSpawnEnv } from '../proc/spawn-env.ts';
import { git, gitOk, OBSERVER_MARKER, withoutGitVars } from './git.ts';
import { ATTEST_NOTES_REF, BASELINE_TAG, ensureStage, FETCH_TIMEOUT_MS, initObserverRepo, observedHead, ObserverError, QUICK_TIMEOUT_MS, RUN_HEAD_REF } from './observer.ts';
import { borrowViewStores, runCloneLinkRoot } from './view-objects.ts';
import { readHead, type RepoLayout, resolveRef, resolveRepoLayout } from './repo-layout.ts';

/**
 * The most a view copies of each git dir file (safe-copy.ts): a large repository's index is some
 * hundreds of MiB; a sparse terabyte planted in the peers' clone is refused, never copied.
 */
export const VIEW_COPY_LIMITS = { index: 1024 * MiB, shallow: 64 * MiB, exclude: 16 * MiB };

/**
 * `dir/name` as a path beneath the working tree when `dir` is its own `.git` (the peers' clone
 * always; read-beneath.ts refuses a `.git` swapped for a link after the layout was read), else
 * beneath `dir` (a `git worktree`'s git dirs: a user's repository).
 */
function inTree(layout: RepoLayout, dir: string, name: string): { root: string; rel: string } {
  return dir === join(layout.workDir, '.git') ? { root: layout.workDir, rel: `.git/${name}` } : { root: dir, rel: name };
}

/**
 * Whether `workDir` is a run clone (`<state>/run/clone`, beside the run's mirror): the peers'
 * repository, which always has a plain `.git` directory. Told from where it is, never from what its
 * `.git` says: a `.git` file or a `commondir` a peer wrote there would point a host command's view
 * at another repository of the user's (its refs read, its history judged as the run's).
 */
export function isRunClone(workDir: string): boolean {
  try {
    const real = realpathSync(workDir);
    return basename(real) === 'clone' && existsSync(join(dirname(real), 'mirror.git', OBSERVER_MARKER));
  } catch {
    return false;
  }
}

/**
 * A throwaway read-only view of a user's repository (for `peers verify`, `check`, `bugs` on the
 * host): a peers-owned git dir borrowing the repository's objects, with RUN_HEAD_REF (and the
 * view's HEAD) at the repository's HEAD. Reading through it honours nothing from the
 * repository's config. Returns HEAD's commit, or null when the repository has none.
 */
export function openView(workDir: string, viewDir: string): string | null {
  const layout = resolveRepoLayout(workDir, { allowGitFile: !isRunClone(workDir) });
  const head = readHead(layout);
  // git opens what it finds in a store with a blocking open(): a FIFO there would hold the command.
  // So the view of the peers' clone reads linked copies of every store git would read, each checked
  // once linked and kept in the run directory (view-objects.ts), never the peers' names, which a
  // leftover process can swap after a check; a user's own repository is checked in place
  // (alternates too).
  if (!existsSync(join(viewDir, OBSERVER_MARKER))) initObserverRepo(viewDir);
  let stores: string[];
  try {
    stores = borrowViewStores(layout.objectsDir, runCloneLinkRoot(layout.commonDir, OBSERVER_MARKER));
  } catch (error) {
    throw new ObserverError(`cannot read the repository at ${workDir}: ${(error as Error).message}`);
  }
  ensureStage(viewDir, stores);
  // A shallow repository's history ends where its `shallow` file says; the view must know that too.
  // Read no-follow, never a FIFO (src/fs/safe-copy.ts): a host command may be pointed at the peers' clone.
  // A run clone's history ends where the run's mirror says (the clone was made from it): a `shallow`
  // the peers write in their clone named their last commit and hid every earlier one from the view.
  const mirror = isRunClone(workDir) ? join(dirname(realpathSync(workDir)), 'mirror.git') : undefined;
  try {
    rmSync(join(viewDir, 'shallow'), { force: true });
    if (mirror) copyRegularFile(join(mirror, 'shallow'), join(viewDir, 'shallow'), VIEW_COPY_LIMITS.shallow);
    else copyRegularFile(join(layout.commonDir, 'shallow'), join(viewDir, 'shallow'), VIEW_COPY_LIMITS.shallow, inTree(layout, layout.commonDir, 'shallow'));
  } catch (error) {
    throw new ObserverError(`cannot read the repository at ${workDir}: ${(error as Error).message}`);
  }
  // The baseline tag and the attestation notes travel with the history the view shows: a gate's
  // checkout of the mirror carries the mirror's notes (clean-checkout.ts), so `peers check` in a
  // gate sees who made each commit. A note is data (a blob), read only through this view.
  for (const ref of [BASELINE_TAG, ATTEST_NOTES_REF]) {
    const sha = resolveRef(layout, ref);
    if (sha) git(viewDir, ['update-ref', ref, sha], { timeoutMs: QUICK_TIMEOUT_MS });
  }
  if (!head.sha) return null;
  const upd = git(viewDir, ['update-ref', '--no-deref', RUN_HEAD_REF, head.sha], { timeoutMs: QUICK_TIMEOUT_MS });
  if (upd.code !== 0) throw new ObserverError(`cannot read HEAD ${head.sha.slice(0, 12)} of ${workDir}: ${upd.stderr.trim().slice(-300)}`);
  return observedHead(viewDir);
}

/**
 * Runs `fn` with this process's git pointed at a read-only view of `workDir`: GIT_DIR is the view
 * (our config), GIT_WORK_TREE the user's tree, GIT_INDEX_FILE a copy of the user's index (never
 * written back), no system or global config. For host commands whose checks read both history
 * and files (`peers check`): no configuration of the repository is honoured.
 */
export async function withObservedWorkTree<T>(workDir: string, env: NodeJS.ProcessEnv, fn: () => Promise<T>): Promise<T> {
  const scratch = makeScratchDir('peers-view-');
  try {
    const view = join(scratch, 'view.git');
    const head = openView(workDir, view);
    const runClone = isRunClone(workDir);
    const layout = resolveRepoLayout(workDir, { allowGitFile: !runClone });
    // The peers' live tree is never git's work tree: git opens its `.gitattributes`, `.gitignore`,
    // `.mailmap` and every untracked `x/.git` (and the HEAD a `gitdir:` there names, anywhere) with a
    // blocking open, so a FIFO there held the operator's `peers check` forever. git works on a
    // checkout of the clone's HEAD made here; the check reads the clone's files itself (beneath the
    // tree, never a FIFO). The run is its commits: what is uncommitted there is not the run's.
    const tree = runClone ? join(scratch, 'tree') : workDir;
    // No-follow copies, never of a FIFO (src/fs/safe-copy.ts): `check` may be pointed at the peers' clone.
    try {
      if (runClone) {
        mkdirSync(tree);
        if (head) gitOk(tree, ['read-tree', '-u', '--reset', RUN_HEAD_REF], { hermetic: true, env: { GIT_DIR: view, GIT_WORK_TREE: tree, GIT_INDEX_FILE: join(view, 'index') }, timeoutMs: FETCH_TIMEOUT_MS });
      }
      for (const name of runClone ? [] : readdirSync(layout.gitDir)) {
        if (name === 'index' || name.startsWith('sharedindex.')) copyRegularFile(join(layout.gitDir, name), join(view, name), VIEW_COPY_LIMITS.index, inTree(layout, layout.gitDir, name));
      }
      mkdirSync(join(view, 'info'), { recursive: true });
      rmSync(join(view, 'info', 'exclude'), { force: true });
      copyRegularFile(join(layout.commonDir, 'info', 'exclude'), join(view, 'info', 'exclude'), VIEW_COPY_LIMITS.exclude, inTree(layout, layout.commonDir, 'info/exclude'));
    } catch (error) {
      throw new ObserverError(`cannot read the repository at ${workDir}: ${(error as Error).message}`);
    }
    const viewEnv: Record<string, string> = {
      GIT_DIR: view, GIT_WORK_TREE: tree, GIT_INDEX_FILE: join(view, 'index'),
      GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_ATTR_NOSYSTEM: '1', GIT_NO_REPLACE_OBJECTS: '1', GIT_OPTIONAL_LOCKS: '0', GIT_PAGER: 'cat',
    };
    // For `fn` and everything it starts, never for the rest of the process (src/proc/spawn-env.ts).
    // No `GIT_*` of the user's shell (GIT_CONFIG_PARAMETERS, GIT_EXTERNAL_DIFF…) reaches git reading the tree.
    return await withSpawnEnv({ ...withoutGitVars(env), ...viewEnv }, fn);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
