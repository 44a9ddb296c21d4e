/**
 * `peers verify`: the acceptance check a human runs. Every hard goal once, plus the extra
 * `verify.commands`, against the committed HEAD in a throwaway checkout, never the working tree,
 * so what passes here is exactly what was committed. Each gate and command starts from that
 * checkout as `setup` left it (gate-trees.ts), one at a time.
 */
import { basename, join } from 'node:path';
import type { PeersConfig } from '../config/config-schema.ts';
import { hardGoals, type GoalsFile, type HardGoal } from '../config/goals-schema.ts';
import { InputError } from '../cli/errors.ts';
import { noHardGoalWarning } from '../config/unmeasured-goals.ts';
import { findWorkTreeRoot, readHead, resolveRepoLayout } from '../git/repo-layout.ts';
import { supervise } from '../proc/supervise.ts';
import { withCleanCheckout } from './clean-checkout.ts';
import { resealAfterSetup } from './checkout-git-dir.ts';
import { retryOnFreshCheckouts } from './fresh-retries.ts';
import { evaluateGates, evaluateIsolated, GATE_KILL_GRACE_MS, GATE_OUTPUT_CAP, type GateResult } from './gate-engine.ts';
import { GateTrees } from './gate-trees.ts';
import { runsNoPeerCode } from '../protocol/peers-check-gate.ts';
import { failureExcerpt } from './output-excerpt.ts';
import { bashOptionNote, missingProgram, missingProgramNote } from './missing-program.ts';
import { submoduleFailureNote, submodulePaths } from './submodule-note.ts';
import { noexecCheckoutNote } from '../fs/noexec-mount.ts';
import { readTextIfExists } from '../fs/safe-read.ts';
import { pyRepr } from '../pass-when/index.ts';

export type VerifyRow = {
  id: string;
  state: 'pass' | 'fail';
  durationMs: number;
  diagnostic: string;
  /** The command that ran (setup and verify commands; hard goals carry theirs in goals.yaml). */
  cmd?: string;
  /** A failure's output, head and tail of each stream (output-excerpt.ts). */
  excerpt?: string;
};
export type VerifyReport = {
  project: string;
  head: string;
  ok: boolean;
  setup?: VerifyRow;
  hard: (GateResult & { cmd?: string })[];
  commands: VerifyRow[];
  finishedAt: string;
  /** Wall time of the whole verify (setup and gates, run `jobs` at a time): what one tick's gates cost. */
  durationMs: number;
  /** Why a failure may differ from the user's working tree (submodules empty in the checkout). */
  notes: string[];
};

/** Installing dependencies (`npm ci`) can take far longer than one test suite. */
const SETUP_TIMEOUT_S = 1800;
const STDERR_TAIL_CHARS = 400;

export type VerifyProgress = (event: { kind: 'setup' | 'hard' | 'verify'; phase: 'start' | 'done'; id: string; state?: 'pass' | 'fail'; durationMs?: number }) => void;

