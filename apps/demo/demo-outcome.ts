/** What `peers demo` reports when it ends (its --json document): the run, its spend against what the model server served, and where to look next. */
import type { UsageTotals } from '../../src/model-server/served-log.ts';
import type { ProgressEvent } from './progress.ts';

export type DemoTick = Extract<ProgressEvent, { kind: 'tick' }>;

export type DemoOutcome = {
  ok: boolean;
  launcher: 'pod' | 'host';
  sandboxed: boolean;
  notice: string | null;
  stop_reason: string | null;
  loop_exit_code: number | null;
  project: string;
  state_dir: string;
  kept: boolean;
  ticks: DemoTick[];
  /** The loop's accounting (state.json) next to what the model server served. */
  tokens: { loop: number; served: number };
  usd: { loop: number; served: number };
  served: Record<string, UsageTotals>;
  report: string;
  next_steps: string[];
  loop_output_tail?: string;
  /** Set when root handed the run to this unprivileged user (root-handoff.ts). */
  run_as?: string;
  /** The branch holding the peers' commits (pod runs; on the host they are on the project's HEAD). */
  results_branch?: string;
};
