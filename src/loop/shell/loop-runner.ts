/**
 * `peers loop`: the imperative shell around the pure core in tick.ts. Per tick:
 *   stop checks → hard gates at HEAD (clean checkout, once per HEAD) → stuck/convergence → one peer
 *   turn → finalize → runs.jsonl line → atomic state.json.
 * The loop enforces the config/goals snapshot (taken by the host: control-snapshot.ts), never the
 * live `.peers/` files. It reads commits only through the trusted mirror (RunObserver), and runs
 * git in the peers' repository only through the workspace runner (WorkspaceGit).
 * Every exit writes an exit line, `last-stop-reason.txt` and state.json; a SIGKILL between the log
 * line and the state write is repaired on the next start (resume.ts).
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfigFile, loadGoalsFile, loadProject, projectDirFrom } from '../../config/load.ts';
import { hardGoals, softGoals, type GoalsFile } from '../../config/goals-schema.ts';
import type { PeersConfig } from '../../config/config-schema.ts';
import { runProviders } from '../../config/provider.ts';
import { forgetRefReads, git } from '../../git/git.ts';
import { resolveUsdCapMode } from '../../config/usd-cap-mode.ts';
import type { RunObserver } from '../../git/run-observer.ts';
import { adoptControlPlane, snapshotDigest } from '../../config/control-snapshot.ts';
import { InputError } from '../../cli/errors.ts';
import { ephemeralCacheKey, persistentCacheKey } from '../../gates/gate-cache.ts';
import { withGateCache } from './cached-gate-probe.ts';
import { readAttestations, readAttestationView } from '../../protocol/attestation.ts';
import { BLOCKING_SEVERITIES, openBlockingBugs, readLedger, formatBugLine } from '../../protocol/bug-ledger.ts';
import { isSoftGoalPassed } from '../../protocol/soft-reviews.ts';
import { controlPlaneEditsInRange, detectControlPlaneEdits, formatControlPlaneEdits } from '../../protocol/control-plane-guard.ts';
import { readGitExecSurface } from '../../protocol/git-hook-guard.ts';
import { formatSurfaceList } from '../../protocol/gate-surface.ts';
import { formatMarkerFinding, type MarkerFinding } from '../../protocol/test-markers.ts';
import { unexcusedMarkers } from '../../protocol/unexcused-markers.ts';
import { LocalPeerRunner, type PeerRunner } from '../../proc/peer-runner.ts';
import { ensureStateDirs, leftoverPatchFile, stateDirFor, statePaths, type StatePaths } from '../../state/paths.ts';
import { acquireRepositoryLoopLock } from '../../state/project-locks.ts';
import { acquireRunLock, type RunLock } from '../../state/run-lock.ts';
import { appendRunLine, readRunLog, repairTornTail, tickLines } from '../../state/run-log.ts';
import { freshState, type LoopState } from '../../state/state-schema.ts';
import { loadState, saveState } from '../../state/state-store.ts';
import { exitCodeFor, formatStopReason, refreshesGatesOnStop, writeStopReason, type StopReason } from '../../state/stop-reason.ts';
import { writeHaltedFile } from '../../state/halted-file.ts';
import { keepReserve } from '../../state/disk-reserve.ts';
import { recordStorageStop, storageStop } from './storage-stop.ts';
import { GATE_PROBE_ROLES, notePodHealth, POD_START_WAIT_MS, podDownCause, type PodHealth } from '../pod-health.ts';
import { settingsForRun, withOperatorControl, type LoopSettings } from '../settings.ts';
import { budgetStop, stopAfterTurn } from '../stop-check.ts';
import { countRedTick, decidePreTick, finalizeTick, type GateInput, type TickObservation } from '../tick.ts';
import type { ConvergenceInput } from '../convergence.ts';
import { baselineTestsStep } from './baseline-tests-run.ts';
import { applyOperatorActions, syncPeerOrder } from '../operator-actions.ts';
import { resumeFromLog } from '../resume.ts';
import { saveLeftovers } from './leftover-patch.ts';
import { startCleanup, sweepGitLocks } from './start-cleanup.ts';
import { describeUnattested, newUnattested } from './unattested.ts';
import { probeGatesIn, type GateProbe } from './gate-probe.ts';
import { withFreshRetries } from './fresh-retry-probe.ts';
import { GateCheckout } from '../../gates/gate-checkout.ts';
import { BackgroundGates } from './background-gates.ts';
import { cheapGoals, recordAtHead, recordProbe } from '../expensive-gates.ts';
import type { HardGoal } from '../../config/goals-schema.ts';
import { HistoryFacts } from './history-facts.ts';
import { runPeerTurn, type TurnOutcome } from './peer-turn.ts';
import { withLedgerSpend } from '../budget-ledger.ts';
import { LEDGER_UNREADABLE, RunLedger, type TurnMeter } from './run-ledger.ts';
import { describeWaiters, waitersOf, type Waiter } from '../peer-sleep.ts';
import { readBudgetPolicy } from '../../budget/budget-policy-file.ts';
import { buildTurnPrompt, type RunHistory } from './turn-prompt.ts';
import { openRunPlaces, trackedFiles, type RunPlaces } from './run-places.ts';
import { prepareRunContext } from '../../recon/run-context.ts';
import { readControl } from '../../state/operator-control.ts';
import { formatDuration } from '../runtime-change.ts';
import { gatesLine } from '../gates-line.ts';
import type { Contract } from '../../mode-registry/contract.ts';
import { changedPathsBetween, contractRefusal, frozenContractAtStart, frozenPathsTouched, refuseTurn } from './contract-guard.ts';

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
  /**
   * The budget policy `peers up` resolved (caps and max_usd_mode): in the pod the loop takes it
   * from there instead of deciding `auto` from its own key-less environment.
   */
  budgetPolicy?: string;
  /** The auth sidecar's usage ledger: when given, it is the authority for tokens and USD. */
  usageLedger?: string;
  /** Graceful stop (the command wires SIGTERM/SIGINT to it). */
  signal?: AbortSignal;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /**
   * In the pod (`peers up`): `repo` is the run clone as the loop sees it, the peers work on it at
   * `workspaceDir` in the workspace container, and the control plane is the read-only snapshot the
   * host took. Without it (the host-only loop) `repo` is the peers' repository on this machine.
   */
  pod?: { workspaceDir: string };
  /** Host loop: adopt a `.peers/` that changed since the last snapshot (refused otherwise). */
  acceptChanges?: boolean;
  /** In the pod: which of its containers are down (the lifeline); the run holds while any is. */
  podHealth?: PodHealth;
};