export async function runVerify(opts: {
  repo: string;
  config: PeersConfig;
  goals: GoalsFile;
  jobs?: number;
  env?: Record<string, string>;
  progress?: VerifyProgress;
  /** Stops every running command (and what it started) so the checkout can be removed. */
  signal?: AbortSignal;
}): Promise<VerifyReport> {
  // Read without git: the repository's configuration is never honoured (docs/ARCHITECTURE.md,
  // "The trusted observer"); the checkout comes from a read-only view of it.
  if (!findWorkTreeRoot(opts.repo)) throw new InputError(`${opts.repo} is not a git repository; verify judges the committed HEAD`, { hint: 'run `git init` and commit, then `peers init`' });
  const head = readHead(resolveRepoLayout(opts.repo, { allowGitFile: true })).sha;
  const progress = opts.progress ?? (() => {});
  if (!head) throw new InputError(`${opts.repo} has no commits yet; verify judges the committed HEAD`, { hint: 'commit your work, then run `peers verify` again' });
  const timeoutS = opts.config.verify?.timeout_s ?? opts.config.goals.timeout_s;
  const jobs = opts.jobs ?? opts.config.goals.jobs;
  // Every gate run and setup get their PATH in gate-env.ts (gate-path.ts: no relative entry).
  const env = { ...((opts.env ?? process.env) as Record<string, string>) };

  const started = performance.now();
  const gateOptions = (dir: string, goals: HardGoal[]) => ({
    goals,
    checkoutDir: dir,
    head,
    defaultTimeoutS: timeoutS,
    jobs,
    env: opts.env,
    signal: opts.signal,
    onResult: (r: GateResult) => progress({ kind: 'hard', phase: 'done', id: r.id, state: r.state, durationMs: r.durationMs }),
  });
  // A failing gate's retries each get a fresh checkout, `setup` run again (fresh-retries.ts): never the one its failed attempt left.
  const gatesOnFreshCheckout = (goals: HardGoal[]) =>
    withCleanCheckout(opts.repo, head, async (again, reseal) => {
      const setup = opts.config.setup ? await runCommand({ id: 'setup', cmd: opts.config.setup, timeoutS: Math.max(SETUP_TIMEOUT_S, timeoutS) }, again, env, opts.signal) : undefined;
      if (setup?.state === 'fail') return goals.map((g): GateResult => ({ id: g.id, state: 'fail', durationMs: 0, cached: false, exitCode: null, diagnostic: `not run: setup failed on the retry's checkout: ${setup.diagnostic}` }));
      const unsealed = setup ? resealAfterSetup(reseal) : null;
      if (unsealed) return goals.map((g): GateResult => ({ id: g.id, state: 'fail', durationMs: 0, cached: false, exitCode: null, diagnostic: `not run: ${unsealed}` }));
      return evaluateIsolated(gateOptions(again, goals));
    });
  return withCleanCheckout(opts.repo, head, async (dir, reseal) => {
    // Committed content, read before any command of the peers' runs.
    const gitmodules = gitmodulesOf(dir);
    let setup: VerifyRow | undefined;
    if (opts.config.setup) {
      progress({ kind: 'setup', phase: 'start', id: opts.config.setup });
      setup = await runCommand({ id: 'setup', cmd: opts.config.setup, timeoutS: Math.max(SETUP_TIMEOUT_S, timeoutS) }, dir, env, opts.signal);
      progress({ kind: 'setup', phase: 'done', id: 'setup', state: setup.state, durationMs: setup.durationMs });
    }
    const goals = hardGoals(opts.goals);
    const specs = (opts.config.verify?.commands ?? []).map((c) => ({ id: c.name ?? c.cmd, cmd: c.cmd, timeoutS: c.timeout_s ?? timeoutS }));
    // Peers' own checks that run no project code first, side by side on this checkout; then every
    // other gate and verify command on its own copy of it as setup left it, one at a time
    // (gate-engine.ts, `evaluateIsolated`; SECURITY.md, "Each gate starts from the state right
    // after setup"). The first attempt of a gate runs here; each retry on a checkout of its own.
    // setup is the peers' code and ran in the checkout's .git too: written again before any gate reads history (checkout-git-dir.ts).
    let notRun = setup?.state === 'fail' ? 'setup failed' : setup ? (resealAfterSetup(reseal) ?? undefined) : undefined;
    const firstHere = (run: (due: HardGoal[]) => Promise<GateResult[]>) => {
      let attempts = 0;
      return (due: HardGoal[]) => (attempts++ === 0 ? run(due) : gatesOnFreshCheckout(due));
    };
    const shared = goals.filter(runsNoPeerCode);
    const rest = goals.filter((g) => !runsNoPeerCode(g));
    const sharedResults = notRun ? [] : await retryOnFreshCheckouts(shared, firstHere((due) => evaluateGates(gateOptions(dir, due))), opts.signal);
    let trees: GateTrees | undefined;
    if (!notRun && rest.length + specs.length > 0) {
      try {
        trees = GateTrees.keep(dir, rest.length + specs.length);
      } catch (error) {
        notRun = `could not set the checkout aside as setup left it: ${(error as Error).message}`;
      }
    }
    try {
      const restResults = !trees
        ? rest.map((g): GateResult => ({ id: g.id, state: 'fail', durationMs: 0, cached: false, exitCode: null, diagnostic: `not run: ${notRun}` }))
        : await retryOnFreshCheckouts(rest, firstHere((due) => evaluateGates({ ...gateOptions(dir, due), trees })), opts.signal);
      const byId = new Map([...sharedResults, ...restResults].map((r) => [r.id, r]));
      const hard = goals.map((g) => byId.get(g.id) ?? ({ id: g.id, state: 'fail', durationMs: 0, cached: false, exitCode: null, diagnostic: `not run: ${notRun ?? 'interrupted'}` } satisfies GateResult));
      const commands: VerifyRow[] = [];
      for (const spec of specs) {
        const row = !trees || opts.signal?.aborted ? { id: spec.id, state: 'fail' as const, durationMs: 0, diagnostic: `not run: ${notRun ?? 'interrupted'}` } : await commandOnCopy(trees, spec, env, opts.signal);
        if (trees) progress({ kind: 'verify', phase: 'done', id: row.id, state: row.state, durationMs: row.durationMs });
        commands.push(row);
      }
      // No hard goal measures nothing: not a pass (render-init.ts, noHardGoalWarning).
      const unmeasured = noHardGoalWarning(opts.goals, join(opts.repo, '.peers', 'goals.yaml'));
      const ok = !notRun && !unmeasured && hard.every((r) => r.state === 'pass') && commands.every((r) => r.state === 'pass');
      const cmdOf = new Map(goals.map((g) => [g.id, g.cmd]));
      const failureOutput = [setup, ...hard, ...commands].map((r) => (r?.state === 'fail' ? `${r.diagnostic}\n${r.excerpt ?? ''}` : '')).join('\n');
      const submodules = ok ? undefined : submoduleFailureNote(submodulePaths(gitmodules), failureOutput);
      const noexec = ok ? undefined : noexecCheckoutNote(dir);
      return {
        project: basename(opts.repo),
        head,
        ok,
        setup,
        hard: hard.map((r) => ({ ...r, cmd: cmdOf.get(r.id) })),
        commands,
        finishedAt: new Date().toISOString(),
        durationMs: Math.round(performance.now() - started),
        notes: [...(unmeasured ? [unmeasured] : []), ...(submodules ? [submodules] : []), ...(noexec ? [noexec] : [])],
      };
    } finally {
      trees?.close();
    }
  });
}

