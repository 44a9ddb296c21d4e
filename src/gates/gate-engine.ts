/**
 * Runs hard goals: each goal's command on a clean checkout, judged by its pass_when expression.
 * Given the checkout as `setup` left it (`trees`, gate-trees.ts), as the loop's probes and `peers
 * verify` do, each goal runs on its own copy of it, one at a time; else (one-off callers, tests)
 * they share `checkoutDir`, up to `jobs` at once. Results come back in file order.
 * Remembered passes (gate-cache.ts) are the loop's business, not the engine's: whatever runs the
 * gates never sees the cache.
 */
import { realpathSync } from 'node:fs';
import type { HardGoal } from '../config/goals-schema.ts';
import { isPeersCheckGate, runsNoPeerCode } from '../protocol/peers-check-gate.ts';
import { signalExitCode, supervise, type SupervisedResult } from '../proc/supervise.ts';
import { compilePassWhen, pyRepr, type CompiledPassWhen } from '../pass-when/index.ts';
import { withScratchEnv } from './gate-env.ts';
import { GateTrees } from './gate-trees.ts';
import { failureExcerpt } from './output-excerpt.ts';
import { testsNamedIn } from '../protocol/test-names.ts';
import { testsRunIn, type TestsRun } from '../protocol/tests-run.ts';
import { bashOptionNote, egressRefusalNote, missingProgram, missingProgramNote, missingPythonModule, missingPythonModuleNote, PASS_WHEN_FALSE } from './missing-program.ts';

export type GateResult = {
  id: string;
  state: 'pass' | 'fail';
  durationMs: number;
  diagnostic: string;
  cached: boolean;
  exitCode: number | null;
  /** A failed run's output, head and tail of each stream (output-excerpt.ts); what `peers verify` shows. */
  excerpt?: string;
  /** How many tests the run ran, per runner summary found in its output (src/protocol/tests-run.ts). */
  testsRun?: TestsRun;
};

export type EvaluateGatesOptions = {
  goals: HardGoal[];
  checkoutDir: string;
  /**
   * The checkout as `setup` left it, set aside (GateTrees.keep of `checkoutDir`): every goal then
   * runs on a copy of its own at `checkoutDir`, one at a time, so none sees what another wrote
   * (SECURITY.md, "Each gate starts from the state right after setup"). `jobs` is unused then.
   */
  trees?: GateTrees;
  /**
   * With `trees`, run before every gate after the first: the pod's gates runner kills what the
   * gate before left running (a `setsid` daemon could write into the next gate's copy, at the same
   * path). A throw fails the gate unrun.
   */
  betweenGates?: () => void;
  head: string;
  defaultTimeoutS: number;
  jobs?: number;
  ids?: string[];
  env?: Record<string, string>;
  /** Called as each goal finishes (completion order), for progress display. */
  onResult?: (result: GateResult) => void;
  /** Stops running gates (SIGTERM, grace, SIGKILL to their groups); goals not yet started fail as not run. */
  signal?: AbortSignal;
};

export const GATE_OUTPUT_CAP = 2 * 1024 * 1024;
/** The baseline waited 1 s between SIGTERM and SIGKILL for gates; a test runner needs a little more to clean up. */
export const GATE_KILL_GRACE_MS = 2000;
const TAIL_CHARS = 1000;

/**
 * Peers' own checks run first, all of them finished before any other gate starts: where the gates
 * share the checkout (no `trees`), a gate that runs the peers' code could rewrite what a check
 * reads there, its `.git` included (src/protocol/peers-check-gate.ts). Results keep the goals' order.
 */
export async function evaluateGates(opts: EvaluateGatesOptions): Promise<GateResult[]> {
  const goals = opts.ids ? opts.goals.filter((g) => opts.ids!.includes(g.id)) : opts.goals;
  // `peers` on PATH is each run's own (gate-env.ts).
  const env = opts.env ?? (process.env as Record<string, string>);
  const ordered = [...goals.filter(isPeersCheckGate), ...goals.filter((g) => !isPeersCheckGate(g))];
  const notRun = (goal: HardGoal, why: string): GateResult => ({ id: goal.id, state: 'fail', durationMs: 0, cached: false, exitCode: null, diagnostic: `not run: ${why}` });
  const run = async (goal: HardGoal): Promise<GateResult> => {
    let result: GateResult;
    if (opts.signal?.aborted) result = notRun(goal, 'interrupted');
    else if (!opts.trees) result = await runGoal(goal, opts.checkoutDir, env, goal.timeout_s ?? opts.defaultTimeoutS, opts.signal);
    else result = await runOnOwnCopy(goal, opts.trees, goal === ordered[0] ? undefined : opts.betweenGates, (dir) => runGoal(goal, dir, env, goal.timeout_s ?? opts.defaultTimeoutS, opts.signal));
    opts.onResult?.(result);
    return result;
  };
  const byGoal = new Map<HardGoal, GateResult>();
  if (opts.trees) {
    for (const g of ordered) byGoal.set(g, await run(g));
  } else {
    const jobs = Math.max(1, opts.jobs ?? 1);
    for (const phase of [ordered.filter(isPeersCheckGate), ordered.filter((g) => !isPeersCheckGate(g))]) {
      const results = await mapLimited(phase, jobs, run);
      phase.forEach((g, i) => byGoal.set(g, results[i]!));
    }
  }
  return goals.map((g) => byGoal.get(g)!);
}