export type LoopOutcome = { reason: string; stop: StopReason; exitCode: number; ticksInRun: number; stateDir: string };

export async function runLoop(o: LoopOptions): Promise<LoopOutcome> {
  const pod = o.pod;
  const repo = pod ? resolve(o.repo) : projectDirFrom(o.repo);
  if (!pod) loadProject(repo); // validates the live files, so errors name the user's own file and line
  const paths = statePaths(o.stateDir ?? stateDirFor(repo, o.env ?? process.env));
  ensureStateDirs(paths);
  const lock = acquireRunLock(paths.lock);
  // On the host the loop works in the repository itself: one loop per repository, whatever the
  // state directory. (In the pod the repository is the run clone inside the state directory.)
  let repoLock: RunLock | undefined;
  try {
    repoLock = pod ? undefined : acquireRepositoryLoopLock(repo, o.env ?? process.env);
  } catch (error) {
    lock.release();
    throw error;
  }
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let stopTracking: (() => void) | undefined;
  let gateCheckout: GateCheckout | undefined;
  try {
    stopTracking = await startCleanup(paths, { workDir: repo, allowGitFile: !pod }, log);
    // Space to record a stop in, should the disk fill (storage-stop.ts).
    keepReserve(paths.diskReserve);
    if (pod) {
      // The pod's loop has no `.peers/`: only the snapshot `peers up` took (mounted read-only).
      if (!existsSync(join(paths.snapshotDir, 'config.yaml'))) throw new InputError(`no control-plane snapshot in ${paths.snapshotDir}`, { hint: 'start runs in the pod with `peers up`' });
    } else {
      adoptControlPlane(repo, paths.snapshotDir, { accept: o.acceptChanges ?? false, command: 'peers loop' });
    }
    const configPath = join(paths.snapshotDir, 'config.yaml');
    const goalsPath = join(paths.snapshotDir, 'goals.yaml');
    const config = loadConfigFile(configPath);
    const goals: GoalsFile = existsSync(goalsPath) ? loadGoalsFile(goalsPath) : { goals: [] };
    // implement mode: the frozen acceptance contract must be the one contracts.log records.
    const contract = frozenContractAtStart(goals, paths.snapshotDir);
    const digest = snapshotDigest(paths.snapshotDir);
    const env = o.env ?? process.env;
    const policy = o.budgetPolicy ? readBudgetPolicy(o.budgetPolicy) : undefined;
    const usd = policy ? { mode: policy.max_usd_mode, reason: `${policy.reason}; resolved by peers up at ${policy.resolved_at}` } : resolveUsdCapMode(config, env, homedir());
    // The policy's caps are the run's caps (peers up folded its flags into them).
    const settings = settingsForRun(config, policy, {
      maxTicksThisRun: o.maxTicks,
      maxUsd: o.maxUsd,
      maxRuntimeS: o.maxRuntimeS,
      maxTokens: o.maxTokens,
      maxConsecutiveFailures: o.maxConsecutiveFailures,
      noSkeptic: o.noSkeptic,
      usdMode: usd.mode,
      backoffBaseMs: o.backoffBaseMs,
    });
    repairTornTail(paths.runs);
    const names = config.peers.map((p) => p.name);
    let state = syncPeerOrder(loadState(paths.state) ?? freshState(names), names);
    const ledger = o.usageLedger ? new RunLedger(o.usageLedger, log) : null;
    if (ledger) ledger.readOrThrowInput();
    const resumed = resumeFromLog(state, tickLines(readRunLog(paths.runs)), settings);
    state = resumed.state;
    if (resumed.replayed.length) log(`peers: resumed: tick ${resumed.replayed.join(', ')} was logged but not saved; state rebuilt from runs.jsonl`);
    if (resumed.warning) log(`peers: warning: ${resumed.warning}`);
    const acted = applyOperatorActions(state, { configChanged: state.config_digest !== null && state.config_digest !== digest, resetPeers: o.resetPeers ?? [] });
    state = {
      ...acted.state,
      config_digest: digest,
      warnings: [...acted.state.warnings, ...acted.notes],
      budget: { ...(ledger ? withLedgerSpend(acted.state.budget, ledger.spend!) : acted.state.budget), usd_cap_mode: `${usd.mode} (${usd.reason})` },
    };
    for (const n of acted.notes) log(`peers: ${n}`);
    const runner = o.runner ?? new LocalPeerRunner();
    const places = openRunPlaces({ repo, paths, runner, pod, env, log });
    // Anchors of the run, recorded once: where reviews and audits begin (never the movable
    // peers-baseline tag), and the hooks and git config that were already there (the user's own).
    // Both are read without running git in the peers' repository: HEAD from the mirror, the
    // hooks and config as files.
    if (state.baseline === null) state = { ...state, baseline: places.observer.head() };
    if (state.git_exec_surface === null) state = { ...state, git_exec_surface: readGitExecSurface(repo, { allowGitFile: places.live }) };
    // Project context for the prompts, generated once (no model call); best-effort. The file list
    // is HEAD's tree in the mirror: no git runs in the peers' repository.
    const context = prepareRunContext(repo, paths.dir, {
      recon: !o.noRecon && !existsSync(paths.recon),
      codemap: !o.noCodemap && !(existsSync(paths.codemap) && existsSync(join(paths.dir, 'CODEMAP.yaml'))),
      files: trackedFiles(places.observer),
    });
    for (const w of context.warnings) log(`peers: warning: ${w}`);
    state = { ...state, warnings: [...state.warnings, ...context.warnings] };
    saveState(paths.state, state);
    // Gate passes are remembered by the loop alone, under its own key (gate-cache.ts).
    const cacheKey = pod ? persistentCacheKey(paths.gateCacheKey) : ephemeralCacheKey();
    // Host gates run in one checkout reused for the whole run (gate-checkout.ts).
    gateCheckout = o.gateProbe ? undefined : new GateCheckout();
    // A failing gate's retries each get a fresh checkout (fresh-retry-probe.ts), never the one its failed attempt left.
    const gateProbe = withGateCache(withFreshRetries(o.gateProbe ?? probeGatesIn(gateCheckout!)), { path: paths.gateCache, key: cacheKey });
    const signal = o.signal ?? new AbortController().signal;
    const run = new LoopRun(places, paths, config, goals, settings, state, runner, gateProbe, signal, log, env, ledger, contract, o.podHealth);
    // In the pod: `peers up` starts every container at once, the loop among them; the first tick
    // (its turn) waits until each of them serves (sandbox/lifeline.ts), its gates only until the
    // containers a probe uses serve (GATE_PROBE_ROLES): the probe runs while the rest start.
    const late = await run.awaitPod(o.podHealth);
    if (late.length && !signal.aborted) log(`peers: warning: ${late.join(', ')} did not start within ${POD_START_WAIT_MS / 1000}s`);
    return await run.run();
  } catch (error) {
    // A full disk before the first tick: the state on disk is untouched (storage-stop.ts).
    const stop = storageStop(error, paths.dir);
    if (!stop) throw error;
    const state = loadStateIfReadable(paths.state);
    recordStorageStop(paths, stop, { tick: state?.tick ?? 0, ticksInRun: 0 }, o.log ?? ((line: string) => process.stderr.write(`${line}\n`)));
    return { reason: formatStopReason(stop), stop, exitCode: exitCodeFor(stop), ticksInRun: 0, stateDir: paths.dir };
  } finally {
    gateCheckout?.close();
    stopTracking?.();
    repoLock?.release();
    lock.release();
  }
}

