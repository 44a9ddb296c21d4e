/**
 * The loop's handle on the trusted mirror of one run: where it is, and how to bring the peers'
 * repository's HEAD into it (observer.ts). Every git READ of the loop goes to `mirror`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { memoizeReadsOf, OBSERVER_MARKER } from './git.ts';
import { pinAlternates } from './pinned-alternates.ts';
import { BASELINE_TAG, importRefViaStage, initObserverRepo, observedHead, syncMirror, type SyncResult } from './observer.ts';

export type RunObserverOptions = {
  /** The peers' repository as this process sees it (the run clone; on the host loop, the repo). */
  workDir: string;
  mirror: string;
  stage: string;
  /** Only a user's repository may be a `git worktree` or borrow objects; never the run clone. */
  lenient: boolean;
};

export class RunObserver {
  readonly mirror: string;
  /** What the mirror's head was after our last sync: this process is its only writer. */
  private known: string | null = null;

  constructor(private readonly o: RunObserverOptions) {
    this.mirror = o.mirror;
    if (!existsSync(join(o.mirror, OBSERVER_MARKER))) {
      mkdirSync(dirname(o.mirror), { recursive: true, mode: 0o700 });
      initObserverRepo(o.mirror);
      // The host loop's repository is the user's: its baseline tag, taken before any turn of this
      // run. (`peers up` imports it from the user's repository for the pod.)
      if (o.lenient) {
        try {
          importRefViaStage(o, BASELINE_TAG);
        } catch {}
      }
    }
    // The alternates a user's repository has now, before any turn: the only ones a sync follows.
    if (o.lenient) pinAlternates(o.stage, o.workDir, true);
    memoizeReadsOf(o.mirror);
  }

  /** Imports the peers' HEAD; throws ObserverError when it cannot (the mirror keeps its last head). */
  sync(): SyncResult {
    const r = syncMirror({ mirror: this.o.mirror, stage: this.o.stage, workDir: this.o.workDir, allowGitFile: this.o.lenient, allowAlternates: this.o.lenient, known: this.known });
    if (r.head) this.known = r.head;
    return r;
  }

  /**
   * The mirror's head. Only this object moves it (sync), so after a sync it is known without
   * asking git: the loop reads HEAD once per tick (BENCHMARKS.md, "Loop processes per tick").
   */
  head(): string | null {
    if (this.known === null) this.known = observedHead(this.o.mirror);
    return this.known;
  }
}
