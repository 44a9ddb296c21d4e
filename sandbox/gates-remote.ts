/**
 * Hard gates in the pod, in two containers beside it (docs/ARCHITECTURE.md, "Gates"):
 *
 *   setup  `peers runner --prepare-checkout`: a fresh checkout of the committed HEAD from the
 *          trusted mirror (read-only mount, hermetic git) under /checkouts, then the project's
 *          `setup` there. The only process that can write the dependency cache volume.
 *   gates  `peers runner --probe-gates`: the hard gates on that checkout, one at a time, each on
 *          its own copy of it as setup left it and with a fresh HOME/TMPDIR/XDG, what the one
 *          before left running killed first; then the checkout is removed. No dependency cache,
 *          no gate cache.
 *
 * Both have their own empty network namespace and no access to the workspace's files, so
 * uncommitted files and processes a peer left running cannot make a gate pass. The gate result
 * cache stays with the loop (cached-gate-probe.ts).
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { PeersError } from '../src/cli/errors.ts';
import { HardGoalSchema, type HardGoal } from '../src/config/goals-schema.ts';
import { checkoutFromObserver } from '../src/gates/clean-checkout.ts';
import { resealAfterSetup, resealCheckoutGitDir } from '../src/gates/checkout-git-dir.ts';
import { NOT_RUN } from '../src/gates/not-run.ts';
import { evaluateIsolated, type GateResult } from '../src/gates/gate-engine.ts';
import { REAP_ROOT_ENV, reapLeftovers } from '../src/proc/leftover-sweep.ts';
import type { PeerRunner } from '../src/proc/peer-runner.ts';
import { runSetup, setupFailedResults, SETUP_TIMEOUT_S, withRunBaseline, type GateProbe } from '../src/loop/shell/gate-probe.ts';
import { runnerKeyFromEnv, SocketRunner } from './socket-runner.ts';
import { CHECKOUTS_IN_CONTAINER, DEP_CACHE_IN_CONTAINER, MIRROR_IN_CONTAINER, PEERS_BIN_IN_CONTAINER } from './pod-layout.ts';
import { removeTree } from '../src/fs/remove-tree.ts';

const sha = z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, 'head must be a commit sha');
export const PrepareRequestSchema = z.strictObject({
  head: sha,
  setup: z.string().min(1).optional(),
  /** Remove checkouts an interrupted probe left (default); false while another probe of the loop still uses its own. */
  sweep: z.boolean().optional(),
});
export const GateProbeRequestSchema = z.strictObject({
  dir: z.string().min(1),
  head: sha,
  goals: z.array(HardGoalSchema),
  timeoutS: z.number().int().positive(),
  jobs: z.number().int().positive(),
  /** The run's baseline commit, given to every gate as PEERS_RUN_BASELINE (run-baseline.ts). */
  runBaseline: sha.optional(),
});
export type PrepareRequest = z.infer<typeof PrepareRequestSchema>;
export type GateProbeRequest = { dir: string; head: string; goals: HardGoal[]; timeoutS: number; jobs: number; runBaseline?: string };
export type PrepareResult = { dir: string | null; setupFailure: string | null };
export type SetupPlaces = { mirror: string; checkouts: string; depCache?: string };

