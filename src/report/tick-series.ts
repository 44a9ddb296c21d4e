/**
 * Per-tick series the report draws from runs.jsonl: every hard gate's state at the commit each
 * tick left (as runs of equal state, so 1,000 ticks of a green gate are one segment) and the spend of each tick
 * with its running total. Pure functions of the tick lines; nothing is sampled away.
 */
import type { TickLine } from '../state/run-log.ts';
import { GateTimeSchema, type GateTime } from '../loop/gate-time.ts';

export type GateState = 'pass' | 'fail' | 'unknown';
/** A run of ticks during which the gate kept one state (inclusive tick numbers). */
export type GateSegment = { from: number; to: number; state: GateState };
export type GateTimeline = {
  id: string;
  segments: GateSegment[];
  /** Ticks that left the gate red (a count over the whole log, not the current streak). */
  red_ticks: number;
  first_red: number | null;
  last_red: number | null;
  /** Green → red and red → green changes. */
  transitions: number;
  last_state: GateState;
};

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * Gate results by the commit they were measured at: each tick line's (measured at its start, or at
 * its own HEAD by a test-only turn, which then also logs the start's as `gates.start`) and the
 * state's latest.
 */
export type ResultsByHead = Map<string, Record<string, GateState>>;

export function resultsByHead(ticks: TickLine[], latest?: { head: string | null; results: Record<string, { state: string }> }): ResultsByHead {
  const by: ResultsByHead = new Map();
  const put = (head: unknown, results: Record<string, unknown> | undefined) => {
    if (typeof head !== 'string' || !results || typeof results !== 'object') return;
    const known: Record<string, GateState> = {};
    for (const [id, v] of Object.entries(results)) {
      const st = typeof v === 'string' ? v : (v as { state?: unknown } | null)?.state;
      if (st === 'pass' || st === 'fail') known[id] = st;
    }
    by.set(head, { ...(by.get(head) ?? {}), ...known });
  };
  for (const t of ticks) {
    const g = t.gates as { head?: unknown; hard?: Record<string, unknown>; start?: { head?: unknown; hard?: Record<string, unknown> } } | undefined;
    put(g?.start?.head, g?.start?.hard);
    put(g?.head, g?.hard);
    // Background measurements of expensive gates, each under the commit it judged (never a later one).
    for (const b of gateTimeOf(t)?.background ?? []) put(b.head, { [b.id]: b.state });
  }
  if (latest) put(latest.head, latest.results);
  return by;
}

/** Every gate named by any measurement (plus `ids`), in first-seen order. */
export function gateIds(by: ResultsByHead, ids: string[] = []): string[] {
  const seen = new Set(ids);
  for (const results of by.values()) for (const id of Object.keys(results)) seen.add(id);
  return [...seen];
}

/**
 * The gate's state at the commit each tick left (its head_after): measured when the next tick
 * started, or by the tick itself (test-only turns). `unknown` where that commit was never measured
 * (the run stopped before it, or the gate did not exist then).
 */
export function gateTimeline(ticks: TickLine[], id: string, by: ResultsByHead): GateTimeline {
  const segments: GateSegment[] = [];
  let red = 0;
  let firstRed: number | null = null;
  let lastRed: number | null = null;
  let transitions = 0;
  let prevKnown: GateState | null = null;
  for (const t of ticks) {
    const head = typeof t.head_after === 'string' ? t.head_after : typeof t.head_before === 'string' ? t.head_before : null;
    const state: GateState = (head ? by.get(head)?.[id] : undefined) ?? 'unknown';
    const tick = num(t.tick);
    if (state === 'fail') {
      red++;
      firstRed ??= tick;
      lastRed = tick;
    }
    if (state !== 'unknown') {
      if (prevKnown !== null && prevKnown !== state) transitions++;
      prevKnown = state;
    }
    const last = segments.at(-1);
    if (last && last.state === state) last.to = tick;
    else segments.push({ from: tick, to: tick, state });
  }
  return { id, segments, red_ticks: red, first_red: firstRed, last_red: lastRed, transitions, last_state: segments.at(-1)?.state ?? 'unknown' };
}

export type SpendPoint = { tick: number; peer: string; success: boolean; tokens: number; usd: number; tokens_total: number; usd_total: number };

/**
 * Tokens and USD per tick and cumulative. The cumulative figure is the loop's own total at that
 * tick (`spent_*_total`, the ledger's when there is one) where the line has it, else a running sum.
 */
export function spendSeries(ticks: TickLine[]): SpendPoint[] {
  let tokens = 0;
  let usd = 0;
  return ticks.map((t) => {
    const dt = num(t.tokens_this_tick);
    const du = num(t.usd_this_tick);
    tokens = typeof t.spent_tokens_total === 'number' ? t.spent_tokens_total : tokens + dt;
    usd = typeof t.spent_usd_total === 'number' ? t.spent_usd_total : usd + du;
    return { tick: num(t.tick), peer: String(t.peer), success: t.success === true, tokens: dt, usd: round6(du), tokens_total: tokens, usd_total: round6(usd) };
  });
}

export const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** Consecutive blocks of `size` ticks (by position in the log): the summary rows of a long run. */
export function blocksOf<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** One tick's gate time (runs.jsonl `gate_time`, written since expensive gates run in the background). */
export type GateTimeRow = { tick: number; peer: string } & GateTime;

function gateTimeOf(t: TickLine): GateTime | null {
  // A line that does not fit (hand-edited, from an older peers) shows no gate time, never a wrong one.
  const g = GateTimeSchema.safeParse((t as { gate_time?: unknown }).gate_time);
  return g.success ? g.data : null;
}

/** The gate time of every tick that recorded one: synchronous, background, and the job left running. */
export function gateTimeSeries(ticks: TickLine[]): GateTimeRow[] {
  return ticks.flatMap((t) => {
    const g = gateTimeOf(t);
    return g ? [{ tick: num(t.tick), peer: String(t.peer), ...g }] : [];
  });
}

/** A gate duration as both reports print it: tenths of a second under 10 s, whole seconds above. */
export function gateSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