function loadStateIfReadable(path: string): LoopState | undefined {
  try {
    return loadState(path);
  } catch {
    return undefined;
  }
}

class LoopRun {
  private ticksThisRun = 0;
  private warnedEdits = '';
  /** unexcusedMarkersAt's answer for the last HEAD it read, and each commit's own markers. */
  private markersAt: { head: string; count: number | null } | undefined;
  private readonly markerMemo = new Map<string, MarkerFinding[]>();
  /** The settings with the operator's controls of this tick applied (readOperatorControl). */
  private settings: LoopSettings;
  /** What the last control read said, so each change is logged once. */
  private controlSeen = '';
  /** What the last gates line on the console said (gates-line.ts): a line only when that changes. */
  private gatesSaid: string | undefined;
  private readonly history: HistoryFacts;
  /** `expensive` goals: measured in the background while a peer works, fresh before convergence. */
  private readonly expensive: BackgroundGates;

  private readonly repo: string;
  private readonly observer: RunObserver;
  /** The state as state.json last had it written (runLoop saved it before the first tick). */
  private saved: LoopState;

  constructor(
    private readonly where: RunPlaces,
    private readonly paths: StatePaths,
    private readonly config: PeersConfig,
    private readonly goals: GoalsFile,
    private readonly baseSettings: LoopSettings,
    private state: LoopState,
    private readonly runner: PeerRunner,
    private readonly gateProbe: GateProbe,
    private readonly signal: AbortSignal,
    private readonly log: (line: string) => void,
    private readonly env: NodeJS.ProcessEnv,
    private readonly ledger: RunLedger | null,
    private readonly contract: Contract | undefined,
    private readonly podHealth: PodHealth | undefined,
  ) {
    this.settings = baseSettings;
    this.saved = state;
    this.repo = where.repo;
    this.observer = where.observer;
    this.history = new HistoryFacts(where.observer.mirror);
    this.expensive = new BackgroundGates(hardGoals(goals), (head, g, signal) => this.evaluateGates(head, g, signal), signal, log);
  }