/**
 * The gates of one probe, each starting from the checkout as setup left it (SECURITY.md, "Each gate
 * starts from the state right after setup"): the loop's probe on the host
 * (src/loop/shell/gate-probe.ts), the gates container's (sandbox/gates-remote.ts) and `peers
 * verify`'s retries. Peers' own checks that run no project code (`runsNoPeerCode`) cannot change
 * the checkout: they run first, side by side (`jobs`), on the checkout itself. Every other gate
 * then gets a copy of its own, one at a time (gate-trees.ts); the last one, or a lone one, the
 * checkout itself. A checkout that cannot be set aside fails every gate that needed it (fail closed).
 */
export async function evaluateIsolated(opts: Omit<EvaluateGatesOptions, 'trees'>): Promise<GateResult[]> {
  const goals = opts.ids ? opts.goals.filter((g) => opts.ids!.includes(g.id)) : opts.goals;
  const shared = goals.filter(runsNoPeerCode);
  const rest = goals.filter((g) => !runsNoPeerCode(g));
  const byId = new Map<string, GateResult>();
  const record = (rs: GateResult[]) => rs.forEach((r) => byId.set(r.id, r));
  if (shared.length) record(await evaluateGates({ ...opts, goals: shared, ids: undefined }));
  if (rest.length <= 1) record(await evaluateGates({ ...opts, goals: rest, ids: undefined }));
  else {
    let trees: GateTrees | undefined;
    try {
      trees = GateTrees.keep(opts.checkoutDir, rest.length);
    } catch (error) {
      const why = `not run: could not set the checkout aside as setup left it: ${(error as Error).message}`;
      record(rest.map((g) => ({ id: g.id, state: 'fail', durationMs: 0, cached: false, exitCode: null, diagnostic: why })));
    }
    if (trees) {
      try {
        record(await evaluateGates({ ...opts, goals: rest, ids: undefined, trees }));
      } finally {
        trees.close();
      }
    }
  }
  return goals.map((g) => byId.get(g.id)!);
}

/** Fail closed: a gate that cannot start clean (its own copy, nothing left running) does not run at all. */
async function runOnOwnCopy(goal: HardGoal, trees: GateTrees, betweenGates: (() => void) | undefined, run: (dir: string) => Promise<GateResult>): Promise<GateResult> {
  const notRun = (why: string): GateResult => ({ id: goal.id, state: 'fail', durationMs: 0, cached: false, exitCode: null, diagnostic: `not run: ${why}` });
  try {
    betweenGates?.();
  } catch (error) {
    return notRun(`what the gate before it left running could not be stopped: ${(error as Error).message}`);
  }
  try {
    return await trees.use(run);
  } catch (error) {
    return notRun(`could not give it its own copy of the checkout as setup left it: ${(error as Error).message}`);
  }
}


/**
 * One run of the goal. Its retries (`retry_on_fail`) are not the engine's: each runs on a fresh
 * checkout, never in the one this run leaves (fresh-retries.ts).
 */
async function runGoal(goal: HardGoal, cwd: string, env: Record<string, string>, timeoutS: number, signal?: AbortSignal): Promise<GateResult> {
  let compiled: CompiledPassWhen;
  try {
    compiled = compilePassWhen(goal.pass_when);
  } catch (error) {
    return { id: goal.id, state: 'fail', durationMs: 0, cached: false, exitCode: null, diagnostic: `pass_when error: ${(error as Error).message}` };
  }
  return runOnce(goal, compiled, cwd, env, timeoutS, signal);
}

