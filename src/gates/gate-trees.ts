/**
 * Each gate of one probe starts from the checkout exactly as `setup` left it (SECURITY.md, "Each
 * gate starts from the state right after setup"). The gates used to share one checkout, so a gate
 * that runs the peers' code (a test suite importing their module) could rewrite a tracked file,
 * plant an untracked one or replace what `setup` installed (a venv's scripts, node_modules/.bin),
 * and a later gate that runs no peer code (a linter, a user's checker) judged that instead of the
 * commit.
 *
 * `keep` sets the checkout aside under a new random name beside it, out of the gates' reach (the
 * host's scratch directory cannot be listed; in the pod the gates runner makes the checkout's
 * directory so too). Each `use` then puts a copy of it back at the ORIGINAL path — where `setup`
 * ran, because what setup writes names that path (a venv's console scripts, an editable install) —
 * runs one gate, and removes the copy before the next. So gates run one at a time: two copies
 * cannot share a path, and a gate running beside another could find its tree through /proc and
 * write into it. The last gate gets the kept checkout itself: no copy for it (and none at all for a
 * probe of one gate).
 *
 * The copy is `cp -a --reflink=auto` (one process; copy-on-write clones where the filesystem has
 * them, a full copy elsewhere). Never hard links: a gate could write through one into the kept
 * checkout. Unlistable is not out of reach: a gate runs as the user who owns the parent and can
 * make it listable again, so the kept checkout is stamped when set aside and checked after each
 * copy and before the last gate takes it (tree-stamp.ts); a change fails that gate and every later
 * one. Any failure throws; the engine fails the gate (fail closed).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { stampTree, treeChange, type TreeStamp } from './tree-stamp.ts';
import { removeTree } from '../fs/remove-tree.ts';

export class GateTrees {
  private kept: string | undefined;
  private trash = 0;

  private constructor(
    /** Where every gate runs: the path `setup` ran in. */
    readonly dir: string,
    kept: string,
    /** Uses still to come; the last one gets the kept checkout itself. */
    private uses: number,
    /** The parent directory's mode before `keep` made it unlistable; `close` puts it back. */
    private readonly parentMode: number,
    /** The kept checkout as it was set aside: any change to it since is a gate's (tree-stamp.ts). */
    private readonly stamp: TreeStamp,
  ) {
    this.kept = kept;
  }

  /**
   * Sets the checkout at `dir` aside as it is now (right after setup), for `uses` gates (or verify
   * commands). Throws when it cannot.
   */
  static keep(dir: string, uses: number): GateTrees {
    if (!lstatSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
    const parent = dirname(dir);
    const parentMode = lstatSync(parent).mode & 0o7777;
    // Entries reached by name only: a gate cannot list its checkout's parent to find the kept one.
    chmodSync(parent, 0o300);
    const kept = join(parent, `.kept-${basename(dir)}-${randomBytes(12).toString('hex')}`);
    let stamp: TreeStamp;
    try {
      renameSync(dir, kept);
      stamp = stampTree(kept, parent);
    } catch (error) {
      chmodSync(parent, parentMode);
      throw error;
    }
    return new GateTrees(dir, kept, uses, parentMode, stamp);
  }

  /**
   * Runs `fn` with `dir` holding a copy of the kept checkout (the kept checkout itself for the
   * last of the `uses`). Whatever an earlier use left at `dir` is removed first.
   */
  async use<T>(fn: (dir: string) => Promise<T>): Promise<T> {
    this.uses--;
    await this.place(this.uses <= 0);
    return fn(this.dir);
  }

  private async place(last: boolean): Promise<void> {
    const kept = this.kept;
    if (!kept) throw new Error('the checkout as setup left it was already given to the last gate');
    this.discard();
    if (last) {
      this.assertUnchanged(kept);
      renameSync(kept, this.dir);
      this.kept = undefined;
      return;
    }
    // -a: modes, timestamps (a .pyc stays valid for its source), symlinks as links, hard links
    // within the tree as hard links within the copy (never into the kept tree).
    // Not spawnSync: on the host this is the loop's own process, and a large node_modules takes
    // seconds to copy where the filesystem has no clones.
    const failure = await new Promise<string | null>((resolve) =>
      execFile('cp', ['-a', '--reflink=auto', '-T', '--', kept, this.dir], { encoding: 'utf8', maxBuffer: 1 << 20 }, (error, _stdout, stderr) =>
        resolve(error ? `${error.message.split('\n')[0]}: ${String(stderr).trim().slice(-400)}` : null),
      ),
    );
    if (failure !== null) {
      this.discard();
      throw new Error(`cp -a failed (${failure})`);
    }
    // After the copy: a change made while it was copied is seen too.
    this.assertUnchanged(kept);
  }

  /** Throws when the kept checkout is no longer as setup left it (an earlier gate wrote into it). */
  private assertUnchanged(kept: string): void {
    const change = treeChange(kept, this.stamp);
    if (change === null) return;
    this.discard();
    throw new Error(`the checkout set aside after setup was changed by an earlier gate: ${change}`);
  }

  /**
   * What an earlier gate left at `dir` goes. Renamed away first (that needs only the parent), so
   * the next copy always lands on an empty path even when a gate left a directory it made
   * unremovable; what is left of it goes with the parent (the caller's checkout).
   */
  private discard(): void {
    if (!lstatSync(this.dir, { throwIfNoEntry: false })) return;
    const old = join(dirname(this.dir), `.used-${this.trash++}-${randomBytes(8).toString('hex')}`);
    renameSync(this.dir, old);
    try {
      removeTree(old);
    } catch {}
  }

  /**
   * Removes the kept checkout if no gate took it and makes the parent listable again (the caller
   * removes it); the tree at `dir` stays for the caller.
   */
  close(): void {
    try {
      chmodSync(dirname(this.dir), this.parentMode);
    } catch {}
    if (!this.kept) return;
    try {
      removeTree(this.kept);
    } catch {}
    this.kept = undefined;
  }
}
