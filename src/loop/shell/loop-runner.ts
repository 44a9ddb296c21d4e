/**
 * `peers loop`: opens a run and hands it to the tick loop (tick-loop.ts). Opening takes the run's
 * locks, sweeps what a killed loop left (start-cleanup.ts), adopts or checks the control-plane
 * snapshot, resolves the settings and the budget policy, loads state.json and repairs it from
 * runs.jsonl (resume.ts), applies the operator's actions, records the run's anchors and composes
 * the gate probe (cache, fresh retries, checkout). Closing releases all of it, whatever way the run
 * ended. The loop enforces the config/goals snapshot (taken by the host: control-snapshot.ts), never
 * the live `.peers/` files.
 * Every exit writes an exit line, `last-stop-reason.txt` and state.json; a SIGKILL between the log
 * line and the state write is repaired on the next start (resume.ts).
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfigFile, loadGoalsFile, loadProject, projectDirFrom } from '../../config/load.ts';
import type { GoalsFile } from '../../config/goals-schema.ts';
import { resolveUsdCapMode } from '../../config/usd-cap-mode.ts';
import { adoptControlPlane, snapshotDigest } from '../../config/control-snapshot.ts';
import { InputError } from '../../cli/errors.ts';
import { ephemeralCacheKey, persistentCacheKey } from '../../gates/gate-cache.ts';
import { withGateCache } from './cached-gate-probe.ts';
import { TickLoop, type LoopOutcome } from './tick-loop.ts';
import { readGitExecSurface } from '../../protocol/git-hook-guard.ts';
import { LocalPeerRunner, type PeerRunner } from '../../proc/peer-runner.ts';
import { ensureStateDirs, stateDirFor, statePaths } from '../../state/paths.ts';
import { acquireRepositoryLoopLock } from '../../state/project-locks.ts';
import { acquireRunLock, type RunLock } from '../../state/run-lock.ts';
import { readRunLog, repairTornTail, tickLines } from '../../state/run-log.ts';
import { foldLineBreaks } from '../../cli/terminal-text.ts';
import { freshState, type LoopState } from '../../state/state-schema.ts';
import { loadState, saveState } from '../../state/state-store.ts';
import { exitCodeFor, formatStopReason } from '../../state/stop-reason.ts';
import { keepReserve } from '../../state/disk-reserve.ts';
import { recordStorageStop, storageStop } from './storage-stop.ts';
import { POD_START_WAIT_MS, type PodHealth } from '../pod-health.ts';
import { settingsForRun } from '../settings.ts';
import { applyOperatorActions, syncPeerOrder } from '../operator-actions.ts';
import { resumeFromLog } from '../resume.ts';
import { wakeFromUnreachable } from '../peer-sleep.ts';
import { startCleanup } from './start-cleanup.ts';
import { probeGatesIn, type GateProbe } from './gate-probe.ts';
import { withFreshRetries } from './fresh-retry-probe.ts';
import { GateCheckout } from '../../gates/gate-checkout.ts';
import { withLedgerSpend } from '../budget-ledger.ts';
import { RunLedger } from './run-ledger.ts';
import { readBudgetPolicy } from '../../budget/budget-policy-file.ts';
import { openRunPlaces, trackedFiles } from './run-places.ts';
import { prepareRunContext } from '../../recon/run-context.ts';
import { frozenContractAtStart } from './contract-guard.ts';

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

export type { LoopOutcome };

/**
 * The loop's console (`peers logs`, `peers up --attach`): each line it writes is one line. Peers'
 * words are on some (an anti-cheat finding names a file, and git allows a line break in a file
 * name): a break in them printed lines of the peer's making, such as `peers: stopped: complete`.
 * SECURITY.md, "A peer's words reach the operator's terminal as text".
 */
function consoleLog(sink?: (line: string) => void): (line: string) => void {
  const write = sink ?? ((line: string) => process.stderr.write(`${line}\n`));
  return (line) => write(foldLineBreaks(line));
}

export async function runLoop(o: LoopOptions): Promise<LoopOutcome> {
  const pod = o.pod;
  const repo = pod ? resolve(o.repo) : projectDirFrom(o.repo);
  if (!pod) loadProject(repo); // validates the live files, so errors name the user's own file and line
  const paths = statePaths(o.stateDir ?? stateDirFor(repo, o.env ?? process.env));
  // A state dir `up` made (the pod) or one given outright is the run's; one from $PEERS_STATE_DIR is the user's choice (paths.ts).
  ensureStateDirs(paths, !pod && o.stateDir === undefined);
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
  const log = consoleLog(o.log);
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
    // A start after a vendor-unreachable stop: the operator has seen to the network (peer-sleep.ts).
    state = wakeFromUnreachable(resumed.state);
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
      // An empty list, never undefined: recon would then ask git in the peers' repository.
      files: trackedFiles(places.observer) ?? [],
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
    const run = new TickLoop(places, paths, config, goals, settings, state, runner, gateProbe, signal, log, env, ledger, contract, o.podHealth);
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
    recordStorageStop(paths, stop, { tick: state?.tick ?? 0, ticksInRun: 0 }, consoleLog(o.log));
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