  /** The peers' HEAD, imported into the mirror; on failure the mirror's last head (and a log line). */
  private head(): string | null {
    try {
      return this.observer.sync().head;
    } catch (error) {
      // A full disk stops the run (storage-stop.ts); other failures fall back to the last head.
      if (storageStop(error, this.observer.mirror)) throw error;
      this.log(`peers: warning: ${(error as Error).message}`);
      return this.observer.head();
    }
  }

  async run(): Promise<LoopOutcome> {
    try {
      return await this.loop();
    } catch (error) {
      await this.expensive.stop();
      const storage = storageStop(error, this.paths.dir);
      if (storage) {
        recordStorageStop(this.paths, storage, { state: this.state, tick: this.state.tick, ticksInRun: this.ticksThisRun }, this.log);
        return { reason: formatStopReason(storage), stop: storage, exitCode: exitCodeFor(storage), ticksInRun: this.ticksThisRun, stateDir: this.paths.dir };
      }
      // Every exit leaves a trace, even an unexpected one.
      const reason: StopReason = { kind: 'error', name: (error as Error).name || 'Error' };
      try {
        this.finishRecords(reason);
      } catch {}
      throw error;
    } finally {
      // No gate process outlives the run (background-gates.ts).
      await this.expensive.stop();
    }
  }

