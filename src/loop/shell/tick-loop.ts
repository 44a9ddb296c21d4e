/**
 * The ticks of one run (`peers loop`, in the pod or on the host), the imperative shell around the
 * pure core in tick.ts. Per tick:
 *   operator controls, pod health, ledger spend → stop checks → hard gates at HEAD (clean checkout,
 *   once per HEAD) → convergence facts → pre-tick decisions (saved) → one peer turn → what the turn
 *   left, changed or spent → finalize → runs.jsonl line → atomic state.json.
 * The loop reads commits only through the trusted mirror (RunObserver), and runs git in the peers'
 * repository only through the workspace runner (WorkspaceGit). loop-runner.ts opens the run (locks,
 * snapshot, state) and hands it here.
 */
import { hardGoals, softGoals, type GoalsFile } from '../../config/goals-schema.ts';
import { goalCommandReferences } from '../../protocol/surface-references.ts';
import type { PeersConfig } from '../../config/config-schema.ts';
import { runProviders } from '../../config/provider.ts';
import { forgetRefReads } from '../../git/git.ts';
import type { RunObserver } from '../../git/run-observer.ts';
import type { PeerRunner } from '../../proc/peer-runner.ts';
import type { StatePaths } from '../../state/paths.ts';
import { appendRunLine } from '../../state/run-log.ts';
import type { LoopState } from '../../state/state-schema.ts';
import { saveState } from '../../state/state-store.ts';
import { clearLiveTurn, readLiveTurn } from '../../state/live-turn.ts';
import { readTextIfExists } from '../../fs/safe-read.ts';
import { join } from 'node:path';
import { exitCodeFor, formatStopReason, refreshesGatesOnStop, writeStopReason, type StopReason } from '../../state/stop-reason.ts';
import { writeHaltedFile } from './halted-file.ts';
import { readControl } from '../../state/operator-control.ts';
import type { Contract } from '../../mode-registry/contract.ts';
import { withLedgerSpend } from '../budget-ledger.ts';
import { controlChanges, controlProblem, NOTHING_SEEN, type ControlSeen } from '../control-notes.ts';
import { gatesLine } from '../gates-line.ts';
import type { Waiter } from '../peer-sleep.ts';
import { GATE_PROBE_ROLES, notePodHealth, POD_START_WAIT_MS, podDownCause, type PodHealth } from '../pod-health.ts';
import { withOperatorControl, type LoopSettings } from '../settings.ts';
import { budgetStop, stopAfterTurn } from '../stop-check.ts';
import { countRedTick, decidePreTick, finalizeTick, type Finalized, type GateInput } from '../tick.ts';
import { retryLine, stopLine, tickLine, turnEndLines, wakeWaitLine } from '../tick-report.ts';
import type { BackgroundGates } from './background-gates.ts';
import { HeadGates } from './head-gates.ts';
import { baselineTestsStep } from './baseline-tests-run.ts';
import { changedPathsBetween, contractRefusal, frozenPathsTouched, refuseTurn } from './contract-guard.ts';
import { ControlPlaneWatch } from './control-plane-watch.ts';
import { UnreadCodeReader } from './unread-code.ts';
import { ConvergenceFacts } from './convergence-facts.ts';
import type { GateProbe } from './gate-probe.ts';
import { HistoryFacts } from './history-facts.ts';
import { discardLeftovers } from './leftover-patch.ts';
import { closeInterruptedTurn, runPeerTurn } from './peer-turn.ts';
import type { TurnContext, TurnOutcome } from './turn-context.ts';
import { LEDGER_UNREADABLE, type RunLedger, type TurnMeter } from './run-ledger.ts';
import type { RunPlaces } from './run-places.ts';
import { sweepGitLocks } from './start-cleanup.ts';
import { recordStorageStop, storageStop } from './storage-stop.ts';
import { buildTurnPrompt } from './turn-prompt.ts';
import { unattestedAtTurnStart } from './unattested.ts';

export type LoopOutcome = { reason: string; stop: StopReason; exitCode: number; ticksInRun: number; stateDir: string };

