/**
 * `peers loop`: the imperative shell around the pure core in tick.ts. Per tick:
 *   stop checks → hard gates at HEAD (clean checkout, once per HEAD) → stuck/convergence → one peer
 *   turn → finalize → runs.jsonl line → atomic state.json.
 * The loop enforces the config/goals snapshot taken at start, never the live `.peers/` files.
 * Every exit writes an exit line, `last-stop-reason.txt` and state.json; a SIGKILL between the log
 * line and the state write is repaired on the next start (resume.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, loadGoalsFile, loadProject, projectDirFrom } from '../config/load.ts';
import { hardGoals, softGoals, type GoalsFile } from '../config/goals-schema.ts';
import type { PeersConfig } from '../config/config-schema.ts';
import { resolveUsdCapMode } from '../config/usd-cap-mode.ts';
import { MiB, readFileCapped, readTextIfExists } from '../fs/safe-read.ts';
import { headSha } from '../git/git.ts';
import { openBlockingBugs, readLedger, formatBugLine } from '../protocol/bug-ledger.ts';
import { isSoftGoalPassed, pendingSoftGoals, type SoftStatus } from '../protocol/soft-reviews.ts';
import { controlPlaneEditsInRange, detectControlPlaneEdits, formatControlPlaneEdits, takeControlPlaneSnapshot } from '../protocol/control-plane-guard.ts';
import { LocalPeerRunner, type PeerRunner } from '../peers/peer-runner.ts';
import { buildPrompt, type GoalLine } from '../prompt/prompt-builder.ts';
import { ensureStateDirs, stateDirFor, statePaths, type StatePaths } from '../state/paths.ts';
import { acquireRunLock } from '../state/run-lock.ts';
import { appendRunLine, readRunLog, repairTornTail, tickLines } from '../state/run-log.ts';
import { freshState, type LoopState } from '../state/state-schema.ts';
import { loadState, saveState } from '../state/state-store.ts';
import { writeStopReason } from '../state/stop-reason.ts';
import { writeHaltedFile } from '../state/halted-file.ts';
import { settingsFromConfig, type LoopSettings } from './settings.ts';
import { budgetStop, exitCodeFor } from './stop-check.ts';
import { ALL_PEERS_DOWN, countRedTick, decidePreTick, finalizeTick, recordGates, type TickObservation } from './tick.ts';
import type { ConvergenceInput } from './convergence.ts';
import { applyOperatorActions, syncPeerOrder } from './operator-actions.ts';
import { resumeFromLog } from './resume.ts';
import { changesSince, inboxLines } from './git-observe.ts';
import { probeGates, type GateProbe } from './gate-probe.ts';
import { runPeerTurn } from './peer-turn.ts';
import { prepareRunContext } from '../recon/run-context.ts';
import type { Contract } from '../modes/contract.ts';
import { changedPathsBetween, contractRefusal, frozenContractAtStart, frozenPathsTouched, refuseTurn } from '../modes/contract-guard.ts';

export type LoopOptions = {
  repo: string;
  stateDir?: string;
  maxTicks?: number;
  maxUsd?: number;
  maxRuntimeS?: number;
  maxTokens?: number;
  maxConsecutiveFailures?: number;
  noSkeptic?: boolean;
  /** Skip writing recon.md / the codemap before the first tick (they are written only when absent). */
  noRecon?: boolean;
  noCodemap?: boolean;
  resetPeers?: string[];
  backoffBaseMs?: number;
  runner?: PeerRunner;
  /** Where hard gates run: a local clean checkout by default; the pod passes its gates container. */
  gateProbe?: GateProbe;
  /** Graceful stop (the command wires SIGTERM/SIGINT to it). */
  signal?: AbortSignal;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
};

export type LoopOutcome = { reason: string; exitCode: number; ticksInRun: number; stateDir: string };

const STOPS_THAT_REFRESH_GATES = /^(max_ticks|budget:)/;