function parse<T>(schema: z.ZodType<T>, raw: unknown, what: string): T {
  const r = schema.safeParse(raw);
  if (!r.success) throw new PeersError(`bad ${what} request: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { exitCode: 2 });
  return r.data;
}

/**
 * Runs in the setup container. Checkouts left by an interrupted probe go first, unless the loop
 * says another probe of its own (a background expensive gate) is still using one.
 */
export async function runPrepareCheckout(raw: unknown, at: SetupPlaces): Promise<PrepareResult> {
  const req = parse(PrepareRequestSchema, raw, 'prepare-checkout');
  mkdirSync(at.checkouts, { recursive: true });
  if (req.sweep !== false) {
    // A probe cut short leaves its checkout's directory unlistable (gate-trees.ts), and the peers'
    // setup and gates may lock directories of their own: removeTree makes them listable again.
    for (const stale of readdirSync(at.checkouts)) removeTree(join(at.checkouts, stale));
  }
  const root = mkdtempSync(join(at.checkouts, 'c-'));
  const dir = join(root, 'tree');
  try {
    checkoutFromObserver(at.mirror, req.head, dir);
  } catch (e) {
    removeTree(root);
    throw new PeersError(`cannot check out ${req.head} from the mirror for the gates: ${(e as Error).message}`);
  }
  if (req.setup) {
    const failure = await runSetup(req.setup, dir, undefined, undefined, at.depCache);
    if (failure !== null) {
      removeTree(root);
      return { dir: null, setupFailure: failure };
    }
  }
  return { dir, setupFailure: null };
}

/**
 * Runs in the gates container; removes the checkout afterwards. Its `.git` is first written again
 * from the mirror: setup (the peers' code) ran in it, and is over by now, its leftovers killed with
 * its request (checkout-git-dir.ts `resealCheckoutGitDir`).
 */
export async function runGateProbe(raw: unknown, at: { checkouts: string; mirror: string }): Promise<GateResult[]> {
  const req = parse(GateProbeRequestSchema, raw, 'gate probe');
  const root = dirname(req.dir);
  // Only a checkout the setup runner made: a direct child of /checkouts, no link on the way.
  const real = realpathSync(root);
  if (dirname(real) !== realpathSync(at.checkouts) || lstatSync(req.dir).isSymbolicLink()) throw new PeersError(`refusing gate checkout ${req.dir}: not under ${at.checkouts}`, { exitCode: 2 });
  // Fail closed: a .git that cannot be written again fails every gate, none runs.
  const unsealed = resealAfterSetup(() => resealCheckoutGitDir(at.mirror, req.dir, req.head));
  if (unsealed !== null) {
    const diagnostic = `${NOT_RUN}${unsealed}`;
    removeTree(root);
    return req.goals.map((g) => ({ id: g.id, state: 'fail', durationMs: 0, diagnostic, cached: false, exitCode: null }));
  }
  // The container's own environment, plus the run's baseline for `peers check` in a gate; the
  // sweeping runner's pid stays with us.
  const env = { ...(process.env as Record<string, string>) };
  const reapRoot = Number(env[REAP_ROOT_ENV]);
  delete env[REAP_ROOT_ENV];
  try {
    // Each gate on its own copy of the checkout as setup left it, at the path setup ran in; what
    // one gate left running is killed before the next (gate-trees.ts; SECURITY.md, "Each gate
    // starts from the state right after setup").
    return await evaluateIsolated({
      goals: req.goals,
      checkoutDir: req.dir,
      head: req.head,
      defaultTimeoutS: req.timeoutS,
      jobs: req.jobs,
      env: withRunBaseline(env, req.runBaseline),
      ...(Number.isInteger(reapRoot) && reapRoot > 1 ? { betweenGates: () => void reapLeftovers(reapRoot) } : {}),
    });
  } finally {
    removeTree(root);
  }
}

async function callRunner(runner: PeerRunner, argv: string[], stdin: unknown, budgetMs: number, signal?: AbortSignal): Promise<string | 'aborted'> {
  const r = await runner.run({ peer: 'gates', argv, env: {}, stdin: JSON.stringify(stdin), cwd: tmpdir(), idleTimeoutMs: budgetMs, absoluteTimeoutMs: budgetMs, killGraceMs: 5000, maxStreamBytes: 16 * 1024 * 1024 }, signal);
  if (signal?.aborted) return 'aborted';
  if (r.exitCode !== 0) throw new PeersError(`${argv.slice(1, 3).join(' ')} failed (${r.endedBy}, exit ${r.exitCode}): ${(r.spawnError ?? r.stderr).trim().slice(-600)}`);
  return r.stdout;
}

export type RemoteGateRunners = { setup: PeerRunner; gates: PeerRunner; peersCommand?: string[]; places?: { mirror?: string; checkouts?: string; depCache?: string } };

/** The loop side: one probe = a checkout (+ setup) in the setup container, then the gates. */
export function remoteGateProbe(r: RemoteGateRunners): GateProbe {
  const bin = r.peersCommand ?? [PEERS_BIN_IN_CONTAINER];
  const places = (flag: string, v: string | undefined) => (v ? [flag, v] : []);
  // Probes of one loop may overlap (a background expensive gate while the cheap ones run).
  let inFlight = 0;
  return async (o) => {
    if (o.goals.length === 0) return [];
    const sweep = inFlight === 0;
    inFlight++;
    try {
      const prepared = await callRunner(
        r.setup,
        [...bin, 'runner', '--prepare-checkout', ...places('--mirror', r.places?.mirror), ...places('--checkouts', r.places?.checkouts), ...places('--dep-cache', r.places?.depCache)],
        { head: o.head, setup: o.setup, sweep },
        (SETUP_TIMEOUT_S + 120) * 1000,
        o.signal,
      );
      if (prepared === 'aborted') return [];
      const prep = JSON.parse(prepared) as PrepareResult;
      if (prep.setupFailure !== null || !prep.dir) return setupFailedResults(o.goals, o.setup ?? '', prep.setupFailure ?? 'no checkout');
      const longest = Math.max(o.timeoutS, ...o.goals.map((g) => g.timeout_s ?? 0));
      const budgetMs = (longest * Math.max(1, o.goals.length) + 60) * 1000;
      const probed = await callRunner(r.gates, [...bin, 'runner', '--probe-gates', ...places('--mirror', r.places?.mirror), ...places('--checkouts', r.places?.checkouts)], { dir: prep.dir, head: o.head, goals: o.goals, timeoutS: o.timeoutS, jobs: o.jobs, ...(o.runBaseline ? { runBaseline: o.runBaseline } : {}) } satisfies GateProbeRequest, budgetMs, o.signal);
      if (probed === 'aborted') return [];
      return (JSON.parse(probed) as GateResult[]).map((g) => ({ id: g.id, state: g.state, durationMs: g.durationMs, diagnostic: g.diagnostic, cached: g.cached, ...(g.testsRun ? { testsRun: g.testsRun } : {}) }));
    } catch (e) {
      // A stop request kills the probe; the loop discards results cut short, so do not crash it.
      if (o.signal?.aborted) return [];
      throw e;
    } finally {
      inFlight--;
    }
  };
}

/**
 * The loop's gate probe inside the pod: `peers up` sets PEERS_RUNNER_SETUP and PEERS_RUNNER_GATES.
 * Outside the pod it is undefined and the loop probes on the host.
 */
export function gateProbeFromEnv(env: NodeJS.ProcessEnv = process.env, via: Omit<RemoteGateRunners, 'setup' | 'gates'> = {}): GateProbe | undefined {
  if (!env.PEERS_RUNNER_GATES || !env.PEERS_RUNNER_SETUP) return undefined;
  return remoteGateProbe({ setup: new SocketRunner(env.PEERS_RUNNER_SETUP, {}, runnerKeyFromEnv(env, 'setup')), gates: new SocketRunner(env.PEERS_RUNNER_GATES, {}, runnerKeyFromEnv(env, 'gates')), ...via });
}

export const POD_GATE_PLACES = { mirror: MIRROR_IN_CONTAINER, checkouts: CHECKOUTS_IN_CONTAINER, depCache: DEP_CACHE_IN_CONTAINER };