async function runOnce(goal: HardGoal, passWhen: CompiledPassWhen, cwd: string, env: Record<string, string>, timeoutS: number, signal?: AbortSignal): Promise<GateResult> {
  // Every run gets its own HOME, TMPDIR and XDG dirs (gate-env.ts): nothing a gate leaves there
  // reaches the next one.
  const run = await withScratchEnv(env, {}, (runEnv) =>
    supervise({
      argv: ['/bin/sh', '-c', goal.cmd],
      cwd,
      env: runEnv,
      absoluteTimeoutMs: timeoutS * 1000,
      killGraceMs: GATE_KILL_GRACE_MS,
      maxStreamBytes: GATE_OUTPUT_CAP,
      // A daemon the gate leaves (`setsid`) dies with its run: on the host it could otherwise
      // commit in a peer's turn or write into the next gate's tree (marked-leftovers.ts).
      stopLeftovers: true,
      signal,
    }),
  );
  const exitCode = run.exitCode ?? signalExitCode(run.signal);
  // What is shown of the output names the checkout's files from the repository's top: the checkout
  // (in a run, /checkouts/… inside the pod) is gone when the user reads it. pass_when reads it as printed.
  const shown = fromRepositoryTop(run, cwd);
  const excerpt = failureExcerpt(shown.stdout, shown.stderr);
  // The excerpt belongs to failures only: a pass drops it below.
  // The summaries' counts and each test the run named: a total made whole by a test that was not there still misses one.
  const counted = { ...testsRunIn(run.stdout, run.stderr), ...testsNamedIn(run.stdout, run.stderr) };
  const testsRun = Object.keys(counted).length ? { testsRun: counted } : {};
  const base = { id: goal.id, durationMs: run.durationMs, cached: false, exitCode, ...testsRun, ...(excerpt ? { excerpt } : {}) };
  if (run.endedBy === 'absolute-timeout') return { ...base, state: 'fail', diagnostic: `timeout after ${timeoutS}s${tails(shown)}` };
  if (run.endedBy === 'aborted') return { ...base, state: 'fail', diagnostic: `interrupted${tails(shown)}` };
  if (run.endedBy === 'spawn-error') return { ...base, state: 'fail', diagnostic: `could not start /bin/sh: ${run.spawnError}` };
  try {
    const ok = passWhen.evaluate({ exit_code: exitCode ?? -1, stdout: run.stdout, stderr: run.stderr, cwd });
    if (ok) return { id: base.id, durationMs: base.durationMs, cached: false, exitCode, ...testsRun, state: 'pass', diagnostic: '' };
    const missing = missingProgram(exitCode, run.stderr);
    const output = `${run.stdout.slice(-TAIL_CHARS * 4)}\n${run.stderr.slice(-TAIL_CHARS * 4)}`;
    const module = missing ? undefined : missingPythonModule(exitCode, output);
    const refused = egressRefusalNote(output);
    const bash = missing ? undefined : bashOptionNote(run.stderr);
    const why = missing ? `${missingProgramNote(missing)}; ` : bash ? `${bash}; ` : module ? `${missingPythonModuleNote(module)}; ` : refused ? `${refused}; ` : '';
    return { ...base, state: 'fail', diagnostic: `${why}${PASS_WHEN_FALSE}; exit_code=${exitCode}${tails(shown)}` };
  } catch (error) {
    return { ...base, state: 'fail', diagnostic: `pass_when error: ${(error as Error).message}; exit_code=${exitCode}${tails(shown)}` };
  }
}

/** A run's two streams with the checkout directory's own paths (as given, and as resolved) made relative to it. */
export function fromRepositoryTop(run: Pick<SupervisedResult, 'stdout' | 'stderr'>, checkout: string): { stdout: string; stderr: string } {
  let real = checkout;
  try {
    real = realpathSync(checkout);
  } catch {
    // Gone already: only the path as given can be in the output.
  }
  const dirs = [...new Set([checkout, real])].map((dir) => `${dir.replace(/\/+$/, '')}/`);
  const relative = (text: string) => dirs.reduce((t, dir) => t.split(dir).join(''), text);
  return { stdout: relative(run.stdout), stderr: relative(run.stderr) };
}

/** The end of each non-empty stream, quoted so control characters cannot garble a report. */
function tails(run: Pick<SupervisedResult, 'stdout' | 'stderr'>): string {
  let out = '';
  if (run.stdout) out += `; stdout-tail=${pyRepr(run.stdout.slice(-TAIL_CHARS))}`;
  if (run.stderr) out += `; stderr-tail=${pyRepr(run.stderr.slice(-TAIL_CHARS))}`;
  return out;
}

/** Like Promise.all(items.map(fn)) with at most `limit` in flight; results keep the input order. */
export async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