export async function runLoop(o: LoopOptions): Promise<LoopOutcome> {
  const repo = projectDirFrom(o.repo);
  loadProject(repo); // validates the live files, so errors name the user's own file and line
  const paths = statePaths(o.stateDir ?? stateDirFor(repo, o.env ?? process.env));
  ensureStateDirs(paths);
  const lock = acquireRunLock(paths.lock);
  try {
    takeControlPlaneSnapshot(repo, paths.snapshotDir);
    const configPath = join(paths.snapshotDir, 'config.yaml');
    const goalsPath = join(paths.snapshotDir, 'goals.yaml');
    const config = loadConfigFile(configPath);
    const goals: GoalsFile = existsSync(goalsPath) ? loadGoalsFile(goalsPath) : { goals: [] };
    // implement mode: the frozen acceptance contract must be the one contracts.log records.
    const contract = frozenContractAtStart(goals, paths.snapshotDir);
    const digest = createHash('sha256')
      .update(readFileCapped(configPath, 2 * MiB))
      .update('\0')
      .update(existsSync(goalsPath) ? readFileCapped(goalsPath, 2 * MiB) : '')
      .digest('hex');
    const env = o.env ?? process.env;
    const usd = resolveUsdCapMode(config, env, homedir());
    const settings = settingsFromConfig(config, {
      maxTicksThisRun: o.maxTicks,
      maxUsd: o.maxUsd,
      maxRuntimeS: o.maxRuntimeS,
      maxTokens: o.maxTokens,
      maxConsecutiveFailures: o.maxConsecutiveFailures,
      noSkeptic: o.noSkeptic,
      usdMode: usd.mode,
      backoffBaseMs: o.backoffBaseMs,
    });
    const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    repairTornTail(paths.runs);
    const names = config.peers.map((p) => p.name);
    let state = syncPeerOrder(loadState(paths.state) ?? freshState(names), names);
    const resumed = resumeFromLog(state, tickLines(readRunLog(paths.runs)), settings);
    state = resumed.state;
    if (resumed.replayed.length) log(`peers: resumed: tick ${resumed.replayed.join(', ')} was logged but not saved; state rebuilt from runs.jsonl`);
    if (resumed.warning) log(`peers: warning: ${resumed.warning}`);
    const acted = applyOperatorActions(state, { configChanged: state.config_digest !== null && state.config_digest !== digest, resetPeers: o.resetPeers ?? [] });
    state = {
      ...acted.state,
      config_digest: digest,
      warnings: [...acted.state.warnings, ...acted.notes],
      budget: { ...acted.state.budget, usd_cap_mode: `${usd.mode} (${usd.reason})` },
    };
    for (const n of acted.notes) log(`peers: ${n}`);
    // Project context for the prompts, generated once (no model call); best-effort.
    const context = prepareRunContext(repo, paths.dir, {
      recon: !o.noRecon && !existsSync(paths.recon),
      codemap: !o.noCodemap && !(existsSync(paths.codemap) && existsSync(join(paths.dir, 'CODEMAP.yaml'))),
    });
    for (const w of context.warnings) log(`peers: warning: ${w}`);
    state = { ...state, warnings: [...state.warnings, ...context.warnings] };
    saveState(paths.state, state);
    const run = new LoopRun(repo, paths, config, goals, settings, state, o.runner ?? new LocalPeerRunner(), o.gateProbe ?? probeGates, o.signal ?? new AbortController().signal, log, env, contract);
    return await run.run();
  } finally {
    lock.release();
  }
}

class LoopRun {
  private ticksThisRun = 0;
  private warnedEdits = '';

  constructor(
    private readonly repo: string,
    private readonly paths: StatePaths,
    private readonly config: PeersConfig,
    private readonly goals: GoalsFile,
    private readonly settings: LoopSettings,
    private state: LoopState,
    private readonly runner: PeerRunner,
    private readonly gateProbe: GateProbe,
    private readonly signal: AbortSignal,
    private readonly log: (line: string) => void,
    private readonly env: NodeJS.ProcessEnv,
    private readonly contract: Contract | undefined,
  ) {}

  async run(): Promise<LoopOutcome> {
    try {
      return await this.loop();
    } catch (error) {
      // Every exit leaves a trace, even an unexpected one.
      const reason = `error:${(error as Error).name || 'Error'}`;
      try {
        this.finishRecords(reason);
      } catch {}
      throw error;
    }
  }

