/**
 * What a `peers up` is asked (UpOptions) and what it answers (UpResult), the project it names, and
 * which of its flags only a starting loop can take (sandbox/up.ts; the k8s driver takes the same).
 */
import { isAbsolute } from 'node:path';
import type { ArchivedRun } from '../src/state/run-archive.ts';
import type { UpDecision } from '../src/loop/up-decision.ts';
import type { RuntimeChange } from '../src/loop/runtime-change.ts';
import type { PublishResult } from './publish-branch.ts';
import type { PodPlanOptions } from './pod-plan.ts';
import { resolveProjectTarget } from './registry.ts';
import type { KeepPlan } from './keep-previous-results.ts';

export type UpOptions = Omit<PodPlanOptions, 'modelServerDir'> & {
  target: string;
  progress: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Adopt a `.peers/` that changed since the last run's snapshot (refused with the diff otherwise). */
  acceptChanges?: boolean;
  /** Prepare the run (snapshot, fingerprint, clone, branch) and stop before podman (benchmarks, inspection). */
  cloneOnly?: boolean;
  /** Called with the run clone's path before any container starts (the demo puts the CLIs' homes there). */
  prepareClone?: (cloneDir: string) => void;
  /** Archive the old run and start a new one from the user's HEAD. */
  fresh?: boolean;
  /** `--max-runtime`: a new runtime cap or an extension of the current one; applies to a running run too. */
  maxRuntime?: RuntimeChange;
  /** `--rehearse SCENARIO.yaml`: the scripted model server is the only upstream. */
  rehearse?: string;
  /** The demo's model server dir (scenario.yaml), with upstream 'model-server'. */
  modelServerDir?: string;
};

export type UpResult = {
  name: string;
  project: string;
  pod: string;
  alreadyRunning: boolean;
  stateDir: string;
  seconds: number;
  clone?: string;
  results?: PublishResult;
  /** What `up` decided (see src/loop/up-decision.ts). */
  decision?: UpDecision['kind'];
  /** A finished run: why it stopped, what would continue it, and the exit code (as the run's own). */
  finished?: { stop: string; why: string; next: string[]; exitCode: number };
  /** --fresh: where the old run went. */
  archived?: ArchivedRun | null;
  previousResults?: { branch: string; sha: string } | null;
  /** --fresh: the old results kept as a branch of their own, or why not (sandbox/keep-previous-results.ts). */
  keptResults?: KeepPlan;
  /** Lines worth saying (peers that sit out, the runtime cap changed, …). */
  notes: string[];
  /** A running run's containers that had stopped and were started again. */
  repaired?: string[];
};

/**
 * The project of an `up` or `down`: the absolute path its command resolved (commands/project-target.ts),
 * or a registered name. Never the process's working directory: the command was handed its own.
 */
export function resolveProjectDir(target: string, env: NodeJS.ProcessEnv): string {
  if (!isAbsolute(target) && target.includes('/')) throw new Error(`resolveProjectDir: ${target} is not an absolute path`);
  return resolveProjectTarget(target, env, '/');
}

/** The flags of this `up` that only a starting loop can take (refused on a running run). */
export function startOnlyFlags(o: UpOptions): string[] {
  const f: string[] = [];
  for (const p of o.resetPeers ?? []) f.push(`--reset-peer ${p}`);
  if (o.noSkeptic) f.push('--no-skeptic');
  if (o.noRecon) f.push('--no-recon');
  if (o.noCodemap) f.push('--no-codemap');
  if (o.maxTicks) f.push(`--max-ticks ${o.maxTicks}`);
  if (o.maxUsd !== undefined) f.push(`--max-usd ${o.maxUsd}`);
  for (const a of o.allow) f.push(`--allow ${a}`);
  if (o.acceptChanges) f.push('--accept-changes');
  // --rehearse and --credentials say which kind of run this is, not a change to it: a running run
  // of the other kind is refused as such (refuseOtherMode), one of this kind simply goes on.
  return f;
}
