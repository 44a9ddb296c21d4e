/**
 * Read-only view of a project's state directory for `peers status`, `peers replay` and
 * `peers report`: state.json, runs.jsonl, the stop reason, the lock holder, the budget policy and
 * the usage ledger (spend, live), and the caps of the config snapshot the loop enforces. Never
 * writes, never takes the lock.
 */
import { existsSync } from 'node:fs';
import { readRange } from '../fs/safe-read.ts';
import { join } from 'node:path';
import { PeersError } from '../cli/errors.ts';
import { loadConfigFile } from '../config/load.ts';
import type { PeersConfig } from '../config/config-schema.ts';
import { probeRunLock } from '../state/run-lock.ts';
import { readRunLog, type ExitLine, type RunLog, type TickLine } from '../state/run-log.ts';
import type { LoopState } from '../state/state-schema.ts';
import { loadState } from '../state/state-store.ts';
import { formatStopReason, readStopReason } from '../state/stop-reason.ts';
import { savedRunVerdict } from '../loop/shell/saved-verdict.ts';
import { statePaths, type StatePaths } from '../state/paths.ts';
import { archivedRunWords } from '../state/run-archive.ts';
import { shellWord } from '../cli/shell-word.ts';
import { type BudgetPolicy, readPolicyIfPresent } from '../budget/budget-policy-file.ts';
import { type LedgerSpend, readLedgerSpend } from '../budget/ledger-spend.ts';
import { hostUsageLedgerPath } from '../budget/ledger-path.ts';
import { readControl, type ControlRead } from '../state/operator-control.ts';
import { readLiveTurn, type LiveTurn } from '../state/live-turn.ts';
import { ACTIVITY_TAIL_BYTES, describeActivity } from './turn-activity.ts';
import { scriptEnds } from '../model-server/served-log.ts';


export type RunSummary = {
  paths: StatePaths;
  state: LoopState;
  log: RunLog;
  ticks: TickLine[];
  exits: ExitLine[];
  stop?: { reason: string; at: string };
  lock: { held: boolean; pid?: number };
  halted: boolean;
  config?: PeersConfig;
  /** The budget policy of the last `peers up`, and the auth sidecar's ledger (the authority for spend). */
  policy?: BudgetPolicy;
  ledger: LedgerSpend | null;
  ledgerError?: string;
  /** The operator's live controls (paused peers, runtime cap), or why the file cannot be used. */
  control: ControlRead;
  /** The turn under way (turn.json), only while the run lock is held; with what its output says it is doing. */
  liveTurn: LiveTurn | null;
  activity: { text: string | null; last_output_at: string | null } | null;
  /**
   * The stop the run is over for when it is not running, by the one verdict `peers up` acts on
   * (src/loop/run-verdict.ts); null when `peers up` would resume it or that cannot be told.
   */
  finishedBy?: string | null;
  /** When the files were read (elapsed times are measured against it). */
  readAt: string;
  /** A rehearsal's script ran out: "peer 'x' has only N scripted tick(s)" (model-server/served-log.ts). */
  scriptEnds?: string[];
};

export function readRunSummary(stateDir: string): RunSummary {
  const paths = statePaths(stateDir);
  const state = loadState(paths.state);
  if (!state) {
    // A run archived by `peers reset` is still there, and `peers status` lists it: said so, with where.
    const archived = archivedRunWords(stateDir);
    if (archived) throw new PeersError(`no current run in ${stateDir}: ${archived.message}`, { hint: `read it: \`peers report --state-dir ${shellWord(archived.latest.path)}\`; \`peers status\` lists every archived run; \`peers up\` starts a new one` });
    throw new PeersError(`no run state yet in ${stateDir}`, { location: { file: paths.state }, hint: 'start a run first: peers up (or peers loop)' });
  }
  const log = readRunLog(paths.runs);
  let config: PeersConfig | undefined;
  const snap = join(paths.snapshotDir, 'config.yaml');
  if (existsSync(snap)) {
    try {
      config = loadConfigFile(snap);
    } catch {
      config = undefined;
    }
  }
  let ledger: LedgerSpend | null = null;
  let ledgerError: string | undefined;
  try {
    ledger = readLedgerSpend(hostUsageLedgerPath(stateDir));
  } catch (e) {
    ledgerError = (e as Error).message;
  }
  let policy: BudgetPolicy | undefined;
  try {
    policy = readPolicyIfPresent(stateDir);
  } catch {
    policy = undefined; // `peers up` rewrites it; the loop refuses to run on a bad one
  }
  const lock = probeRunLock(paths.lock);
  const stop = readStopReason(paths.stopReason);
  const finished = lock.held ? null : savedRunVerdict(stateDir, stop?.reason ?? null);
  const liveTurn = lock.held ? readLiveTurn(stateDir) : null;
  return {
    paths,
    state,
    log,
    policy,
    liveTurn,
    activity: liveTurn ? turnActivity(stateDir, liveTurn) : null,
    readAt: new Date().toISOString(),
    ledger,
    ...(ledgerError ? { ledgerError } : {}),
    ticks: log.lines.filter((l): l is TickLine => l.event === 'tick'),
    exits: log.lines.filter((l): l is ExitLine => l.event === 'exit'),
    stop,
    finishedBy: finished ? formatStopReason(finished) : null,
    lock,
    halted: existsSync(paths.halted),
    config,
    control: readControl(paths.control),
    // Where `peers up --rehearse` points the model server's log (sandbox/rehearsal.ts).
    scriptEnds: scriptEnds(join(stateDir, 'rehearsal', 'served.jsonl')),
  };
}

/** The end of the turn's output logs: what the peer is doing, and when it last printed anything. */
function turnActivity(stateDir: string, turn: LiveTurn): RunSummary['activity'] {
  let last: number | null = null;
  let text: string | null = null;
  for (const rel of [turn.stdout_log, turn.stderr_log]) {
    const tail = readRange(join(stateDir, rel), { lastBytes: ACTIVITY_TAIL_BYTES });
    if (!tail) continue;
    last = Math.max(last ?? 0, tail.mtimeMs);
    text ??= describeActivity(tail.bytes.toString('utf8'));
  }
  return { text, last_output_at: last === null ? null : new Date(last).toISOString() };
}