  private async loop(): Promise<LoopOutcome> {
    for (;;) {
      const early = budgetStop(this.state, this.runCtx(), this.settings);
      if (early.stop) {
        if (STOPS_THAT_REFRESH_GATES.test(early.stop)) await this.refreshGates();
        return this.finish(early.stop);
      }
      await this.refreshGates();
      const before = this.state;
      this.state = countRedTick(this.state);
      const conv = this.convergenceInput();
      const pre = decidePreTick(this.state, this.runCtx(), conv.input, this.settings);
      this.state = pre.state;
      if (pre.action.kind === 'stop') return this.finish(pre.action.reason);
      // Persist the pre-tick decisions (red counts, warnings, skeptic re-arm) so a crash during the
      // turn resumes — or replays the logged tick — from exactly this state.
      if (this.state !== before) saveState(this.paths.state, this.state);
      const { peer, index, skeptic } = pre.action;
      const headBefore = headSha(this.repo) ?? null;
      const prompt = this.prompt(peer, skeptic, headBefore, conv.bugLines);
      const tick = this.state.tick + 1;
      this.log(`peers: tick ${tick} peer=${peer}${skeptic ? ' (skeptic)' : ''} starting...`);
      const observed = await runPeerTurn(
        { repo: this.repo, paths: this.paths, config: this.config, softGoals: softGoals(this.goals), runner: this.runner, signal: this.signal, env: stringEnv(this.env) },
        { state: this.state, peer, index, skeptic, prompt, headBefore, extraWarnings: [] },
      );
      if (observed === 'aborted') return this.finish('interrupted');
      // A turn that changed the frozen acceptance contract is refused (src/modes/contract-guard.ts).
      const touched = frozenPathsTouched(this.contract, changedPathsBetween(this.repo, headBefore, observed.head_after));
      const obs = touched.length ? refuseTurn(observed, contractRefusal(peer, touched)) : observed;
      // Edits the turn made to the live .peers/ files: recorded in its line, shown in the next prompt.
      obs.warnings_emitted.push(...this.controlPlaneWarnings(headBefore, obs.head_after));
      const fin = finalizeTick(this.state, obs, this.settings);
      appendRunLine(this.paths.runs, this.tickLine(obs, fin.state, fin.peerStateAfter, fin.backoffMs));
      this.state = fin.state;
      saveState(this.paths.state, this.state);
      this.ticksThisRun++;
      const status = obs.success ? 'handoff' : obs.classification === 'success' ? 'no-handoff' : obs.classification;
      this.log(`peers: tick ${tick} ${status} head=${obs.head_after && obs.head_after !== headBefore ? obs.head_after.slice(0, 8) : 'no-new-commit'} dur=${Math.round(obs.duration_ms / 1000)}s${obs.cause ? ` -- ${obs.cause}` : ''}`);
      if (fin.exit) return this.finish(fin.exit);
      if (fin.backoffMs > 0) {
        this.log(`peers: peer=${peer} rate-limited (streak=${this.state.rate_limit_streak}); backing off ${Math.round(fin.backoffMs / 1000)}s before next tick`);
        await abortableSleep(fin.backoffMs, this.signal);
      }
    }
  }

  private runCtx() {
    return { ticksThisRun: this.ticksThisRun, stopRequested: this.signal.aborted };
  }

  /** Evaluates the hard gates unless the recorded results already belong to HEAD. */
  private async refreshGates(): Promise<void> {
    const head = headSha(this.repo) ?? null;
    if (!head || this.state.gates.head === head) return;
    const hard = hardGoals(this.goals);
    const results = await this.gateProbe({
      repo: this.repo, head, goals: hard, timeoutS: this.config.goals.timeout_s, jobs: this.config.goals.jobs, cacheFile: this.paths.gateCache,
      setup: this.config.setup, env: stringEnv(this.env), signal: this.signal,
    });
    // Gates cut short by a stop request say nothing about HEAD: evaluate them again on the next start.
    if (this.signal.aborted) return;
    this.state = recordGates(this.state, head, results);
    saveState(this.paths.state, this.state);
  }

  private convergenceInput(): { input: ConvergenceInput; bugLines: string[] } {
    let bugs: string[] = [];
    try {
      bugs = openBlockingBugs(readLedger(this.repo)).map((b) => formatBugLine(b).trim());
    } catch (error) {
      this.log(`peers: warning: cannot read the bug ledger: ${(error as Error).message}`);
    }
    const statuses = this.state.soft_status as unknown as Record<string, SoftStatus>;
    const softConsensus = softGoals(this.goals).every((g) => statuses[g.id] !== undefined && isSoftGoalPassed(g, statuses[g.id]!, this.state.peer_order));
    return { input: { hardGoalIds: hardGoals(this.goals).map((g) => g.id), openBlockingBugs: bugs.length, softConsensus }, bugLines: bugs };
  }