  private async loop(): Promise<LoopOutcome> {
    for (;;) {
      // What the last tick read of the mirror's refs is read afresh (src/git/read-memo.ts).
      forgetRefReads();
      // The operator's controls, re-read every tick; a control file that cannot be read holds the run.
      if (!this.readOperatorControl()) {
        if (this.signal.aborted) return this.finish({ kind: 'interrupted' });
        await abortableSleep(CONTROL_POLL_MS, this.signal);
        continue;
      }
      // A dead container of the pod: hold (no gates, no turn) until it is back (pod-health.ts).
      if (this.notePod().length) {
        if (this.signal.aborted) return this.finish({ kind: 'interrupted' });
        await this.podHealth!.changed(this.signal);
        continue;
      }
      // Spend as the sidecar recorded it, also what was spent while no loop ran.
      const unreadable = this.syncLedger();
      if (unreadable) return this.finish(unreadable);
      const early = budgetStop(this.state, this.runCtx(), this.settings);
      if (early.stop) {
        if (refreshesGatesOnStop(early.stop)) await this.refreshGates();
        return this.finish(early.stop);
      }
      await this.refreshGates();
      const said = gatesLine(this.state.gates, this.gatesSaid);
      if (said) {
        this.gatesSaid = said.key;
        this.log(said.line);
      }
      const before = this.state;
      this.state = countRedTick(this.state);
      const conv = this.convergenceInput();
      // Convergence counts only expensive gates measured at exactly this HEAD (expensive-gates.ts).
      this.state = await this.expensive.measureForConvergence(this.state, conv.input, this.settings);
      if (!this.signal.aborted) {
        this.state = await baselineTestsStep({
          state: this.state, input: conv.input, settings: this.settings, mirror: this.observer.mirror, goals: hardGoals(this.goals),
          probe: (sha, goals) => this.evaluateGates(sha, goals), signal: this.signal, log: (line) => this.log(line),
        });
      }
      if (this.signal.aborted) return this.finish({ kind: 'interrupted' });
      const pre = decidePreTick(this.state, this.runCtx(), conv.input, this.settings);
      this.state = pre.state;
      if (pre.action.kind === 'stop') return this.finish(pre.action.reason);
      // Persist the gates just measured and the pre-tick decisions (red counts, warnings, skeptic
      // re-arm) in one write, so a crash during the turn resumes — or replays the logged tick —
      // from exactly this state (docs/ARCHITECTURE.md, "Crash consistency of a tick").
      this.persist();
      if (pre.action.kind === 'wait') {
        await this.waitForWake(pre.action.untilMs, pre.action.waiters);
        continue;
      }
      if (pre.action.kind === 'paused') {
        // Paused peers cost nothing: the wait is not peer turn time (budget.max_runtime_s).
        await abortableSleep(CONTROL_POLL_MS, this.signal);
        continue;
      }
      const { peer, index, skeptic, audits } = pre.action;
      const headBefore = this.head();
      const outside = this.unattestedBefore(headBefore);
      const tick = this.state.tick + 1;
      const prompt = buildTurnPrompt({ repo: this.observer.mirror, paths: this.paths, goals: this.goals, settings: this.settings, state: this.state, history: conv.history, tick }, { peer, skeptic, audits, head: headBefore });
      this.log(`peers: tick ${tick} peer=${peer}${skeptic ? ' (skeptic)' : ''} starting...`);
      this.expensive.startFor(this.state);
      let metered: TurnMeter | null | undefined;
      const outcome = await runPeerTurn(
        {
          repo: this.repo, lenient: this.where.live, observer: this.observer, workspace: this.where.workspace, peerCwd: this.where.peerCwd,
          paths: this.paths, config: this.config, softGoals: softGoals(this.goals), runner: this.runner, signal: this.signal, env: stringEnv(this.env),
          history: this.history, probeGates: (head, skip) => this.probeTestOnly(headBefore, head, skip),
          touchesContract: (head) => (this.contract && headBefore ? frozenPathsTouched(this.contract, changedPathsBetween(this.observer.mirror, headBefore, head)).length > 0 : false),
          gatesBeforeSettled: (head) => this.expensive.statesAt(this.state, head), log: this.log,
          // The limits the vendor reported during the turn, read with its spend (one ledger read).
          vendorLimits: this.ledger ? async () => (metered = await this.ledger!.turnSpend())?.limits ?? [] : undefined,
          // In the pod a provider is an upstream of the auth sidecar, which holds its key.
          providers: this.where.live ? undefined : runProviders(this.config.peers),
        },
        { state: this.state, peer, index, skeptic, audits, selfUnaudited: conv.history.unauditedAuthors.includes(peer), prompt, headBefore, extraWarnings: outside.warning ? [outside.warning] : [] },
      );
      if (outcome === 'aborted') return this.finish({ kind: 'interrupted' });
      // The turn's processes are gone: a git lock left now would fail the next peer's turn.
      sweepGitLocks({ workDir: this.repo, allowGitFile: this.where.live }, `${peer}'s turn (tick ${tick})`, this.log);
      // What the turn left uncommitted never reaches another peer's commit (leftover-work.ts):
      // discarded once the locks a killed peer left are gone; what stays is named to every other peer.
      if (outcome.discardUncommitted) {
        const saved = await saveLeftovers(this.where.workspace, leftoverPatchFile(this.paths, tick, peer));
        this.log(`peers: ${peer} left uncommitted changes; ${saved}`);
        // Each step is a git process a peer's filter can stall into its timeout: the lock a
        // killed one leaves must not fail the next step or the next peer's turn.
        const sweep = () => sweepGitLocks({ workDir: this.repo, allowGitFile: this.where.live }, `the leftovers of ${peer}'s turn (tick ${tick})`, this.log);
        sweep();
        const left = await this.where.workspace.discardUncommitted();
        sweep();
        if (left.length) {
          const shown = left.slice(0, 20).join(', ');
          outcome.obs.soft_fail_reason = `${outcome.obs.soft_fail_reason ?? 'uncommitted changes left'}; they could not all be discarded: ${shown}`;
          outcome.obs.warnings_for_others = [...(outcome.obs.warnings_for_others ?? []), `${peer} left uncommitted changes the loop could not discard (${shown}): they are ${peer}'s, not yours; do not commit them`];
        }
      }
      const podDown = outcome.obs.success ? [] : this.notePod();
      if (podDown.length) Object.assign(outcome.obs, { pod_down: podDown, cause: podDownCause(podDown) });
      // A turn that changed the frozen acceptance contract is refused (contract-guard.ts);
      // what it changed is read in the trusted mirror, never in the peers' repository.
      const touched = this.contract ? frozenPathsTouched(this.contract, changedPathsBetween(this.observer.mirror, headBefore, outcome.obs.head_after)) : [];
      const obs = touched.length ? refuseTurn(outcome.obs, contractRefusal(peer, touched)) : outcome.obs;
      if (outside.shas.length) obs.unattested_commits = outside.shas;
      if (this.ledger) {
        if (metered === undefined) metered = await this.ledger.turnSpend();
        if (metered === null) return this.finish(LEDGER_UNREADABLE);
        Object.assign(obs, { metered_by: 'ledger', cli_tokens: obs.tokens_this_tick, cli_usd: obs.usd_this_tick, tokens_this_tick: metered.tokens, usd_this_tick: metered.usd });
      } else obs.metered_by = 'cli';
      // Edits the turn made to the live .peers/ files: recorded in its line, shown in the next prompts.
      const edits = this.controlPlaneWarnings(headBefore, obs.head_after, outcome.controlPlane);
      obs.warnings_emitted.push(...edits);
      if (edits.length) {
        obs.findings = [...(obs.findings ?? []), { kind: 'control-plane-edit', detail: `${peer}: ${edits.join(' ')}`.slice(0, 600), action: "ignored: the loop enforces its snapshot of .peers/" }];
        obs.warnings_for_others = [...(obs.warnings_for_others ?? []), ...edits];
      }
      // Gates the turn already measured at its HEAD are recorded, not evaluated again.
      if (outcome.gates && outcome.gates.head === obs.head_after) {
        this.expensive.noteSync(outcome.gates.results);
        this.state = recordProbe(this.state, outcome.gates.head, outcome.gates.results, hardGoals(this.goals));
      }
      this.state = this.expensive.harvest(this.state);
      const fin = finalizeTick(this.state, obs, this.settings);
      if (this.ledger?.spend) fin.state = { ...fin.state, budget: withLedgerSpend(fin.state.budget, this.ledger.spend) };
      appendRunLine(this.paths.runs, { ...this.tickLine(obs, fin.state, fin.peerStateAfter, fin.backoffMs, before.gates), sleeps_until: fin.sleep?.until ?? null });
      this.state = fin.state;
      this.persist();
      this.ticksThisRun++;
      const status = obs.success ? 'handoff' : obs.classification === 'success' ? 'no-handoff' : obs.classification;
      this.log(`peers: tick ${tick} ${status} head=${obs.head_after && obs.head_after !== headBefore ? obs.head_after.slice(0, 8) : 'no-new-commit'} dur=${Math.round(obs.duration_ms / 1000)}s${obs.cause ? ` -- ${obs.cause}` : ''}`);
      for (const f of obs.findings ?? []) if (f.kind !== 'test-marker') this.log(`peers: tick ${tick} anti-cheat: ${f.kind}: ${f.detail.slice(0, 160)} → ${f.action.slice(0, 120)}`);
      if (fin.sleep) this.log(`peers: peer=${peer} hit its usage limit; it sleeps until ${fin.sleep.until} (${fin.sleep.reason}) while the others work`);
      if (fin.exit) {
        const after = stopAfterTurn(fin.exit, this.state, this.runCtx(), this.settings);
        if (after.state !== this.state) {
          this.state = after.state;
          this.persist();
        }
        return this.finish(after.stop);
      }
      if (fin.backoffMs > 0) {
        this.log(`peers: peer=${peer} rate-limited (streak=${this.state.rate_limit_streak}); backing off ${Math.round(fin.backoffMs / 1000)}s before next tick`);
        await abortableSleep(fin.backoffMs, this.signal);
      }
    }
  }

