/**
 * Code the gates run and no reviewer reads, at a HEAD of the run: files the run's commits put under
 * `.peers/` (committed-control-plane.ts) and symlinks out of the repository (escaping-symlinks.ts).
 * Both are read from one `git diff --raw` of `baseline..head` in the trusted mirror, and kept for
 * the last few HEADs: the turn's report (control-plane-watch.ts) and convergence
 * (convergence-facts.ts) ask at the same HEAD in one tick, and the next turn's report compares
 * with this one's (BENCHMARKS.md, "Loop processes per tick").
 */
import { committedControlPlaneIn, type CommittedControlPlane } from '../../protocol/committed-control-plane.ts';
import { escapingSymlinksIn, type EscapingSymlinks } from '../../protocol/escaping-symlinks.ts';
import { treeChanges } from '../../git/tree-changes.ts';

export type UnreadCode = { control: CommittedControlPlane; links: EscapingSymlinks };

/** The HEAD before a turn and after it, and one spare (a baseline moved by a reset). */
const KEPT = 3;

export class UnreadCodeReader {
  private readonly kept = new Map<string, UnreadCode>();

  constructor(
    private readonly mirror: string,
    /** The loop's snapshot of `.peers/` (what it enforces); files equal to it never hold. */
    private readonly snapshotDir: string,
  ) {}

  /** What `baseline..head` committed that no reviewer reads (every file of `head` without a baseline). */
  at(baseline: string | undefined, head: string): UnreadCode {
    const key = `${baseline ?? ''}..${head}`;
    const known = this.kept.get(key);
    if (known) return known;
    const read = treeChanges(this.mirror, baseline, head);
    const found: UnreadCode = { control: committedControlPlaneIn(this.mirror, read, this.snapshotDir), links: escapingSymlinksIn(this.mirror, read) };
    // An answer that could not be read is read again next time: the mirror may read it then.
    if (read.ok) {
      this.kept.set(key, found);
      if (this.kept.size > KEPT) this.kept.delete(this.kept.keys().next().value!);
    }
    return found;
  }

  /**
   * The escaping links at `after` that were not at `before` (both against `baseline`): what a turn
   * from `before` to `after` added or repointed out of the tree. `ok: false` when `after` cannot be
   * read; when only `before` cannot, every link at `after` is new (told twice rather than never).
   */
  linksAdded(baseline: string | undefined, before: string, after: string): EscapingSymlinks {
    const now = this.at(baseline, after).links;
    if (!now.ok) return now;
    const then = this.at(baseline, before).links;
    // By path and target as data: `a -> b` to `../x` and `a` to `b -> ../x` read alike as text.
    const key = (l: { path: string; target: string }) => JSON.stringify([l.path, l.target]);
    const old = new Set(then.ok ? then.found.map(key) : []);
    const found = now.found.filter((l) => !old.has(key(l)));
    return { ok: true, links: found.map((l) => `${l.path} -> ${l.target}`), found };
  }
}
