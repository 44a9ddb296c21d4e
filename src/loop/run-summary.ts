/**
 * Read-only view of a project's state directory for `peers status`, `peers replay` and
 * `peers report`: state.json, runs.jsonl, the stop reason, the lock holder, the budget policy and
 * the usage ledger (spend, live), and the caps of the config snapshot the loop enforces. Never
 * writes, never takes the lock.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PeersError } from '../cli/errors.ts';
import { loadConfigFile } from '../config/load.ts';
import type { PeersConfig } from '../config/config-schema.ts';
import { probeRunLock } from '../state/run-lock.ts';
import { readRunLog, type ExitLine, type RunLog, type TickLine } from '../state/run-log.ts';
import type { LoopState } from '../state/state-schema.ts';
import { loadState } from '../state/state-store.ts';
import { readStopReason } from '../state/stop-reason.ts';
import { statePaths, type StatePaths } from '../state/paths.ts';
import { type BudgetPolicy, readPolicyIfPresent } from '../budget/budget-policy.ts';
import { hostUsageLedgerPath, type LedgerSpend, readLedgerSpend } from '../budget/ledger-spend.ts';
import { spendLines, spendView } from '../budget/spend-view.ts';

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
};

export function readRunSummary(stateDir: string): RunSummary {
  const paths = statePaths(stateDir);
  const state = loadState(paths.state);
  if (!state) {
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
  return {
    paths,
    state,
    log,
    policy,
    ledger,
    ...(ledgerError ? { ledgerError } : {}),
    ticks: log.lines.filter((l): l is TickLine => l.event === 'tick'),
    exits: log.lines.filter((l): l is ExitLine => l.event === 'exit'),
    stop: readStopReason(paths.stopReason),
    lock: probeRunLock(paths.lock),
    halted: existsSync(paths.halted),
    config,
  };
}

/** The JSON shape of `peers status --json` (stable keys, snake_case like the state files). */
export function statusJson(r: RunSummary) {
  const s = r.state;
  const b = r.config?.budget;
  const bill = spendView({ state: s, ticks: r.ticks, ledger: r.ledger, ledgerError: r.ledgerError, policy: r.policy, running: r.lock.held });
  const policy = r.policy;
  return {
    state_dir: r.paths.dir,
    tick: s.tick,
    next_peer: s.peer_order[s.turn_index] ?? null,
    running: r.lock.held,
    lock_pid: r.lock.pid ?? null,
    last_stop: r.stop ?? null,
    halted: s.halted,
    /** A `Peer-Status: blocked` declaration (confirmed_by set: the run stopped as `blocked`). */
    blocked: s.blocked,
    peers: Object.fromEntries(
      s.peer_order.map((p) => {
        const h = s.peers[p]!;
        return [p, { state: h.state, reason: h.reason, last_classification: h.last_classification, last_failure: h.last_failure, turns: h.turns, successes: h.successes, tokens: h.tokens, usd: h.usd }];
      }),
    ),
    budget: {
      ticks: { spent: s.tick, cap: b?.max_ticks ?? null },
      runtime_s: { spent: Math.round(s.budget.spent_runtime_ms / 1000), cap: b?.max_runtime_s ?? null },
      consecutive_failures: { spent: s.budget.consecutive_failures, cap: b?.max_consecutive_failures ?? null },
      // Live from the ledger when there is one; caps from the policy `peers up` resolved.
      tokens: { spent: bill.tokens, cap: policy ? policy.max_tokens : (b?.max_tokens ?? null) },
      usd: { spent: bill.usd, cap: policy ? policy.max_usd : (b?.max_usd ?? null), mode: s.budget.usd_cap_mode ?? (policy ? `${policy.max_usd_mode} (${policy.reason})` : null) ?? b?.max_usd_mode ?? null },
      wasted_runtime_s: Math.round(s.budget.wasted_runtime_ms / 1000),
    },
    bill,
    gates: { head: s.gates.head, results: s.gates.results, red_streak: s.gates.red_streak },
    clean_ticks: s.clean_ticks,
    warnings: [...s.warnings, ...Object.entries(s.peer_warnings).flatMap(([peer, ws]) => ws.map((w) => `(for ${peer}) ${w}`))],
    run_log: { path: r.paths.runs, ticks: r.ticks.length, skipped_lines: r.log.skipped },
  };
}

