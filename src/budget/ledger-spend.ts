/**
 * The run's spend as the auth sidecar's usage ledger records it — the authority for every figure
 * the loop stops on and `peers status` / `peers report` show. Read-only: the sidecar is the only
 * writer. A torn last line is skipped (the sidecar may be mid-write); any other damage throws
 * LedgerError, and the caller holds the run rather than guess.
 */
import { existsSync, statSync } from 'node:fs';
import { forEachLedgerLine, isLimited, isRefusal, isReleased, isReply, isReserved, type LedgerLine, type LimitedLine, type RefusalLine, type ReservedLine } from '../../auth-proxy/usage/usage-ledger.ts';
import { isUtilizationSignal, utilizationPercent } from '../../auth-proxy/usage/plan-usage.ts';

/** The same file inside the pod, where the loop reads it (pod-spec.ts mounts the dir read-only). */
export const POD_USAGE_LEDGER = '/run/peers/auth-usage/usage.jsonl';

/** The last refusal under a cap, and `requests`: how many the ledger records under that cap in all (a line may stand for many, refusal-lines.ts). */
export type Refusal = Pick<RefusalLine, 'ts' | 'upstream' | 'model' | 'cap' | 'limit' | 'spent' | 'in_flight' | 'needed'> & { requests: number };

export type LedgerSpend = {
  tokens: number;
  usd: number;
  replies: number;
  /** Replies cut short (client abort, upstream error, stall, no final usage): partly estimated. */
  cutShort: number;
  /** Replies priced by fallback (a model or tier the price table does not list), by model. */
  fallback: { model: string; note: string; replies: number; usd: number }[];
  /** The last refusal for each cap. */
  refusals: Partial<Record<Refusal['cap'], Refusal>>;
  /** The last plan-usage / rate-limit signals each upstream sent, and the highest utilization seen. */
  planUsage: { upstream: string; ts: string; signals: Record<string, string> }[];
  peakUtilization: { upstream: string; signal: string; percent: number; ts: string }[];
  /** Limit replies (429) the vendors sent: how many in all, and the latest ones. */
  limits: number;
  recentLimits: LimitedLine[];
  tornTail: boolean;
  /**
   * Requests at the vendor now: reservations no reply line has settled yet (reservation-journal.ts),
   * each at the most it can cost. Not spend yet, but money the run may already owe.
   */
  inFlight: { requests: number; usd: number; tokens: number };
};

/** How many of the latest limit lines a summary keeps (a turn's are read as the growth since the last read). */
export const RECENT_LIMITS = 32;

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export function summarizeLedger(lines: LedgerLine[], tornTail = false): LedgerSpend {
  const fold = ledgerFold();
  for (const l of lines) fold.add(l);
  return fold.finish(tornTail);
}

/**
 * The summary built one line at a time, so a reader holds what it keeps, never every line
 * (`forEachLedgerLine`: a ledger of hundreds of MB would otherwise take a reader's memory with it).
 */