  /**
   * Applies `control/operator.json` (paused peers, runtime cap) to this tick's settings and logs
   * what changed. False when the file exists but cannot be read or validated: the run is held
   * (fail closed), with one log line per distinct problem.
   */
  private readOperatorControl(): boolean {
    const read = readControl(this.paths.control);
    if (!read.ok) {
      const seen = `error:${read.error}`;
      if (seen !== this.controlSeen) this.log(`peers: the operator control file ${this.paths.control} cannot be used (${read.error}); holding the run until it is fixed (peers pause/resume rewrites it)`);
      this.controlSeen = seen;
      return false;
    }
    this.settings = withOperatorControl(this.baseSettings, read.control);
    const paused = [...(this.settings.paused ?? [])].sort();
    const seen = JSON.stringify({ paused, runtime: this.settings.budget.maxRuntimeS });
    if (seen !== this.controlSeen) {
      const was = this.controlSeen.startsWith('{') ? (JSON.parse(this.controlSeen) as { paused: string[]; runtime: number }) : { paused: [], runtime: this.baseSettings.budget.maxRuntimeS };
      for (const p of paused) if (!was.paused.includes(p)) this.log(`peers: ${p} is paused by the operator: no turns until \`peers resume ${p}\``);
      for (const p of was.paused) if (!paused.includes(p)) this.log(`peers: ${p} resumed by the operator`);
      if (was.runtime !== this.settings.budget.maxRuntimeS) this.log(`peers: max runtime is now ${formatDuration(this.settings.budget.maxRuntimeS)} (set by the operator)`);
      if (paused.length && this.state.peer_order.every((p) => paused.includes(p))) this.log(`peers: every peer is paused: waiting for \`peers resume NAME\``);
      this.controlSeen = seen;
    }
    return true;
  }

  /** Commits of the run no turn made, found as a turn starts (unattested.ts): reported, never credited. */
  private unattestedBefore(head: string | null): { shas: string[]; warning: string | null } {
    try {
      const found = newUnattested(this.observer.mirror, this.state.baseline, head, readAttestations(this.observer.mirror), this.state.unattested);
      const warning = describeUnattested(found);
      if (warning) this.log(`peers: warning: ${warning}`);
      return { shas: found.shas, warning };
    } catch (error) {
      this.log(`peers: warning: cannot check the run's commits for attestation: ${(error as Error).message}`);
      return { shas: [], warning: null };
    }
  }

  /** Records which containers of the pod are down (state.json, one log line per change); returns them. */
  private notePod(): string[] {
    const down = this.podHealth?.down() ?? [];
    const noted = notePodHealth(this.state, down);
    if (noted.state !== this.state) {
      this.state = noted.state;
      this.persist();
    }
    if (noted.line) this.log(noted.line);
    return down;
  }

  private runCtx() {
    return { ticksThisRun: this.ticksThisRun, stopRequested: this.signal.aborted, budgetRefusals: this.ledger?.spend?.refusals, nowMs: Date.now() };
  }

  /**
   * Every peer that could work sleeps for its usage limit: wait for the first to wake (decideWait
   * checked that it fits in max_runtime_s). The wait is run time: it counts against max_runtime_s.
   */
  private async waitForWake(untilMs: number, waiters: Waiter[]): Promise<void> {
    const started = Date.now();
    const ms = Math.max(0, untilMs - started);
    this.log(`peers: every peer waits for its usage limit: ${describeWaiters(waiters)}; waiting ${formatWait(ms)} (until ${new Date(untilMs).toISOString()})`);
    await abortableSleep(ms, this.signal);
    const waited = Date.now() - started;
    this.state = { ...this.state, budget: { ...this.state.budget, spent_runtime_ms: this.state.budget.spent_runtime_ms + waited } };
    this.persist();
  }