const pct = (a: number, b: number | null | undefined) => (b ? ` (${Math.round((100 * a) / b)}%)` : '');
const cap = (v: number | null | undefined) => (v === null || v === undefined ? '∞' : String(v));

export function formatStatus(r: RunSummary): string {
  const j = statusJson(r);
  const lines = [
    `State: ${j.state_dir}`,
    `Tick: ${j.tick}    next: ${j.next_peer}`,
    j.running ? `Loop: running (pid ${j.lock_pid ?? '?'})` : 'Loop: not running',
  ];
  if (j.last_stop) lines.push(`Last stop: ${j.last_stop.reason} at ${j.last_stop.at}`);
  if (j.halted) lines.push(`HALTED: ${j.halted.reason} at tick ${j.halted.at_tick} — see ${r.paths.halted}`);
  if (j.blocked) lines.push(`${j.blocked.confirmed_by ? 'BLOCKED' : 'Blocked (declared, not confirmed)'}: ${j.blocked.by}${j.blocked.confirmed_by ? ` and ${j.blocked.confirmed_by}` : ''} say the task cannot be done as specified: ${j.blocked.reason.replace(/\s+/g, ' ').slice(0, 200)}`);
  const bu = j.budget;
  lines.push(
    'Budget:',
    `  ticks ${bu.ticks.spent}/${cap(bu.ticks.cap)}${pct(bu.ticks.spent, bu.ticks.cap)}, runtime ${bu.runtime_s.spent}s/${cap(bu.runtime_s.cap)}s${pct(bu.runtime_s.spent, bu.runtime_s.cap)}, wasted ${bu.wasted_runtime_s}s`,
    `  consecutive failures ${bu.consecutive_failures.spent}/${cap(bu.consecutive_failures.cap)}, tokens ${bu.tokens.spent}/${cap(bu.tokens.cap)}, usd $${bu.usd.spent.toFixed(4)}/${bu.usd.cap === null ? '∞' : `$${bu.usd.cap}`}${bu.usd.mode ? ` (mode ${bu.usd.mode})` : ''}`,
  );
  lines.push('Spend:', ...spendLines(j.bill).map((l) => `  ${l}`));
  lines.push('Peers:');
  for (const [name, p] of Object.entries(j.peers)) {
    lines.push(`  ${name}: ${p.state}${p.reason ? ` (${p.reason})` : ''}, ${p.successes}/${p.turns} turns handed off, last ${p.last_classification ?? '-'}, ${p.tokens} tokens, $${p.usd.toFixed(4)}`);
    if (p.last_failure) lines.push(`    last failure (tick ${p.last_failure.tick}): ${p.last_failure.cause}`);
  }
  const gates = Object.entries(j.gates.results);
  lines.push(`Gates${j.gates.head ? ` at ${j.gates.head.slice(0, 8)}` : ''}:`);
  if (!gates.length) lines.push('  (not evaluated yet)');
  for (const [id, g] of gates) {
    const red = j.gates.red_streak[id];
    lines.push(`  ${id}: ${g.state}${red ? ` (red ${red} ticks)` : ''}${g.state === 'fail' ? ` — ${g.diagnostic.replace(/\s+/g, ' ').slice(0, 120)}` : ''}`);
  }
  lines.push(`Clean ticks in a row: ${j.clean_ticks}`);
  for (const w of j.warnings.slice(-5)) lines.push(`Warning: ${w}`);
  lines.push(`Run log: ${j.run_log.ticks} ticks (${j.run_log.path})${j.run_log.skipped_lines ? `, ${j.run_log.skipped_lines} unreadable line(s) skipped` : ''}`);
  return lines.join('\n');
}
