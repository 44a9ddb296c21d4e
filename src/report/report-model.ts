/**
 * The report model: everything `peers report` says about a run, built by one pure function from
 * what the state directory holds (the run summary, the run's git history, the egress log). The
 * Markdown and HTML renderers only lay it out; neither computes a figure of its own, so the two
 * can never disagree. Nothing is capped here: renderers summarise or collapse, never drop.
 */
import { FINDING_TITLES, type Finding } from '../protocol/findings.ts';
import type { TickLine } from '../state/run-log.ts';
import type { RunSummary } from './run-summary.ts';
import { statusJson } from './status-text.ts';
import { summariseEgress } from './egress-summary.ts';
import type { RunHistory } from './run-history.ts';
import { healthReasonWords, lastTurnWords } from '../loop/peer-health-words.ts';
import { failureCauses, findingsOf, protocolEventCounts, tickCause } from './tick-facts.ts';
import { gateIds, gateTimeline, gateTimeSeries, resultsByHead, spendSeries, type GateTimeline, type SpendPoint } from './tick-series.ts';
import { mergeAdvice, outcomeOf, resumeCommand, type Outcome } from './outcome.ts';

export type ReportInput = {
  project: string;
  summary: RunSummary;
  /** null when no repository or mirror could be found to read. */
  history: RunHistory | null;
  egress: { lines: string[]; error?: string } | null;
  generatedAt: string;
};

export type TickRow = {
  tick: number;
  ts: string;
  peer: string;
  success: boolean;
  skeptic: boolean;
  classification: string;
  duration_s: number;
  tokens: number;
  usd: number;
  head: string | null;
  note: string;
  truncated: boolean;
};

export type PeerReport = {
  name: string;
  state: string;
  reason: string | null;
  turns: number;
  handoffs: number;
  last_classification: string | null;
  /** How its last turn went, in words (peer-health-words.ts): the classification is only how its process ended. */
  last_turn: string;
  tokens: number;
  usd: number;
  cli_tokens?: number;
  cli_usd?: number;
  /** This peer's failed ticks by cause, most frequent first. */
  failures: Array<{ cause: string; count: number; last_tick: number }>;
};

export type ReportModel = ReturnType<typeof buildReportModel>;

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function tickRow(t: TickLine): TickRow {
  return {
    tick: num(t.tick),
    ts: String(t.ts ?? ''),
    peer: String(t.peer),
    success: t.success === true,
    skeptic: t.skeptic === true,
    classification: String(t.classification ?? ''),
    duration_s: Math.round(num(t.duration_ms) / 1000),
    tokens: num(t.tokens_this_tick),
    usd: num(t.usd_this_tick),
    head: typeof t.head_after === 'string' ? t.head_after : null,
    note: t.success ? (t.skeptic ? 'skeptic tick' : '') : tickCause(t),
    truncated: t.truncated === true,
  };
}

function peersOf(r: RunSummary, j: ReturnType<typeof statusJson>): PeerReport[] {
  return Object.entries(j.peers).map(([name, p]) => {
    const mine = r.ticks.filter((t) => t.peer === name);
    const bill = j.bill.per_peer[name];
    return {
      name,
      state: p.state,
      reason: p.reason === null ? null : healthReasonWords(name, p.reason, resumeCommand(r)),
      turns: p.turns,
      handoffs: p.successes,
      last_classification: p.last_classification,
      last_turn: lastTurnWords(r.state.peers[name]!),
      tokens: p.tokens,
      usd: p.usd,
      ...(bill?.cli_tokens !== undefined ? { cli_tokens: bill.cli_tokens, cli_usd: bill.cli_usd } : {}),
      failures: failureCauses(mine).map((f) => ({ cause: f.cause, count: f.count, last_tick: f.lastTick })),
    };
  });
}

export function buildReportModel(i: ReportInput) {
  const r = i.summary;
  const j = statusJson(r);
  const ticks = r.ticks;
  const measured = resultsByHead(ticks, r.state.gates);
  const gates = gateIds(measured, Object.keys(r.state.gates.results)).map((id) => gateTimeline(ticks, id, measured));
  const series: SpendPoint[] = spendSeries(ticks);
  const findings = findingsOf(ticks);
  const findingKinds = new Map<Finding['kind'], number>();
  for (const f of findings) findingKinds.set(f.kind, (findingKinds.get(f.kind) ?? 0) + 1);
  const history = i.history;
  const outcome: Outcome = outcomeOf({ summary: r, status: j, gates, liveTurn: r.liveTurn });
  const lastSoft = (ticks.at(-1)?.gates as { soft?: Record<string, string> } | undefined)?.soft ?? {};
  const bugs = history?.bugs ?? null;
  return {
    schema_version: 1 as const,
    project: i.project,
    generated_at: i.generatedAt,
    state_dir: r.paths.dir,
    outcome,
    next_peer: j.next_peer,
    blocked: r.state.blocked,
    halted: r.state.halted,
    live_turn: r.lock.held ? (r.liveTurn ?? null) : null,
    totals: {
      ticks: j.tick,
      ticks_logged: ticks.length,
      handoffs: ticks.filter((t) => t.success).length,
      failed: ticks.filter((t) => !t.success).length,
      runs: r.exits.length,
      clean_ticks: j.clean_ticks,
    },
    budget: j.budget,
    bill: j.bill,
    results: history
      ? {
          source: history.source,
          commits: history.commits,
          commits_total: history.commits_total,
          diffstat: history.diffstat,
          errors: history.errors,
          merge: mergeAdvice(history.source, outcome, i.project),
        }
      : null,
    bugs: bugs
      ? {
          entries: bugs,
          opened: bugs.length,
          fixed: bugs.filter((b) => b.status === 'fixed').length,
          deferred: bugs.filter((b) => b.status === 'deferred').length,
          open: bugs.filter((b) => b.open).length,
          open_blocking: bugs.filter((b) => b.open && ['crit', 'high', 'med'].includes(b.severity)).length,
          warnings: history?.bug_warnings ?? [],
        }
      : null,
    gates: {
      head: j.gates.head,
      current: j.gates.results,
      red_streak: j.gates.red_streak,
      timelines: gates as GateTimeline[],
      /** Gate time per tick (synchronous, and which gates ran in the background). */
      time: gateTimeSeries(ticks),
      soft: lastSoft,
    },
    spend: { series, caps: { usd: j.budget.usd.cap, tokens: j.budget.tokens.cap } },
    peers: peersOf(r, j),
    failure_causes: failureCauses(ticks),
    cheats: {
      findings,
      by_kind: [...findingKinds].map(([kind, count]) => ({ kind, title: FINDING_TITLES[kind], count })),
      events: protocolEventCounts(ticks),
    },
    egress: i.egress ? { ...summariseEgress(i.egress.lines), error: i.egress.error ?? null } : null,
    ticks: ticks.map(tickRow),
    stops: r.exits,
    warnings: j.warnings,
    skipped_lines: r.log.skipped,
  };
}
