/**
 * The loop's one gate checkout, reused for every gate run of the run: the same scratch directory,
 * moved to each new commit with ONE hermetic git process (instead of a clone, two ref reads, a ref
 * write and a checkout per run: BENCHMARKS.md, "Loop processes per tick").
 *
 * It is exactly as clean as a fresh clone (SECURITY.md, "Gates judge committed content only"):
 * before every run the whole previous tree is removed — tracked files a gate modified, untracked
 * and ignored leftovers, symlinks, and its `.git` with whatever a gate planted there (config,
 * hooks, an index whose stat data lies, alternates) — and a new `.git` is written by this process
 * from nothing: our config, HEAD at the commit, the source's objects as an alternate, and the two
 * refs a gate's `peers check` reads (the attestation notes and the baseline tag, in `packed-refs`),
 * read as files from the peers-owned source without running git. `git read-tree --reset -u` then writes the
 * commit's tree, with hermetic git (no system, global or repository config but ours). Nothing one
 * gate run leaves can reach the next.
 *
 * Each run's tree gets a new random name in a scratch directory nobody can list (mode 0300): a
 * process a gate left behind (a `setsid` daemon outlives its process group) knows only the old
 * tree's path, which is gone, and cannot find the next tree to write into before the next gate
 * reads it (SECURITY.md, "One gate run leaves nothing for the next"). No extra process: a name.
 *
 * One run at a time: a second run that starts while the checkout is in use gets a throwaway
 * checkout of its own (clean-checkout.ts).
 *
 * The trees go to a tmpfs while each one measured was small (checkout-place.ts): the scratch
 * directory moves there (a new one, made as above) once the first tree, on the disk, proved small,
 * and back to the disk for good after one that was not.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, realpathSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeScratchDir } from '../proc/scratch-dir.ts';
import { MIN_FREE_BYTES, pickScratchParent, tmpfsCandidates } from '../proc/tmpfs-scratch.ts';
import { afterTree, freeBytes, isTmpfs, TMPFS_TREE_LIMIT_BYTES, treeBytes, treeMayGoToTmpfs, type TreeSizes } from './checkout-place.ts';
import { gitOk, isObserverRepo } from '../git/git.ts';
import { isObjectId } from '../git/repo-layout.ts';
import { type CheckoutUse, withCleanCheckout } from './clean-checkout.ts';
import { resealCheckoutGitDir, writeCheckoutGitDir } from './checkout-git-dir.ts';
import { removeTree } from '../fs/remove-tree.ts';

export type GateCheckoutOptions = {
  /** The tmpfs places to try, in order (default: tmpfs-scratch.ts's candidates). */
  tmpfsCandidates?: () => (string | undefined)[];
  /** The largest tree that keeps the next ones on a tmpfs (default TMPFS_TREE_LIMIT_BYTES). */
  tmpfsTreeLimitBytes?: number;
};

export class GateCheckout {
  private scratch: string | undefined;
  /** Whether `scratch` is on a tmpfs (then a tree's size is the space its removal frees). */
  private scratchOnTmpfs = false;
  /** The last run's tree (a new random name every run). */
  private tree: string | undefined;
  private busy = false;
  private trash = 0;
  /** The directory `scratch` was made in. */
  private scratchParent: string | undefined;
  private sizes: TreeSizes = 'unmeasured';

  constructor(private readonly options: GateCheckoutOptions = {}) {}

  /** Where the trees go now: the scratch directory's parent, and whether it is a tmpfs. */
  get place(): { dir: string | undefined; tmpfs: boolean; sizes: TreeSizes } {
    return { dir: this.scratch, tmpfs: this.scratchOnTmpfs, sizes: this.sizes };
  }

  /**
   * Runs `fn` in a checkout of `sha` (a commit of the observer repo `source`, e.g. the run's
   * mirror), with nothing left from any earlier run.
   */
  async use<T>(source: string, sha: string, fn: CheckoutUse<T>): Promise<T> {
    if (this.busy) return withCleanCheckout(source, sha, fn);
    if (!isObserverRepo(source)) throw new Error(`${source} is not a peers-owned git dir: the reused gate checkout reads only those`);
    if (!isObjectId(sha)) throw new Error(`not an object id: ${JSON.stringify(sha.slice(0, 80))}`);
    this.busy = true;
    try {
      const dir = this.fresh(source, sha);
      return await fn(dir, () => resealCheckoutGitDir(source, dir, sha));
    } finally {
      this.busy = false;
    }
  }

