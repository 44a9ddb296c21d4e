/**
 * The figures `peers ls` and `peers status` show next to a project's run status: tick, spend
 * (USD and tokens: the auth sidecar's usage ledger, live, when the run has one; else state.json)
 * and the gates still open. Read from
 * the state directory only; a project that never ran has spent nothing and every hard gate of
 * its goals file is open (not evaluated yet).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hardGoalIdsOf, type InvalidGoalsFile } from '../src/config/hard-goal-ids.ts';
import type { LoopState } from '../src/state/state-schema.ts';
import { statePaths } from '../src/state/paths.ts';
import { hostUsageLedgerPath } from '../src/budget/ledger-path.ts';

export type RunFigures = {
  tick: number | null;
  /** rehearsal: `peers up --rehearse` ran it (the scripted model server), so nothing was billed. */
  spend: { usd: number; tokens: number; rehearsal: boolean };
  /**
   * Hard gates not green at the last evaluated commit, and those never evaluated; null when the
   * goals file does not validate (`goalsError`): which gates are open is then unknown, never "none".
   */
  openGates: string[] | null;
  /** Of openGates, the hard gates no measurement has recorded yet (a run's first one under way, or none started). */
  unmeasured: string[];
  /** The goals file's refusal (file:line:col: message, as `peers verify` says it), or null. */
  goalsError: string | null;
  /** Containers of the pod the loop last found down (state.json `degraded`). */
  podDown: string[];
};

/**
 * The hard goals' ids: from the snapshot the loop enforces, else the project's own goals file. A
 * project with `.peers/` has a goals file: one deleted, or in a `.peers/` that cannot be read, is
 * a refusal (open gates unknown), never "no gates, all green".
 */
async function hardGoalIds(stateDir: string, projectDir: string, env: NodeJS.ProcessEnv): Promise<string[] | InvalidGoalsFile> {
  const snapshot = join(statePaths(stateDir).snapshotDir, 'goals.yaml');
  if (existsSync(snapshot)) return hardGoalIdsOf(snapshot, env);
  if (existsSync(join(projectDir, '.peers'))) return hardGoalIdsOf(join(projectDir, '.peers', 'goals.yaml'), env);
  return [];
}

/**
 * The readers of state.json and the ledger (and their schemas) are loaded only when the file is there:
 * a project that never ran (`peers ls`, `peers status` after `peers init`) reads its goals file only.
 */
export async function runFigures(stateDir: string, projectDir: string, env: NodeJS.ProcessEnv = process.env): Promise<RunFigures> {
  if (!stateDir) return { tick: null, spend: { usd: 0, tokens: 0, rehearsal: false }, openGates: [], unmeasured: [], goalsError: null, podDown: [] }; // the project directory is gone
  let state: LoopState | undefined;
  const statePath = statePaths(stateDir).state;
  try {
    state = existsSync(statePath) ? (await import('../src/state/state-store.ts')).loadState(statePath) : undefined;
  } catch {
    state = undefined; // A corrupt state.json is reported by `peers status`; ls still lists the project.
  }
  const results = state?.gates.results ?? {};
  const failing = Object.entries(results).filter(([, g]) => g.state !== 'pass').map(([id]) => id);
  const hard = await hardGoalIds(stateDir, projectDir, env);
  const unevaluated = Array.isArray(hard) ? hard.filter((id) => !(id in results)) : null;
  return {
    tick: state?.tick ?? null,
    spend: { ...((await ledgerSpend(stateDir)) ?? { usd: state?.budget.spent_usd ?? 0, tokens: state?.budget.spent_tokens ?? 0 }), rehearsal: state !== undefined && (await import('../src/budget/budget-policy-file.ts')).wasRehearsal(stateDir) },
    openGates: unevaluated ? [...failing, ...unevaluated] : null,
    unmeasured: unevaluated ?? [],
    goalsError: Array.isArray(hard) ? null : hard.error,
    podDown: state?.degraded?.down ?? [],
  };
}

async function ledgerSpend(stateDir: string): Promise<{ usd: number; tokens: number } | null> {
  const path = hostUsageLedgerPath(stateDir);
  if (!existsSync(path)) return null;
  try {
    const l = (await import('../src/budget/ledger-spend.ts')).readLedgerSpend(path);
    return l ? { usd: l.usd, tokens: l.tokens } : null;
  } catch {
    return null; // `peers status` reports the damage; ls still lists the project
  }
}