  /** Brings state.json's spend up to the ledger; a stop reason when the ledger cannot be read. */
  private syncLedger(): StopReason | null {
    if (!this.ledger) return null;
    const spend = this.ledger.read();
    if (!spend) return LEDGER_UNREADABLE;
    const budget = withLedgerSpend(this.state.budget, spend);
    if (budget.spent_tokens !== this.state.budget.spent_tokens || budget.spent_usd !== this.state.budget.spent_usd) {
      this.state = { ...this.state, budget };
      this.persist();
    }
    return null;
  }

  /**
   * Waits for the pod's containers (none outside a pod), measuring the gates at HEAD as soon as
   * the containers a probe uses serve; the loop's first refreshGates then finds HEAD measured.
   * Resolves with the containers that never came.
   */
  async awaitPod(health: PodHealth | undefined): Promise<string[]> {
    if (!health?.started) return [];
    const all = health.started(this.signal, POD_START_WAIT_MS);
    const probeLate = await health.started(this.signal, POD_START_WAIT_MS, GATE_PROBE_ROLES);
    if (!probeLate.length && !this.signal.aborted) await this.refreshGates();
    return await all;
  }

  /**
   * Evaluates the hard gates unless the recorded results already belong to HEAD. Not saved here:
   * the pre-tick save (or the stop's) writes them with the tick's decisions, one write instead of
   * two; a crash before it only measures the gates again (docs/ARCHITECTURE.md, "Crash consistency
   * of a tick").
   */
  private async refreshGates(): Promise<void> {
    const head = this.head();
    this.state = this.expensive.harvest(this.state);
    if (!head || this.state.gates.head === head) return;
    const results = await this.evaluateGates(head);
    // Gates cut short by a stop request say nothing about HEAD: evaluate them again on the next start.
    if (this.signal.aborted) return;
    this.expensive.noteSync(results);
    this.state = recordAtHead(this.state, head, results, hardGoals(this.goals));
  }

  /** Writes state.json (atomically) when the state changed since it was last written. */
  private persist(): void {
    if (this.state === this.saved) return;
    saveState(this.paths.state, this.state);
    this.saved = this.state;
  }

  /**
   * The hard gates at `head`, on a checkout from the trusted mirror; every gate learns the run's
   * baseline (the checks never trust the tag), in the pod too (gates-remote.ts).
   */
  private evaluateGates(head: string, goals: HardGoal[] = cheapGoals(hardGoals(this.goals)), signal = this.signal): Promise<GateInput[]> {
    return this.gateProbe({
      repo: this.observer.mirror, head, goals, timeoutS: this.config.goals.timeout_s, jobs: this.config.goals.jobs, depCache: this.paths.depCache,
      setup: this.config.setup, env: stringEnv(this.env), runBaseline: this.state.baseline ?? undefined, signal,
    });
  }

  /**
   * A test-only turn's probe: every hard gate at its HEAD, the expensive ones too, after the
   * expensive job on the commit it started from has reported, so a test-only turn that turns an
   * expensive gate green is seen like any other (anti-cheat.ts). The same for a turn's tests alone
   * (tests-alone.ts), without the gates in `skip` (known to pass before the turn).
   */
  private async probeTestOnly(before: string | null, head: string, skip: string[] = []): Promise<GateInput[]> {
    if (before) this.state = await this.expensive.settle(this.state, before);
    return this.evaluateGates(head, hardGoals(this.goals).filter((g) => !skip.includes(g.id)));
  }

  /**
   * What convergence needs from the repository. Anything that cannot be read holds the run
   * (fail closed): an unreadable ledger is not an empty one.
   */
  private convergenceInput(): { input: ConvergenceInput; history: RunHistory } {
    const repo = this.observer.mirror;
    const head = this.observer.head();
    const baseline = this.state.baseline ?? undefined;
    const history: RunHistory = { bugLines: [], gateSurfacePending: [], unauditedAuthors: [], fixes: [] };
    let ledgerReadable = true;
    try {
      const ledger = readLedger(repo, baseline, head ?? undefined);
      history.bugLines = openBlockingBugs(ledger).map((b) => formatBugLine(b).trim());
      history.fixes = ledger.reports.filter((b) => b.status === 'fixed' && b.resolution && BLOCKING_SEVERITIES.has(b.severity)).map((b) => ({ sha: b.resolution!.sha, fixer: b.resolution!.resolvedBy }));
    } catch (error) {
      ledgerReadable = false;
      this.log(`peers: warning: cannot read the bug ledger, convergence held: ${(error as Error).message}`);
    }
    let unapproved: number | null = 0;
    if (head) {
      try {
        const view = readAttestationView(repo, baseline, head);
        history.gateSurfacePending = this.history.pendingGateSurface(baseline, head, view).map((g) => ({ sha: g.sha, author: g.author, changes: formatSurfaceList(g.changes) }));
        unapproved = history.gateSurfacePending.length;
        history.unauditedAuthors = this.history.unauditedAuthors(this.state.peer_order, this.state.skeptic_audited, baseline, head, view);
      } catch (error) {
        unapproved = null;
        this.log(`peers: warning: cannot read the run's history, convergence held: ${(error as Error).message}`);
      }
    }
    const markers = head ? this.unexcusedMarkersAt(baseline, head) : 0;
    const statuses = this.state.soft_status;
    const softConsensus = softGoals(this.goals).every((g) => statuses[g.id] !== undefined && isSoftGoalPassed(g, statuses[g.id]!, this.state.peer_order));
    return {
      input: { hardGoalIds: hardGoals(this.goals).map((g) => g.id), openBlockingBugs: history.bugLines.length, ledgerReadable, softConsensus, unapprovedGateSurface: unapproved, unexcusedMarkers: markers, unauditedAuthors: history.unauditedAuthors },
      history,
    };
  }

