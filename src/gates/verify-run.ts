/**
 * `peers verify`: the acceptance check a human runs. Every hard goal once, plus the extra
 * `verify.commands`, against the committed HEAD in a throwaway checkout, never the working tree,
 * so what passes here is exactly what was committed.
 */
import { basename, join } from 'node:path';
import type { PeersConfig } from '../config/config-schema.ts';
import { hardGoals, type GoalsFile, type HardGoal } from '../config/goals-schema.ts';
import { InputError } from '../cli/errors.ts';
import { findWorkTreeRoot, readHead, resolveRepoLayout } from '../git/repo-layout.ts';
import { selfBinDir } from '../proc/self-exec.ts';
import { supervise } from '../proc/supervise.ts';
import { withCleanCheckout } from './clean-checkout.ts';
import { retryOnFreshCheckouts } from './fresh-retries.ts';
import { evaluateGates, GATE_KILL_GRACE_MS, GATE_OUTPUT_CAP, mapLimited, type GateResult } from './gate-engine.ts';
import { failureExcerpt } from './output-excerpt.ts';
import { submoduleFailureNote, submodulePaths } from './submodule-note.ts';
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
  const env = { ...((opts.env ?? process.env) as Record<string, string>) };
  env.PATH = `${selfBinDir()}:${env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`;

  const started = performance.now();
  const gatesIn = (dir: string, goals: HardGoal[]) =>
    evaluateGates({
      goals,
      checkoutDir: dir,
      head,
      defaultTimeoutS: timeoutS,
      jobs,
      env: opts.env,
      signal: opts.signal,
      onResult: (r) => progress({ kind: 'hard', phase: 'done', id: r.id, state: r.state, durationMs: r.durationMs }),
    });
  // A failing gate's retries each get a fresh checkout, `setup` run again (fresh-retries.ts): never the one its failed attempt left.
  const gatesOnFreshCheckout = (goals: HardGoal[]) =>
    withCleanCheckout(opts.repo, head, async (again) => {
      const setup = opts.config.setup ? await runCommand({ id: 'setup', cmd: opts.config.setup, timeoutS: Math.max(SETUP_TIMEOUT_S, timeoutS) }, again, env, opts.signal) : undefined;
      if (setup?.state === 'fail') return goals.map((g): GateResult => ({ id: g.id, state: 'fail', durationMs: 0, cached: false, exitCode: null, diagnostic: `not run: setup failed on the retry's checkout: ${setup.diagnostic}` }));
      return gatesIn(again, goals);
    });
  return withCleanCheckout(opts.repo, head, async (dir) => {
    let setup: VerifyRow | undefined;
    if (opts.config.setup) {
      progress({ kind: 'setup', phase: 'start', id: opts.config.setup });
      setup = await runCommand({ id: 'setup', cmd: opts.config.setup, timeoutS: Math.max(SETUP_TIMEOUT_S, timeoutS) }, dir, env, opts.signal);
      progress({ kind: 'setup', phase: 'done', id: 'setup', state: setup.state, durationMs: setup.durationMs });
    }
    const setupFailed = setup?.state === 'fail';
    // The first attempt of every gate runs in this checkout; each retry in one of its own.
    let attempts = 0;
    const hard = setupFailed
      ? hardGoals(opts.goals).map((g): GateResult => ({ id: g.id, state: 'fail', durationMs: 0, cached: false, exitCode: null, diagnostic: 'not run: setup failed' }))
      : await retryOnFreshCheckouts(hardGoals(opts.goals), (goals) => (attempts++ === 0 ? gatesIn(dir, goals) : gatesOnFreshCheckout(goals)), opts.signal);
    const specs = (opts.config.verify?.commands ?? []).map((c) => ({ id: c.name ?? c.cmd, cmd: c.cmd, timeoutS: c.timeout_s ?? timeoutS }));
    const commands = setupFailed
      ? specs.map((s): VerifyRow => ({ id: s.id, state: 'fail', durationMs: 0, diagnostic: 'not run: setup failed' }))
      : await mapLimited(specs, Math.max(1, jobs), async (spec) => {
          if (opts.signal?.aborted) return { id: spec.id, state: 'fail', durationMs: 0, diagnostic: 'not run: interrupted' } satisfies VerifyRow;
          const row = await runCommand(spec, dir, env, opts.signal);
          progress({ kind: 'verify', phase: 'done', id: row.id, state: row.state, durationMs: row.durationMs });
          return row;
        });
    const ok = !setupFailed && hard.every((r) => r.state === 'pass') && commands.every((r) => r.state === 'pass');
    const cmdOf = new Map(hardGoals(opts.goals).map((g) => [g.id, g.cmd]));
    const failureOutput = [setup, ...hard, ...commands].map((r) => (r?.state === 'fail' ? `${r.diagnostic}\n${r.excerpt ?? ''}` : '')).join('\n');
    const submodules = ok ? undefined : submoduleFailureNote(submodulePaths(gitmodulesOf(dir)), failureOutput);
    return {
      project: basename(opts.repo),
      head,
      ok,
      setup,
      hard: hard.map((r) => ({ ...r, cmd: cmdOf.get(r.id) })),
      commands,
      finishedAt: new Date().toISOString(),
      durationMs: Math.round(performance.now() - started),
      notes: submodules ? [submodules] : [],
    };
  });
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
  return { ...row, state: 'fail', diagnostic: `exit=${run.exitCode ?? run.signal}${stderrTail}` };
}
