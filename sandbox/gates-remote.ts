/**
 * Hard gates in the gates container. The loop sends `{head, goals, timeoutS, jobs}` to the gates
 * runner, which runs `peers runner --probe-gates`: a fresh clone of the committed HEAD (shared
 * objects, read-only repo mount, hooks off) in its own tmpfs, the project's `setup` command there
 * (its dependencies; same rules as the host path in src/loop/gate-probe.ts), then H2's gate
 * engine. The
 * gates container has its own empty network namespace and no access to the workspace's files, so
 * uncommitted files and processes a peer left running cannot make a gate pass.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { PeersError } from '../src/cli/errors.ts';
import { HardGoalSchema, type HardGoal } from '../src/config/goals-schema.ts';
import { evaluateGates, type GateResult } from '../src/gates/gate-engine.ts';
import { gitOk } from '../src/git/git.ts';
import type { PeerRunner } from '../src/peers/peer-runner.ts';
import { runSetup, setupFailedResults, SETUP_TIMEOUT_S, type GateProbe } from '../src/loop/gate-probe.ts';
import { SocketRunner } from './socket-runner.ts';
import { PEERS_BIN_IN_CONTAINER } from './pod-spec.ts';

export const GateProbeRequestSchema = z.strictObject({
  head: z.string().regex(/^[0-9a-f]{7,64}$/, 'head must be a commit sha'),
  goals: z.array(HardGoalSchema),
  timeoutS: z.number().int().positive(),
  jobs: z.number().int().positive(),
  setup: z.string().min(1).optional(),
});
export type GateProbeRequest = { head: string; goals: HardGoal[]; timeoutS: number; jobs: number; setup?: string };

/**
 * A checkout that needs no write access to the repository: `git worktree add` would write into
 * `.git/worktrees`, which the gates container mounts read-only.
 */
export async function withReadOnlyCheckout<T>(repo: string, sha: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'peers-gates-'));
  try {
    try {
      gitOk(dir, ['clone', '--quiet', '--shared', '--no-checkout', repo, '.']);
      gitOk(dir, ['checkout', '--quiet', '--detach', sha]);
    } catch (e) {
      throw new PeersError(`cannot check out ${sha} of ${repo} for the gates: ${(e as Error).message}`);
    }
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs in the gates container (`peers runner --probe-gates`). */
export async function runGateProbe(raw: unknown, repo: string, cacheFile?: string): Promise<GateResult[]> {
  const parsed = GateProbeRequestSchema.safeParse(raw);
  if (!parsed.success) throw new PeersError(`bad gate probe request: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { exitCode: 2 });
  const req = parsed.data;
  return withReadOnlyCheckout(repo, req.head, async (dir): Promise<GateResult[]> => {
    if (req.setup) {
      const failure = await runSetup(req.setup, dir, undefined);
      if (failure !== null) return setupFailedResults(req.goals, req.setup, failure).map((r) => ({ ...r, exitCode: null }));
    }
    return evaluateGates({ goals: req.goals, checkoutDir: dir, head: req.head, defaultTimeoutS: req.timeoutS, jobs: req.jobs, cacheFile });
  });
}

/** The loop side: asks the gates runner for one probe and returns its results. */
export async function probeGatesVia(
  runner: PeerRunner,
  req: GateProbeRequest,
  opts: { signal?: AbortSignal; peersCommand?: string[]; repo?: string } = {},
): Promise<GateResult[]> {
  const longest = Math.max(req.timeoutS, ...req.goals.map((g) => g.timeout_s ?? 0));
  const budgetMs = (longest * Math.max(1, req.goals.length) + (req.setup ? SETUP_TIMEOUT_S : 0) + 60) * 1000;
  const r = await runner.run(
    {
      peer: 'gates',
      argv: [...(opts.peersCommand ?? [PEERS_BIN_IN_CONTAINER]), 'runner', '--probe-gates', ...(opts.repo ? ['--repo', opts.repo] : [])],
      env: {},
      stdin: JSON.stringify(req),
      cwd: tmpdir(),
      idleTimeoutMs: budgetMs,
      absoluteTimeoutMs: budgetMs,
      killGraceMs: 5000,
      maxStreamBytes: 16 * 1024 * 1024,
    },
    opts.signal,
  );
  if (r.exitCode !== 0) throw new PeersError(`gate probe in the gates container failed (${r.endedBy}, exit ${r.exitCode}): ${(r.spawnError ?? r.stderr).trim().slice(-600)}`);
  return JSON.parse(r.stdout) as GateResult[];
}

/**
 * The loop's gate probe inside the pod: `peers up` sets PEERS_RUNNER_GATES, and every hard gate
 * (with `setup` first) then runs in the gates container on a clean checkout, never in the loop
 * container or the workspace. Outside the pod it is undefined and the loop probes on the host.
 */
export function gateProbeFromEnv(env: NodeJS.ProcessEnv = process.env, via: { peersCommand?: string[]; repo?: string } = {}): GateProbe | undefined {
  const socket = env.PEERS_RUNNER_GATES;
  if (!socket) return undefined;
  const runner = new SocketRunner(socket);
  return async (o) => {
    if (o.goals.length === 0) return [];
    try {
      const results = await probeGatesVia(runner, { head: o.head, goals: o.goals, timeoutS: o.timeoutS, jobs: o.jobs, setup: o.setup }, { ...via, signal: o.signal });
      return results.map((r) => ({ id: r.id, state: r.state, durationMs: r.durationMs, diagnostic: r.diagnostic, cached: r.cached }));
    } catch (e) {
      // A stop request kills the probe; the loop discards results cut short, so do not crash it.
      if (o.signal?.aborted) return [];
      throw e;
    }
  };
}