function ledgerFold(): { add(l: LedgerLine): void; finish(tornTail: boolean): LedgerSpend } {
  const s: LedgerSpend = { tokens: 0, usd: 0, replies: 0, cutShort: 0, fallback: [], refusals: {}, planUsage: [], peakUtilization: [], limits: 0, recentLimits: [], tornTail: false, inFlight: { requests: 0, usd: 0, tokens: 0 } };
  const fallback = new Map<string, LedgerSpend['fallback'][number]>();
  const plan = new Map<string, LedgerSpend['planUsage'][number]>();
  const peak = new Map<string, LedgerSpend['peakUtilization'][number]>();
  // Reservations still open (reservation-journal.ts): those a reply or `released` line settles are dropped as they are.
  const open = new Map<string, ReservedLine>();
  const settled = new Set<string>();
  const settle = (id: string) => {
    if (!open.delete(id)) settled.add(id);
  };
  const add = (l: LedgerLine): void => {
    if (isReserved(l)) {
      if (!settled.has(l.id)) open.set(l.id, l);
      return;
    }
    if (isReleased(l)) return settle(l.id);
    if (isRefusal(l)) {
      const { ts, upstream, model, cap, limit, spent, in_flight, needed } = l;
      s.refusals[l.cap] = { ts, upstream, model, cap, limit, spent, in_flight, needed, requests: (s.refusals[l.cap]?.requests ?? 0) + (l.requests ?? 1) };
      return;
    }
    if (isLimited(l)) {
      s.limits++;
      s.recentLimits.push(l);
      if (s.recentLimits.length > RECENT_LIMITS) s.recentLimits.shift();
      return;
    }
    if (!isReply(l)) return;
    if (typeof l.reservation === 'string') settle(l.reservation);
    s.replies++;
    s.tokens += l.total_tokens;
    s.usd += l.usd;
    if (l.cut_short) s.cutShort++;
    if (l.priced === 'fallback') {
      const key = `${l.model}\0${l.price_note ?? ''}`;
      const f = fallback.get(key) ?? { model: l.model, note: l.price_note ?? '', replies: 0, usd: 0 };
      f.replies++;
      f.usd += l.usd;
      fallback.set(key, f);
    }
    if (l.rate_limits) {
      plan.set(l.upstream, { upstream: l.upstream, ts: l.ts, signals: l.rate_limits });
      for (const [name, value] of Object.entries(l.rate_limits)) {
        if (!isUtilizationSignal(name)) continue;
        const percent = utilizationPercent(name, value);
        const key = `${l.upstream}\0${name}`;
        if (percent !== null && percent >= (peak.get(key)?.percent ?? -1)) peak.set(key, { upstream: l.upstream, signal: name, percent: round(percent, 2), ts: l.ts });
      }
    }
  };
  const finish = (tornTail: boolean): LedgerSpend => {
    for (const r of open.values()) {
      s.inFlight.requests++;
      s.inFlight.usd = round(s.inFlight.usd + r.usd, 8);
      s.inFlight.tokens += r.input_tokens + r.output_tokens;
    }
    s.tornTail = tornTail;
    s.usd = round(s.usd, 8);
    s.fallback = [...fallback.values()].map((f) => ({ ...f, usd: round(f.usd, 8) }));
    s.planUsage = [...plan.values()];
    s.peakUtilization = [...peak.values()];
    return s;
  };
  return { add, finish };
}

/** The ledger's spend, or null when the sidecar has not written one (a run outside the pod). */
export function readLedgerSpend(path: string): LedgerSpend | null {
  if (!existsSync(path)) return null;
  const fold = ledgerFold();
  const { tornTail } = forEachLedgerLine(path, fold.add);
  return fold.finish(tornTail);
}

/** How often the loop looks at the ledger while a turn's last lines may still come. */
export const LEDGER_POLL_MS = 25;
/** The longest a turn's end waits for its requests to settle (a sidecar that stopped settles none). */
export const LEDGER_SETTLE_MAX_MS = 3000;

/**
 * Whether a turn's lines are all on the ledger: it did not grow over the last poll, and every
 * reservation on it is settled (reservation-journal.ts). The sidecar writes a request's `reserved`
 * line before the request goes out and settles it the moment the reply ends, also when its client
 * was just killed; so a turn whose processes are gone has nothing more to come once nothing is
 * open. Pure.
 */
export function ledgerSettled(o: { grew: boolean; inFlight: number }): boolean {
  return !o.grew && o.inFlight === 0;
}

/**
 * Reads the ledger once a turn's lines are all on it (ledgerSettled), or after `maxMs` whatever
 * is still open (a sidecar that stopped settles nothing: the next sidecar counts its reservations).
 * Where the wait was a fixed 300 ms of no growth after every turn, it is now one poll when nothing
 * is at the vendor, and as long as a request is: `peers down` and every tick in the pod no longer
 * wait out a quiet period (BENCHMARKS.md, "Pod up and down").
 */
export async function readSettledLedger<T extends { inFlight: { requests: number } }>(
  path: string,
  read: () => T | null,
  o: { pollMs?: number; maxMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<T | null> {
  const pollMs = o.pollMs ?? LEDGER_POLL_MS;
  const sleep = o.sleep ?? ((ms: number) => Bun.sleep(ms));
  const size = () => (existsSync(path) ? statSync(path).size : 0);
  const end = Date.now() + (o.maxMs ?? LEDGER_SETTLE_MAX_MS);
  let last = size();
  // The ledger is read again only once it changed: a request still open settles with a new line.
  let readAt = -1;
  let spend: T | null = null;
  for (;;) {
    await sleep(pollMs);
    const now = size();
    const grew = now !== last;
    last = now;
    const timeUp = Date.now() >= end;
    if (grew && !timeUp) continue;
    if (now !== readAt) {
      spend = read();
      readAt = now;
    }
    if (spend === null || ledgerSettled({ grew, inFlight: spend.inFlight.requests }) || timeUp) return spend;
  }
}