  private prompt(peer: string, skeptic: boolean, head: string | null, bugLines: string[]): string {
    const results = this.state.gates.results;
    const goals: GoalLine[] = this.goals.goals.map((g) =>
      g.type === 'hard'
        ? { id: g.id, type: 'hard', state: results[g.id]?.state ?? 'not yet evaluated', diagnostic: results[g.id]?.state === 'fail' ? results[g.id]!.diagnostic : undefined, description: g.description }
        : { id: g.id, type: 'soft', state: 'not yet evaluated', description: g.description },
    );
    const statuses = this.state.soft_status as unknown as Record<string, SoftStatus>;
    for (const line of goals) {
      const g = softGoals(this.goals).find((s) => s.id === line.id);
      const st = g ? statuses[g.id] : undefined;
      if (!g || !st) continue;
      // Soft goals show their review progress (baseline quirk §23.8: always "not yet evaluated").
      if (isSoftGoalPassed(g, st, this.state.peer_order)) line.state = 'pass';
      else {
        line.state = 'in review';
        line.diagnostic = `consensus ${st.consensusCount}/${g.consensus_needed}${st.lastPass === false ? `; last review by ${st.lastReviewer ?? '?'} failed` : ''}`;
      }
    }
    const stuckAt = Math.max(2, Math.ceil(this.settings.goals.stuckHaltAfter / 2));
    return buildPrompt({
      peer,
      others: this.state.peer_order.filter((p) => p !== peer),
      skeptic,
      cleanTicks: this.state.clean_ticks,
      recon: readDigest(this.paths.recon),
      codemap: readDigest(this.paths.codemap),
      goals,
      stuckGates: Object.entries(this.state.gates.red_streak)
        .filter(([, n]) => n >= stuckAt)
        .map(([id, redTicks]) => ({ id, redTicks })),
      warnings: [...new Set([...this.state.warnings, ...(this.state.peer_warnings[peer] ?? [])])],
      inbox: inboxLines(this.repo, peer, this.state.inbox_cursor[peer], head),
      changes: changesSince(this.repo, this.state.inbox_cursor[peer], head),
      openBlockingBugs: bugLines,
      softReviewsRequested: pendingSoftGoals(softGoals(this.goals), statuses, this.state.peer_order, peer).map((g) => ({
        id: g.id,
        prompt: softGoals(this.goals).find((s) => s.id === g.id)?.prompt ?? '',
      })),
    });
  }

  /**
   * A warning for the next prompt when the turn committed to `.peers/` (every such turn), or the live
   * `.peers/` files differ from the snapshot (once per distinct difference, so a lingering
   * uncommitted edit is not repeated every tick).
   */
  private controlPlaneWarnings(headBefore: string | null, headAfter: string | null): string[] {
    const live = detectControlPlaneEdits(this.repo, this.paths.snapshotDir);
    const key = JSON.stringify(live);
    const committed = headBefore && headAfter && headBefore !== headAfter ? controlPlaneEditsInRange(this.repo, headBefore, headAfter) : [];
    const liveIsNew = live.length > 0 && key !== this.warnedEdits;
    this.warnedEdits = key;
    if (!committed.length && !liveIsNew) return [];
    const edits = [...committed];
    for (const e of live) if (!edits.some((x) => x.path === e.path)) edits.push(e);
    return [formatControlPlaneEdits(edits)];
  }

  private tickLine(obs: TickObservation, after: LoopState, peerStateAfter: string, backoffMs: number) {
    const hard: Record<string, string> = {};
    for (const g of hardGoals(this.goals)) hard[g.id] = after.gates.results[g.id]?.state ?? 'unknown';
    const soft: Record<string, string> = {};
    const statuses = after.soft_status as unknown as Record<string, SoftStatus>;
    for (const g of softGoals(this.goals)) soft[g.id] = `${statuses[g.id]?.consensusCount ?? 0}/${g.consensus_needed}`;
    return {
      event: 'tick' as const,
      ts: after.updated_at,
      ...obs,
      // The baseline's flat names for the matched pattern, for tools that read runs.jsonl.
      matched_error_pattern: obs.matched?.pattern ?? null,
      matched_error_snippet: obs.matched?.snippet ?? null,
      matched_error_source: obs.matched?.source ?? null,
      spent_tokens_total: after.budget.spent_tokens,
      spent_usd_total: after.budget.spent_usd,
      peer_state_after: peerStateAfter,
      /** The rate-limit wait before the next tick (0 unless this turn was rate-limited). */
      backoff_ms: backoffMs,
      clean_ticks: after.clean_ticks,
      gates: { head: after.gates.head, hard, soft },
    };
  }

  private finishRecords(reason: string): void {
    appendRunLine(this.paths.runs, { event: 'exit', ts: new Date().toISOString(), reason, ticks_in_run: this.ticksThisRun, tick: this.state.tick });
    writeStopReason(this.paths.stopReason, reason);
    if (reason === ALL_PEERS_DOWN) writeHaltedFile(this.paths.halted, this.state, reason, this.paths.runs);
    saveState(this.paths.state, this.state);
  }

  private finish(reason: string): LoopOutcome {
    this.finishRecords(reason);
    this.log(`peers: stopped: ${reason}`);
    return { reason, exitCode: exitCodeFor(reason), ticksInRun: this.ticksThisRun, stateDir: this.paths.dir };
  }
}

function readDigest(path: string): string | undefined {
  try {
    return readTextIfExists(path, 1 * MiB);
  } catch {
    return undefined;
  }
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') out[k] = v;
  return out;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