export class TickLoop {
  private ticksThisRun = 0;
  /** Whether a turn an earlier loop left unclosed (turn.json) was looked for (closeInterrupted). */
  private interruptedClosed = false;
  /** The settings with the operator's controls of this tick applied (readOperatorControl). */
  private settings: LoopSettings;
  /** What the last control read said, so each change is logged once (control-notes.ts). */
  private controlSeen: ControlSeen = NOTHING_SEEN;
  /** What the last gates line on the console said (gates-line.ts): a line only when that changes. */
  private gatesSaid: string | undefined;
  private readonly history: HistoryFacts;
  private readonly convergence: ConvergenceFacts;
  private readonly controlPlane: ControlPlaneWatch;
  private readonly gates: HeadGates;
  /** `expensive` goals: measured in the background while a peer works, fresh before convergence. */
  private readonly expensive: BackgroundGates;
  /** The environment as gates and peers get it: defined variables only. */
  private readonly childEnv: Record<string, string>;

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
    this.history = new HistoryFacts(where.observer.mirror, goalCommandReferences(hardGoals(goals), config.setup));
    const unread = new UnreadCodeReader(where.observer.mirror, paths.snapshotDir);
    this.convergence = new ConvergenceFacts(where.observer.mirror, this.history, log, unread);
    this.controlPlane = new ControlPlaneWatch({ repo: where.repo, live: where.live, snapshotDir: paths.snapshotDir, mirror: where.observer.mirror }, unread);
    this.childEnv = stringEnv(env);
    this.gates = new HeadGates({ probe: gateProbe, mirror: where.observer.mirror, config, goals, paths, env: this.childEnv, baseline: () => this.state.baseline ?? undefined, signal, log });
    this.expensive = this.gates.expensive;
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
      // Once, with the pod up: a turn an earlier loop never closed is closed before anything else.
      if (!this.interruptedClosed) {
        this.interruptedClosed = true;
        const stopped = await this.closeInterrupted();
        if (stopped) return stopped;
      }
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
      const conv = this.convergence.read(this.state, this.goals, this.observer.head());
      // Convergence counts only expensive gates measured at exactly this HEAD (expensive-gates.ts).
      this.state = await this.expensive.measureForConvergence(this.state, conv.input, this.settings);
      if (!this.signal.aborted) {
        this.state = await baselineTestsStep({
          state: this.state, input: conv.input, settings: this.settings, mirror: this.observer.mirror, goals: hardGoals(this.goals),
          probe: (sha, goals) => this.gates.evaluate(sha, goals), signal: this.signal, log: (line) => this.log(line),
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
      // Commits of the run no turn made (unattested.ts): reported, never credited.
      const outside = unattestedAtTurnStart(this.observer.mirror, this.state, headBefore, this.log);
      const tick = this.state.tick + 1;
      const prompt = buildTurnPrompt({ repo: this.observer.mirror, paths: this.paths, goals: this.goals, settings: this.settings, state: this.state, history: conv.history, tick }, { peer, skeptic, audits, head: headBefore });
      this.log(`peers: tick ${tick} peer=${peer}${skeptic ? ' (skeptic)' : ''} starting...`);
      this.expensive.startFor(this.state);
      const meter: { turn?: TurnMeter | null } = {};
      const outcome = await runPeerTurn(this.turnContext(headBefore, meter), {
        state: this.state, peer, index, skeptic, audits, selfUnaudited: conv.history.unauditedAuthors.includes(peer), prompt, headBefore, extraWarnings: outside.warning ? [outside.warning] : [],
      });
      const fin = await this.recordTurn(outcome, { tick, peer, headBefore, gatesAtStart: before.gates, unattested: outside.shas, meter });
      if (!('state' in fin)) return fin;
      if (fin.exit) return this.stopAfter(fin.exit);
      // The loop was stopped during the turn: closed and recorded as interrupted, the run stops.
      if (outcome.obs.interrupted) return this.finish({ kind: 'interrupted' });
      if (fin.backoffMs > 0) {
        this.log(`peers: peer=${peer} rate-limited (streak=${this.state.rate_limit_streak}); backing off ${Math.round(fin.backoffMs / 1000)}s before next tick`);
        await abortableSleep(fin.backoffMs, this.signal);
      }
    }
  }

  /** What a peer turn is given: the run's places and adapters, and the loop's callbacks for it. */
  private turnContext(headBefore: string | null, meter: { turn?: TurnMeter | null }): TurnContext {
    return {
      repo: this.repo, lenient: this.where.live, observer: this.observer, workspace: this.where.workspace, peerCwd: this.where.peerCwd,
      paths: this.paths, config: this.config, softGoals: softGoals(this.goals), runner: this.runner, signal: this.signal, env: this.childEnv,
      history: this.history, probeGates: (head, skip) => this.probeTestOnly(headBefore, head, skip),
      touchesContract: (head) => (this.contract && headBefore ? frozenPathsTouched(this.contract, changedPathsBetween(this.observer.mirror, headBefore, head)).length > 0 : false),
      gatesBeforeSettled: (head) => this.expensive.statesAt(this.state, head), log: this.log,
      // The limits the vendor reported during the turn, read with its spend (one ledger read).
      vendorLimits: this.ledger ? async () => (meter.turn = await this.ledger!.turnSpend())?.limits ?? [] : undefined,
      // In the pod a provider is an upstream of the auth sidecar, which holds its key.
      providers: this.where.live ? undefined : runProviders(this.config.peers),
    };
  }

  /**
   * Records a closed turn: what it left uncommitted saved and discarded, the frozen contract
   * checked, its spend, its runs.jsonl line and state.json; then `turn.json` goes (live-turn.ts: a
   * turn still recorded there at the next start was never recorded, and is closed then). The
   * finalized tick, or the stop when the ledger cannot be read.
   */
  private async recordTurn(
    outcome: TurnOutcome,
    t: { tick: number; peer: string; headBefore: string | null; gatesAtStart: LoopState['gates']; unattested: string[]; meter: { turn?: TurnMeter | null }; earlier?: boolean },
  ): Promise<Finalized | LoopOutcome> {
    const { tick, peer, headBefore } = t;
    // The turn's processes are gone: a git lock left now would fail the next peer's turn.
    sweepGitLocks({ workDir: this.repo, allowGitFile: this.where.live }, `${peer}'s turn (tick ${tick})`, this.log);
    // What the turn left uncommitted never reaches another peer's commit (leftover-patch.ts):
    // discarded once the locks a killed peer left are gone; what stays is named to every other peer.
    if (outcome.discardUncommitted) await discardLeftovers({ workspace: this.where.workspace, repo: this.repo, live: this.where.live, paths: this.paths, tick, peer, log: this.log }, outcome.obs);
    const podDown = outcome.obs.success ? [] : this.notePod();
    if (podDown.length) Object.assign(outcome.obs, { pod_down: podDown, cause: podDownCause(podDown) });
    // A turn that changed the frozen acceptance contract is refused (contract-guard.ts);
    // what it changed is read in the trusted mirror, never in the peers' repository.
    const touched = this.contract ? frozenPathsTouched(this.contract, changedPathsBetween(this.observer.mirror, headBefore, outcome.obs.head_after)) : [];
    const obs = touched.length ? refuseTurn(outcome.obs, contractRefusal(peer, touched)) : outcome.obs;
    if (t.unattested.length) obs.unattested_commits = t.unattested;
    if (this.ledger) {
      let metered = t.meter.turn;
      if (metered === undefined) metered = await this.ledger.turnSpend();
      if (metered === null) return this.finish(LEDGER_UNREADABLE);
      Object.assign(obs, { metered_by: 'ledger', cli_tokens: obs.tokens_this_tick, cli_usd: obs.usd_this_tick, tokens_this_tick: metered.tokens, usd_this_tick: metered.usd });
    } else obs.metered_by = 'cli';
    // Edits the turn made to the live .peers/ files: recorded in its line, shown in the next prompts.
    this.controlPlane.note(obs, peer, headBefore, outcome.controlPlane, this.state.baseline ?? undefined);
    // Gates the turn already measured at its HEAD are recorded, not evaluated again.
    this.state = this.gates.afterTurn(this.state, outcome.gates, obs.head_after);
    const fin = finalizeTick(this.state, obs, this.settings);
    if (this.ledger?.spend) fin.state = { ...fin.state, budget: withLedgerSpend(fin.state.budget, this.ledger.spend) };
    appendRunLine(this.paths.runs, tickLine(this.goals, obs, fin, t.gatesAtStart, this.expensive.takeTickTime()));
    this.state = fin.state;
    this.persist();
    clearLiveTurn(this.paths.dir);
    // A turn an earlier loop ran is not one of this run's (--max-ticks).
    if (!t.earlier) this.ticksThisRun++;
    for (const line of turnEndLines(tick, peer, headBefore, obs, fin)) this.log(line);
    const retry = fin.exit ? null : retryLine(peer, obs, this.state, this.settings);
    if (retry) this.log(retry);
    return fin;
  }

  /**
   * A turn a loop that stopped, crashed or was killed never recorded (live-turn.ts): closed as that
   * peer's turn, interrupted, before any other turn starts — its commits credited to it, what it
   * left uncommitted saved as its leftover patch and discarded (peer-turn.ts, closeInterruptedTurn).
   * Without this the next turn found them: its peer was charged with the leftovers and the commits
   * were reported as made outside any turn. A record of a tick already recorded, or of a loop too old
   * to say where the turn began, is only removed.
   */
  private async closeInterrupted(): Promise<LoopOutcome | null> {
    const live = readLiveTurn(this.paths.dir);
    if (!live) {
      clearLiveTurn(this.paths.dir);
      return null;
    }
    const index = live.turn_index ?? this.state.peer_order.indexOf(live.peer);
    if (live.tick !== this.state.tick + 1 || live.head_before === undefined || !Object.hasOwn(this.state.peers, live.peer) || !this.config.peers.some((p) => p.name === live.peer) || index < 0) {
      clearLiveTurn(this.paths.dir);
      return null;
    }
    const headBefore = live.head_before;
    this.log(`peers: tick ${live.tick} (${live.peer}'s turn, started ${live.started_at}) was interrupted and never closed: closing it as ${live.peer}'s turn before any other`);
    const prompt = readTextIfExists(join(this.paths.prompts, `tick-${String(live.tick).padStart(5, '0')}-${live.peer}.txt`), 16 * 1024 * 1024) ?? '';
    const meter: { turn?: TurnMeter | null } = { turn: this.ledger ? { tokens: 0, usd: 0, limits: [] } : undefined };
    const outcome = await closeInterruptedTurn(
      this.turnContext(headBefore, meter),
      { state: this.state, peer: live.peer, index, skeptic: live.skeptic, audits: live.audits ?? [], selfUnaudited: false, prompt, headBefore, extraWarnings: [] },
      live,
    );
    const fin = await this.recordTurn(outcome, { tick: live.tick, peer: live.peer, headBefore, gatesAtStart: this.state.gates, unattested: [], meter, earlier: true });
    if (!('state' in fin)) return fin;
    return fin.exit ? this.stopAfter(fin.exit) : null;
  }

  /** The stop a finalized tick asked for, with what the stop rules add to the state (stop-check.ts). */
  private stopAfter(exit: StopReason): LoopOutcome {
    const after = stopAfterTurn(exit, this.state, this.runCtx(), this.settings);
    if (after.state !== this.state) {
      this.state = after.state;
      this.persist();
    }
    return this.finish(after.stop);
  }

  /**
   * Applies `control/operator.json` (paused peers, runtime cap) to this tick's settings and logs
   * what changed. False when the file exists but cannot be read or validated: the run is held
   * (fail closed), with one log line per distinct problem.
   */
  private readOperatorControl(): boolean {
    const read = readControl(this.paths.control);
    if (read.ok) this.settings = withOperatorControl(this.baseSettings, read.control);
    const noted = read.ok ? controlChanges(this.controlSeen, this.baseSettings, this.settings, this.state.peer_order) : controlProblem(this.controlSeen, this.paths.control, read.error);
    this.controlSeen = noted.seen;
    for (const line of noted.lines) this.log(line);
    return read.ok;
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
    this.log(wakeWaitLine(waiters, ms, untilMs));
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

  /** The gates at HEAD measured unless already recorded (head-gates.ts); saved by the next write. */
  private async refreshGates(): Promise<void> {
    this.state = await this.gates.refresh(this.state, this.head());
  }

  /** Writes state.json (atomically) when the state changed since it was last written. */
  private persist(): void {
    if (this.state === this.saved) return;
    saveState(this.paths.state, this.state);
    this.saved = this.state;
  }

  /**
   * A test-only turn's probe: every hard gate at its HEAD, the expensive ones too, after the
   * expensive job on the commit it started from has reported, so a test-only turn that turns an
   * expensive gate green is seen like any other (anti-cheat.ts). The same for a turn's tests alone
   * (tests-alone.ts), without the gates in `skip` (known to pass before the turn).
   */
  private async probeTestOnly(before: string | null, head: string, skip: string[] = []): Promise<GateInput[]> {
    if (before) this.state = await this.expensive.settle(this.state, before);
    return this.gates.evaluateAllBut(head, skip);
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
    this.log(stopLine(stop, this.state, this.settings.budget.maxRuntimeS));
    return { reason: formatStopReason(stop), stop, exitCode: exitCodeFor(stop), ticksInRun: this.ticksThisRun, stateDir: this.paths.dir };
  }
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

