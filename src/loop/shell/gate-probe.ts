/**
 * Hard gates for the loop: evaluated on a clean checkout of the committed HEAD from the trusted
 * mirror (the loop's one reused checkout, gate-checkout.ts) (never the peers' working tree), at most once per HEAD — the result is recorded in
 * state.json with the HEAD it belongs to, and the loop's gate cache makes cacheable gates free
 * across HEADs. The project's `setup` command (e.g. `npm ci`) runs in that checkout first, because
 * a fresh checkout has none of the gate dependencies; if it fails, every gate fails and says why.
 * Setup and every gate get a fresh HOME/TMPDIR/XDG (gate-env.ts); only setup gets the dependency
 * cache.
 */
import { setupFailedDiagnostic } from '../../gates/not-run.ts';
import type { HardGoal } from '../../config/goals-schema.ts';
import { evaluateIsolated, fromRepositoryTop, GATE_KILL_GRACE_MS, GATE_OUTPUT_CAP } from '../../gates/gate-engine.ts';
import { type CheckoutUse, withCleanCheckout } from '../../gates/clean-checkout.ts';
import { resealAfterSetup } from '../../gates/checkout-git-dir.ts';
import type { GateCheckout } from '../../gates/gate-checkout.ts';
import { withScratchEnv } from '../../gates/gate-env.ts';
import { bashOptionNote, egressRefusalNote, missingProgram, missingProgramNote } from '../../gates/missing-program.ts';
import { RUN_BASELINE_ENV } from '../../protocol/run-baseline.ts';
import { supervise } from '../../proc/supervise.ts';
import type { GateInput } from '../tick.ts';

export type GateProbeOptions = {
  /** The trusted mirror the checkout comes from. */
  repo: string;
  head: string;
  goals: HardGoal[];
  timeoutS: number;
  jobs: number;
  /** The host loop's dependency cache for `setup` (the pod's lives in its setup container). */
  depCache?: string;
  /** `config.setup`: installs gate dependencies in the checkout before any gate runs. */
  setup?: string;
  env?: Record<string, string>;
  /**
   * The run's baseline commit (state.json): every gate gets it as PEERS_RUN_BASELINE, so
   * `peers check` inside a gate never trusts the movable peers-baseline tag (run-baseline.ts).
   */
  runBaseline?: string;
  /** Stop request: running gates are killed; the caller must not record the partial results. */
  signal?: AbortSignal;
};

/** Installing dependencies can take far longer than one gate (same bound as `peers verify`). */
export const SETUP_TIMEOUT_S = 1800;
const TAIL_CHARS = 400;

/** Evaluates the hard gates for one HEAD (swappable: the pod runs them in its gates container). */
export type GateProbe = (o: GateProbeOptions) => Promise<GateInput[]>;

/** A throwaway checkout per call (tests, one-off probes). */
export function probeGates(o: GateProbeOptions): Promise<GateInput[]> {
  return probeIn(withCleanCheckout, o);
}

/** The loop's probe: every run in the one reused checkout (gate-checkout.ts). */
export function probeGatesIn(checkout: GateCheckout): GateProbe {
  return (o) => probeIn((source, sha, fn) => checkout.use(source, sha, fn), o);
}

type Checkout = <T>(source: string, sha: string, fn: CheckoutUse<T>) => Promise<T>;

async function probeIn(checkout: Checkout, o: GateProbeOptions): Promise<GateInput[]> {
  if (o.goals.length === 0) return [];
  const results = await checkout(o.repo, o.head, async (dir, reseal) => {
    if (o.setup) {
      const failure = (await runSetup(o.setup, dir, o.env, o.signal, o.depCache)) ?? resealAfterSetup(reseal);
      if (failure !== null) return setupFailedResults(o.goals, o.setup, failure);
    }
    return evaluateIsolated({ goals: o.goals, checkoutDir: dir, head: o.head, defaultTimeoutS: o.timeoutS, jobs: o.jobs, env: withRunBaseline(o.env ?? (process.env as Record<string, string>), o.runBaseline), signal: o.signal });
  });
  return results.map((r) => ({ id: r.id, state: r.state, durationMs: r.durationMs, diagnostic: r.diagnostic, cached: r.cached, ...(r.testsRun ? { testsRun: r.testsRun } : {}) }));
}

/** The gates' environment with the run's baseline (when there is one) as PEERS_RUN_BASELINE. */
export function withRunBaseline(env: Record<string, string>, runBaseline: string | undefined): Record<string, string> {
  return runBaseline ? { ...env, [RUN_BASELINE_ENV]: runBaseline } : env;
}

/** Every goal failed because `setup` did (shared with the gates container's probe). */
export function setupFailedResults(goals: HardGoal[], setup: string, failure: string): GateInput[] {
  return goals.map((g) => ({ id: g.id, state: 'fail' as const, durationMs: 0, diagnostic: setupFailedDiagnostic(setup, failure), cached: false }));
}

/** Runs the setup command in the checkout; null when it succeeded, else a one-line diagnostic. */
export async function runSetup(cmd: string, dir: string, env: Record<string, string> | undefined, signal?: AbortSignal, depCache?: string): Promise<string | null> {
  const base = env ?? (process.env as Record<string, string>);
  const run = await withScratchEnv(base, { depCache }, (setupEnv) =>
    supervise({
      argv: ['/bin/sh', '-c', cmd],
      cwd: dir,
      env: setupEnv,
      absoluteTimeoutMs: SETUP_TIMEOUT_S * 1000,
      killGraceMs: GATE_KILL_GRACE_MS,
      maxStreamBytes: GATE_OUTPUT_CAP,
      // What an install script leaves running dies with setup (marked-leftovers.ts), as in the pod.
      stopLeftovers: true,
      signal,
    }),
  );
  // Some tools say why only on stdout (`python3 -m venv` without ensurepip): with nothing on
  // stderr the end of stdout is the reason.
  const shown = fromRepositoryTop(run, dir);
  const tail = shown.stderr.trim() ? `; stderr: ${shown.stderr.trim().slice(-TAIL_CHARS)}` : shown.stdout.trim() ? `; stdout: ${shown.stdout.trim().slice(-TAIL_CHARS)}` : '';
  if (run.endedBy === 'exit' && run.exitCode === 0) return null;
  if (run.endedBy === 'absolute-timeout') return `timeout after ${SETUP_TIMEOUT_S}s${tail}`;
  if (run.endedBy === 'aborted') return `interrupted${tail}`;
  if (run.endedBy === 'spawn-error') return `could not start /bin/sh: ${run.spawnError}`;
  const missing = missingProgram(run.exitCode, run.stderr);
  const refused = egressRefusalNote(`${run.stdout.slice(-TAIL_CHARS * 4)}\n${run.stderr.slice(-TAIL_CHARS * 4)}`);
  const bash = missing ? undefined : bashOptionNote(run.stderr);
  const why = missing ? `${missingProgramNote(missing, 'setup')}; ` : bash ? `${bash}; ` : refused ? `${refused}; ` : '';
  return `${why}exit=${run.exitCode ?? run.signal}${tail}`;
}