  /**
   * Test markers since the baseline that no peer but their author excused (unexcused-markers.ts),
   * read once per HEAD in the mirror; null (held) when they cannot be read. Logged once per HEAD.
   */
  private unexcusedMarkersAt(baseline: string | undefined, head: string): number | null {
    if (this.markersAt?.head === head) return this.markersAt.count;
    const found = unexcusedMarkers(this.observer.mirror, baseline, head, this.markerMemo);
    const count = found.ok ? found.bad.length : null;
    this.markersAt = { head, count };
    if (!found.ok) this.log(`peers: warning: test markers cannot be read, convergence held: ${found.error}`);
    else if (count) this.log(`peers: convergence held: ${count} test marker(s) no peer but their author excused: ${found.bad.slice(0, 3).map((v) => `${formatMarkerFinding(v.finding)} (${v.why})`).join('; ').slice(0, 600)}`);
    return count;
  }

  /**
   * A warning for the next prompt when the turn committed to `.peers/` (every such turn), or the live
   * `.peers/` files differ from the snapshot (once per distinct difference, so a lingering
   * uncommitted edit is not repeated every tick).
   */
  private controlPlaneWarnings(headBefore: string | null, headAfter: string | null, read: TurnOutcome['controlPlane']): string[] {
    // The pod's clone has no live `.peers/` the peers can reach (masked); committed edits still count.
    const live = this.where.live ? detectControlPlaneEdits(this.repo, this.paths.snapshotDir) : [];
    const key = JSON.stringify(live);
    // The turn read them from its diff of the same range; a revert or a restore moved HEAD since.
    const committed = !headBefore || !headAfter || headBefore === headAfter ? [] : read?.head === headAfter ? read.edits : controlPlaneEditsInRange(this.observer.mirror, headBefore, headAfter);
    const liveIsNew = live.length > 0 && key !== this.warnedEdits;
    this.warnedEdits = key;
    if (!committed.length && !liveIsNew) return [];
    const edits = [...committed];
    for (const e of live) if (!edits.some((x) => x.path === e.path)) edits.push(e);
    return [formatControlPlaneEdits(edits)];
  }

  private tickLine(obs: TickObservation, after: LoopState, peerStateAfter: string, backoffMs: number, atStart: LoopState['gates']) {
    const hard: Record<string, string> = {};
    for (const g of hardGoals(this.goals)) hard[g.id] = after.gates.results[g.id]?.state ?? 'unknown';
    // The gates measured when the tick started, when the turn measured them again at its own HEAD
    // (a test-only turn): the report's gate timeline needs both commits' results.
    const startHard: Record<string, string> = {};
    if (atStart.head && atStart.head !== after.gates.head) for (const g of hardGoals(this.goals)) startHard[g.id] = atStart.results[g.id]?.state ?? 'unknown';
    const soft: Record<string, string> = {};
    const statuses = after.soft_status;
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
      /** This tick's gate time: synchronous and background measurements (expensive-gates.ts). */
      gate_time: this.expensive.takeTickTime(),
      gates: { head: after.gates.head, hard, soft, ...(Object.keys(startHard).length ? { start: { head: atStart.head, hard: startHard } } : {}) },
    };
  }

  private finishRecords(stop: StopReason): void {
    const reason = formatStopReason(stop);
    appendRunLine(this.paths.runs, { event: 'exit', ts: new Date().toISOString(), reason, ticks_in_run: this.ticksThisRun, tick: this.state.tick });
    writeStopReason(this.paths.stopReason, stop);
    if (stop.kind === 'all-peers-down') writeHaltedFile(this.paths.halted, this.state, reason, this.paths.runs);
    saveState(this.paths.state, this.state);
    this.saved = this.state;
  }

  private finish(stop: StopReason): LoopOutcome {
    this.finishRecords(stop);
    const reason = formatStopReason(stop);
    const why =
      stop.kind === 'blocked' && this.state.blocked
        ? ` — ${this.state.blocked.by}: ${this.state.blocked.reason.slice(0, 200)} (confirmed by ${this.state.blocked.confirmed_by})`
        : stop.kind === 'usage-limited'
          ? ` — every peer waits for its usage limit (${describeWaiters(waitersOf(this.state))}), past what max_runtime_s (${this.settings.budget.maxRuntimeS}s) leaves; \`peers up\` again after ${stop.until}, or raise budget.max_runtime_s`
          : '';
    this.log(`peers: stopped: ${reason}${why}`);
    return { reason, stop, exitCode: exitCodeFor(stop), ticksInRun: this.ticksThisRun, stateDir: this.paths.dir };
  }
}

function formatWait(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m < 1 ? `${Math.ceil(ms / 1000)}s` : m < 120 ? `${m} min` : `${(m / 60).toFixed(1)} h`;
}
/** How often a held run (unreadable control file, every peer paused) looks at the control file again. */
const CONTROL_POLL_MS = 3000;

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
