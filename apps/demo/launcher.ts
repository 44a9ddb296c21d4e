/**
 * Where the demo's run happens. Two implementations behind one small interface: the sandbox pod
 * (pod-launcher.ts, the product's real topology) and the host (host-launcher.ts, the fallback
 * when podman or the workspace image is missing). run-demo.ts picks one and never needs to
 * know which it got.
 */
import type { UsageTotals } from '../../src/model-server/served-log.ts';
import type { DemoPeer } from './demo-config.ts';
import type { ProgressEvent } from './progress.ts';

/** Every path of one demo run, all under `root`. */
export type DemoLayout = {
  root: string;
  /** The sample project (a git repository). */
  project: string;
  /** The loop's state directory on the host (runs.jsonl, state.json, logs, REPORT.md); the pod
   *  launcher uses the project's default one instead, so `peers status` finds it without flags. */
  state: string;
  /** HOME of the loop process and of each peer CLI: outside the repository, so the CLIs'
   *  session files never show up as uncommitted changes. */
  homes: { loop: string } & Record<DemoPeer, string>;
};

export type DemoContext = {
  layout: DemoLayout;
  progress: (e: ProgressEvent) => void;
  /** One-line notes for the user (e.g. which user runs the peers). */
  note: (line: string) => void;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
};

export type DemoRunResult = {
  /** Where the loop kept its state (the pod uses the project's default state directory). */
  stateDir: string;
  /** The loop's exit code and stop reason (last-stop-reason.txt). */
  loopExitCode: number | null;
  stopReason: string | null;
  /** What the model server served, per scenario peer: the ground truth for the token totals. */
  served: Record<string, UsageTotals>;
  /** The loop's own output, for diagnosing a run that did not complete. */
  loopOutputTail: string;
  /** In the pod the peers work on a run clone: their commits come back as this branch. */
  resultsBranch?: string;
};

export interface DemoLauncher {
  readonly kind: 'pod' | 'host';
  /** null when this launcher can run here; otherwise why not, in one line, with the fix. */
  unavailableReason(): Promise<string | null>;
  /** Writes the sample project, starts the model server and runs the loop to its end. */
  run(ctx: DemoContext): Promise<DemoRunResult>;
  /** Removes what the run left outside `layout.root` (run-demo removes the root itself). */
  discard(layout: DemoLayout, stateDir: string): Promise<void>;
}