  /** Removes the checkout (the loop's end). */
  close(): void {
    if (this.scratch && isRealDir(this.scratch)) {
      // Listable again, what the gates locked in it too (src/fs/remove-tree.ts).
      removeTree(this.scratch);
    }
    this.scratch = undefined;
    this.scratchParent = undefined;
    this.tree = undefined;
  }

  /** An empty tree directory with a `.git` we wrote, then the commit's files. */
  private fresh(source: string, sha: string): string {
    // A gate runs as this user: it could have replaced the scratch directory (say, by a symlink).
    const scratchIntact = this.scratch !== undefined && isRealDir(this.scratch);
    if (scratchIntact && this.tree) this.discard(this.tree);
    const parent = this.parentForNextTree();
    if (!scratchIntact || parent !== this.scratchParent) {
      if (scratchIntact) this.close();
      this.scratch = realpathSync(makeScratchDir('peers-gate-checkout-', parent));
      this.scratchParent = parent;
      this.scratchOnTmpfs = isTmpfs(this.scratch);
      this.tree = undefined;
      // Entries are reached by name only: nothing can list it to find the next run's tree.
      chmodSync(this.scratch, 0o300);
    }
    const dir = join(this.scratch!, `tree-${randomBytes(16).toString('hex')}`);
    this.tree = dir;
    const gitDir = join(dir, '.git');
    writeCheckoutGitDir(source, gitDir, sha);
    // `^{commit}`: a tree or blob id is refused, never checked out as if it were a commit.
    gitOk(dir, ['read-tree', '--reset', '-u', `${sha}^{commit}`], { hermetic: true, env: { GIT_DIR: gitDir, GIT_WORK_TREE: dir } });
    return dir;
  }

  /**
   * The previous tree goes entirely. A gate may have left a directory it made unwritable: the tree
   * is first renamed out of the way (that needs only our scratch directory), so the new one is
   * always empty even when the old one cannot be removed at once; what is left goes at `close`.
   */
  private discard(dir: string): void {
    if (!lstatSync(dir, { throwIfNoEntry: false })) return;
    const old = join(this.scratch!, `old-${this.trash++}-${randomBytes(8).toString('hex')}`);
    renameSync(dir, old);
    // Its size, what the gate wrote included, says where the next tree may go (checkout-place.ts):
    // on a tmpfs the space its removal frees; on the disk a walk, only until the first verdict.
    const limit = this.options.tmpfsTreeLimitBytes ?? TMPFS_TREE_LIMIT_BYTES;
    const freeBefore = this.scratchOnTmpfs ? freeBytes(old) : null;
    const walked = !this.scratchOnTmpfs && this.sizes === 'unmeasured' ? treeBytes(old, limit) : null;
    try {
      removeTree(old);
    } catch {}
    if (this.scratchOnTmpfs) {
      const freeAfter = freeBytes(this.scratch!);
      this.sizes = afterTree(this.sizes, freeBefore === null || freeAfter === null ? null : Math.max(0, freeAfter - freeBefore), limit);
    } else if (this.sizes === 'unmeasured') this.sizes = afterTree(this.sizes, walked, limit);
  }

  /** The temp dir, or a tmpfs with room while the trees were small. */
  private parentForNextTree(): string {
    if (!treeMayGoToTmpfs(this.sizes)) return tmpdir();
    const candidates = (this.options.tmpfsCandidates ?? tmpfsCandidates)();
    // Room for a gate's scratch directories (tmpfs-scratch.ts) and the tree beside them.
    return pickScratchParent(candidates, tmpdir(), MIN_FREE_BYTES + (this.options.tmpfsTreeLimitBytes ?? TMPFS_TREE_LIMIT_BYTES));
  }
}

function isRealDir(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}
