/**
 * What `peers status` says of a run: the JSON of `status --json` and its text, from the read model
 * of the state directory (run-summary.ts). Apart from the reading so that a project without a run
 * (`status` of a fresh project, `ls`) loads neither the state files' schemas nor this.
 */
import { gateLines } from './gate-lines.ts';
import { lastTurnWords, peerHealthLine } from '../loop/peer-health-words.ts';
import { join } from 'node:path';
import { scenarioRanOut, stoppedByFailedTurns } from '../loop/scenario-ran-out.ts';
import { spendLines, spendView } from '../budget/spend-view.ts';
import { describeWaiters, isAsleep, UNREACHABLE_ADVICE, UNREACHABLE_REASON } from '../loop/peer-sleep.ts';
import type { RunSummary } from './run-summary.ts';
import { terminalLines } from '../cli/terminal-text.ts';
import { gateSeconds, gateTimeSeries, type GateTimeRow } from './tick-series.ts';

/** The JSON shape of `peers status --json` (stable keys, snake_case like the state files). */
export function statusJson(r: RunSummary, nowMs = Date.now()) {
  const s = r.state;
  const asleep = (p: string) => (s.peers[p] && isAsleep(s.peers[p]!, nowMs) ? s.peers[p]!.waiting : null);
  const b = r.config?.budget;
  const bill = spendView({ state: s, ticks: r.ticks, ledger: r.ledger, ledgerError: r.ledgerError, policy: r.policy, running: r.lock.held });
  const policy = r.policy;
  const control = r.control.ok ? r.control.control : null;
  return {
    state_dir: r.paths.dir,
    tick: s.tick,
    next_peer: s.peer_order[s.turn_index] ?? null,
    /** The next peer failed its last turn and goes again: its retry number, and how many it gets (health.max_retries); null otherwise. */
    next_retry: s.attempts > 0 ? { retry: s.attempts, of: r.config?.health.max_retries ?? null } : null,
    running: r.lock.held,
    lock_pid: r.lock.pid ?? null,
    last_stop: r.stop ?? null,
    /** A rehearsal past the end of its scenario: each peer's "has only N scripted tick(s)" (rehearsal/served.jsonl); empty otherwise. */
    script_ends: r.scriptEnds ?? [],
    /** The stop the run is over for, as `peers up` will say it (src/loop/run-verdict.ts); null while running or resumable. */
    finished_by: r.finishedBy ?? null,
    /** The turn under way while the loop runs: who, since when, and what its output says it is doing. */
    current_turn: r.liveTurn
      ? {
          tick: r.liveTurn.tick,
          peer: r.liveTurn.peer,
          tool: r.liveTurn.tool,
          skeptic: r.liveTurn.skeptic,
          started_at: r.liveTurn.started_at,
          elapsed_s: Math.max(0, Math.round((Date.parse(r.readAt) - Date.parse(r.liveTurn.started_at)) / 1000)),
          activity: r.activity?.text ?? null,
          last_output_at: r.activity?.last_output_at ?? null,
          stdout_log: join(r.paths.dir, r.liveTurn.stdout_log),
          stderr_log: join(r.paths.dir, r.liveTurn.stderr_log),
        }
      : null,
    halted: s.halted,
    /** A `Peer-Status: blocked` declaration (confirmed_by set: the run stopped as `blocked`). */
    blocked: s.blocked,
    peers: Object.fromEntries(
      s.peer_order.map((p) => {
        const h = s.peers[p]!;
        const w = asleep(p);
        const paused = control?.paused[p]?.since ?? null;
        return [p, { state: h.state, reason: h.reason, paused_since: paused, last_classification: h.last_classification, last_turn: lastTurnWords(h), last_failure: h.last_failure, waiting_until: w?.until ?? null, waiting_reason: w?.reason ?? null, turns: h.turns, successes: h.successes, tokens: h.tokens, usd: h.usd }];
      }),
    ),
    /** Peers asleep for their usage limit now, and until when (the others keep working; when none can, the run waits). */
    waiting: s.peer_order.flatMap((p) => {
      const w = asleep(p);
      return w ? [{ peer: p, until: w.until, reason: w.reason }] : [];
    }),
    /**
     * Turns in a row whose vendor could not be reached (DNS, a proxy, a firewall), the host the last
     * one could not reach, and after how many the run stops; null when the last turn reached its vendor.
     */
    vendor_unreachable: s.unreachable_streak > 0
      ? { turns: s.unreachable_streak, host: unreachableHostOf(s.peer_order.map((p) => s.peers[p]!)), stop_after: b?.max_consecutive_failures ?? null }
      : null,
    /** `peers pause` / `peers up --max-runtime`: what the loop reads before every tick (error: the run is held). */
    operator: { paused: control ? Object.keys(control.paused) : [], max_runtime_s: control?.max_runtime_s ?? null, error: r.control.ok ? null : r.control.error },
    budget: {
      ticks: { spent: s.tick, cap: b?.max_ticks ?? null },
      runtime_s: { spent: Math.round(s.budget.spent_runtime_ms / 1000), cap: control?.max_runtime_s ?? b?.max_runtime_s ?? null },
      consecutive_failures: { spent: s.budget.consecutive_failures, cap: b?.max_consecutive_failures ?? null },
      // Live from the ledger when there is one; caps from the policy `peers up` resolved.
      tokens: { spent: bill.tokens, cap: policy ? policy.max_tokens : (b?.max_tokens ?? null) },
      usd: { spent: bill.usd, cap: policy ? policy.max_usd : (b?.max_usd ?? null), mode: s.budget.usd_cap_mode ?? (policy ? `${policy.max_usd_mode} (${policy.reason})` : null) ?? b?.max_usd_mode ?? null },
      wasted_runtime_s: Math.round(s.budget.wasted_runtime_ms / 1000),
    },
    bill,
    gates: {
      head: s.gates.head,
      results: s.gates.results,
      red_streak: s.gates.red_streak,
      /** Expensive goals: the last measurement of each, with the commit it judged (only equal to HEAD's state when `head` matches). */
      expensive: s.gates.expensive ?? {},
      /** Gate time per tick: every logged tick's synchronous and background gate time (runs.jsonl `gate_time`). */
      time: gateTimeSeries(r.ticks),
    },
    clean_ticks: s.clean_ticks,
    /** Commits of the run made outside any attested turn: credited to no peer (src/loop/shell/unattested.ts). */
    unattested_commits: s.unattested,
    warnings: [...s.warnings, ...Object.entries(s.peer_warnings).flatMap(([peer, ws]) => ws.map((w) => `(for ${peer}) ${w}`))],
    run_log: { path: r.paths.runs, ticks: r.ticks.length, skipped_lines: r.log.skipped },
  };
}