/** A verify command on its own copy of the checkout as setup left it; one that cannot get it fails. */
async function commandOnCopy(trees: GateTrees, spec: { id: string; cmd: string; timeoutS: number }, env: Record<string, string>, signal?: AbortSignal): Promise<VerifyRow> {
  try {
    return await trees.use((copy) => runCommand(spec, copy, env, signal));
  } catch (error) {
    return { id: spec.id, cmd: spec.cmd, state: 'fail', durationMs: 0, diagnostic: `not run: could not give it its own copy of the checkout as setup left it: ${(error as Error).message}` };
  }
}

/** The checkout's .gitmodules, read no-follow and capped; one that cannot be read counts as none. */
function gitmodulesOf(dir: string): string | undefined {
  try {
    return readTextIfExists(join(dir, '.gitmodules'), 64 * 1024);
  } catch {
    return undefined;
  }
}

/** A verify command passes on exit 0; any other exit gets its diagnostics. */
async function runCommand(spec: { id: string; cmd: string; timeoutS: number }, cwd: string, env: Record<string, string>, signal?: AbortSignal): Promise<VerifyRow> {
  const run = await supervise({
    signal,
    argv: ['/bin/sh', '-c', spec.cmd],
    cwd,
    env,
    absoluteTimeoutMs: spec.timeoutS * 1000,
    killGraceMs: GATE_KILL_GRACE_MS,
    maxStreamBytes: GATE_OUTPUT_CAP,
  });
  const excerpt = run.exitCode === 0 && run.endedBy === 'exit' ? '' : failureExcerpt(run.stdout, run.stderr);
  const row = { id: spec.id, cmd: spec.cmd, durationMs: run.durationMs, ...(excerpt ? { excerpt } : {}) };
  const stderrTail = run.stderr ? `; stderr-tail=${pyRepr(run.stderr.slice(-STDERR_TAIL_CHARS))}` : '';
  if (run.endedBy === 'absolute-timeout') return { ...row, state: 'fail', diagnostic: `timeout after ${spec.timeoutS}s${stderrTail}` };
  if (run.endedBy === 'spawn-error') return { ...row, state: 'fail', diagnostic: `could not start /bin/sh: ${run.spawnError}` };
  if (run.endedBy === 'aborted') return { ...row, state: 'fail', diagnostic: `interrupted${stderrTail}` };
  if (run.exitCode === 0) return { id: spec.id, cmd: spec.cmd, durationMs: run.durationMs, state: 'pass', diagnostic: '' };
  // Named as a gate's is (gate-engine.ts): "eval: cargo: not found" read like a failing install.
  const missing = missingProgram(run.exitCode, run.stderr);
  const bash = missing ? undefined : bashOptionNote(run.stderr);
  const note = missing ? `${missingProgramNote(missing, spec.id === 'setup' ? 'setup' : 'the gate')}; ` : bash ? `${bash}; ` : '';
  return { ...row, state: 'fail', diagnostic: `${note}exit=${run.exitCode ?? run.signal}${stderrTail}` };
}