/**
 * The convergence counter (state.clean_ticks, src/loop/convergence.ts nextCleanTicks): turns in a row
 * that succeeded and filed no new blocking bug. It says nothing of the gates, which converge apart:
 * named for what it counts, with the red gates beside it, so "clean" never reads as "green".
 */
export function cleanTurnsLine(clean: number, needed: number | null, gates: Record<string, { state: string }>): string {
  const red = Object.values(gates).filter((g) => g.state !== 'pass').length;
  const need = needed === null ? '' : `, ${needed} needed to converge`;
  const gatesWord = red ? `; not converging while ${red} gate${red === 1 ? ' is' : 's are'} red` : '';
  return `Clean turns in a row: ${clean} (turns that succeeded and filed no new blocking bug${need}${gatesWord})`;
}

const pct = (a: number, b: number | null | undefined) => (b ? ` (${Math.round((100 * a) / b)}%)` : '');
const cap = (v: number | null | undefined) => (v === null || v === undefined ? '∞' : String(v));

export function formatStatus(r: RunSummary, nowMs = Date.now()): string {
  const j = statusJson(r, nowMs);
  const lines = [
    `State: ${j.state_dir}`,
    `Tick: ${j.tick}    next: ${j.next_peer}${j.next_retry ? ` (goes again after its failed turn: retry ${j.next_retry.retry} of ${j.next_retry.of ?? '?'}, health.max_retries)` : ''}`,
    j.running ? `Loop: running (pid ${j.lock_pid ?? '?'})` : 'Loop: not running',
  ];
  const c = j.current_turn;
  if (c) {
    lines.push(`Now: tick ${c.tick}, ${c.peer}${c.skeptic ? ' (skeptic)' : ''} working for ${c.elapsed_s}s${c.last_output_at ? `, last output ${Math.max(0, Math.round((Date.parse(r.readAt) - Date.parse(c.last_output_at)) / 1000))}s ago` : ', no output yet'}`);
    if (c.activity) lines.push(`  doing: ${c.activity}`);
  }
  if (j.last_stop) lines.push(`Last stop: ${j.last_stop.reason} at ${j.last_stop.at}`);
  // Why a rehearsal's last turns failed, where the peers' lines below say only "no commit".
  if (!j.running && j.script_ends.length && j.last_stop && stoppedByFailedTurns(j.last_stop.reason)) lines.push(`Why: ${scenarioRanOut(j.script_ends)}: the turns after that got no scripted reply and made no commit; add ticks to it (peers report says more)`);
  if (j.finished_by && j.finished_by !== j.last_stop?.reason) lines.push(`Over: ${j.finished_by} (the saved state stops the run there: \`peers up\` says why and what continues it)`);
  if (j.operator.error) lines.push(`HELD: the operator control file cannot be used (${j.operator.error}): fix or remove ${r.paths.control}`);
  if (j.operator.max_runtime_s !== null) lines.push(`Max runtime: ${j.operator.max_runtime_s}s (set by the operator)`);
  if (j.halted) lines.push(`HALTED: ${j.halted.reason} at tick ${j.halted.at_tick} — see ${r.paths.halted}`);
  const cut = j.waiting.filter((w) => w.reason.startsWith(UNREACHABLE_REASON));
  const limited = j.waiting.filter((w) => !cut.includes(w));
  if (j.vendor_unreachable) {
    const u = j.vendor_unreachable;
    lines.push(`VENDOR UNREACHABLE: the last ${u.turns} turn(s) in a row could not reach ${u.host}${u.stop_after === null ? '' : ` (the run stops at ${u.stop_after}, budget.max_consecutive_failures)`}; ${UNREACHABLE_ADVICE}`);
  }
  if (cut.length) lines.push(`Waiting for the vendor to be reachable again: ${describeWaiters(cut)}`);
  if (limited.length) lines.push(`Waiting for usage limits: ${describeWaiters(limited)}`);
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
    lines.push(`  ${peerHealthLine(name, r.state.peers[name]!, p.paused_since ? `, PAUSED by the operator since ${p.paused_since} (peers resume ${name})` : '')}`);
    if (p.waiting_until) lines.push(`    asleep until ${p.waiting_until} (${p.waiting_reason})`);
    if (p.last_failure) lines.push(`    last failure (tick ${p.last_failure.tick}): ${p.last_failure.cause}`);
  }
  const gates = Object.entries(j.gates.results);
  lines.push(`Gates${j.gates.head ? ` at ${j.gates.head.slice(0, 8)}` : ''}:`);
  if (!gates.length) lines.push('  (not evaluated yet)');
  lines.push(...gateLines(gates, j.gates.red_streak));
  for (const [id, e] of Object.entries(j.gates.expensive)) {
    const at = e.head === j.gates.head ? 'at HEAD' : `at ${e.head.slice(0, 8)}, an earlier commit`;
    lines.push(`  ${id} (expensive): last measured ${e.state} ${at}, ${gateSeconds(e.duration_ms)}${e.background ? ' in the background' : ''}`);
  }
  const time = j.gates.time;
  if (time.length) {
    const last = time.at(-1)!;
    const total = (f: (r: GateTimeRow) => number) => gateSeconds(time.reduce((n, r) => n + f(r), 0));
    const running = last.running ? `; running now: ${last.running.ids.join(', ')} at ${last.running.head.slice(0, 8)}` : '';
    lines.push(`Gate time: ${total((r) => r.sync_ms)} before the turns, ${total((r) => r.background_ms)} in the background; tick ${last.tick}: ${gateSeconds(last.sync_ms)} before the turn${running}`);
  }
  lines.push(cleanTurnsLine(j.clean_ticks, r.config?.goals.convergence_n ?? null, j.gates.results));
  const outside = j.unattested_commits;
  if (outside.length) lines.push(`Unattested: ${outside.length} commit${outside.length === 1 ? '' : 's'} made outside any peer's turn, credited to no peer (latest ${outside.at(-1)!.slice(0, 8)})`);
  for (const w of j.warnings.slice(-5)) lines.push(`Warning: ${w}`);
  lines.push(`Run log: ${j.run_log.ticks} ticks (${j.run_log.path})${j.run_log.skipped_lines ? `, ${j.run_log.skipped_lines} unreadable line(s) skipped (first: ${r.log.firstSkipped})` : ''}`);
  // Peers' words are in it (a blocked reason, a failure's cause, a turn's activity, a halt reason):
  // no escape sequence reaches the terminal, and no line break adds a line of a peer's making.
  return terminalLines(lines);
}

/** The host named by the latest vendor-unreachable sleep (`vendor unreachable: HOST; …`), else "the vendor". */
function unreachableHostOf(peers: ReadonlyArray<{ waiting: { reason: string; since_tick: number } | null }>): string {
  const latest = peers.filter((h) => h.waiting?.reason.startsWith(UNREACHABLE_REASON)).sort((a, b) => b.waiting!.since_tick - a.waiting!.since_tick)[0];
  return latest ? latest.waiting!.reason.slice(UNREACHABLE_REASON.length).split(';')[0]!.trim() : 'the vendor';
}
