/**
 * The plan-usage and rate-limit signals vendors send with each reply, kept in the ledger so a
 * user on a subscription (OAuth) sees how close a run came to a limit, and one on an API key sees
 * the rate-limit headroom:
 * - Anthropic: `anthropic-ratelimit-unified-*` (subscription: 5-hour and 7-day utilization,
 *   status, reset), `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-*` (API keys);
 * - OpenAI API: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`;
 * - Codex on a ChatGPT plan: `x-codex-{primary,secondary}-{used-percent,window-minutes,reset-*}`,
 *   `x-codex-credits-*`, `x-codex-active-limit`, `x-codex-rate-limit-reached-type`.
 */
const SIGNAL = /^(anthropic-ratelimit-|x-ratelimit-|x-codex-(primary|secondary|credits|active-limit|rate-limit))/;
const MAX_SIGNALS = 48;
const MAX_VALUE = 120;

export function planUsageSignals(headers: Record<string, string | string[] | undefined>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase();
    if (v === undefined || !SIGNAL.test(name)) continue;
    const value = (Array.isArray(v) ? v.join(', ') : v).replace(/[^\x20-\x7e]/g, '').slice(0, MAX_VALUE);
    out[name] = value;
    if (++n >= MAX_SIGNALS) break;
  }
  return n ? out : undefined;
}

/** A signal that measures how much of a limit is used (0..1 fractions or 0..100 percents). */
export function isUtilizationSignal(name: string): boolean {
  return /(utilization|used-percent)$/.test(name);
}

/** Utilization as a percentage: Anthropic reports fractions (0.42), Codex percents (42). */
export function utilizationPercent(name: string, value: string): number | null {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) return null;
  return name.endsWith('used-percent') ? n : n * 100;
}

/**
 * Signals that move with every request (what is left, when it resets, how much is used): a new
 * value of one is no news by itself. Any other signal (a status, a limit, which limit was hit, a
 * name peers does not know) is news whenever it changes.
 */
const MOVING = /-(remaining|reset|reset-at|reset-after-seconds|utilization|used-percent|balance)$/;
/** How often an upstream's signals are written when nothing but the moving ones changed. */
export const PLAN_SIGNAL_INTERVAL_MS = 60_000;

/**
 * Which replies' signals go on the ledger, for one upstream. They were copied onto every reply
 * line, about 840 bytes of Anthropic's twelve rate-limit headers on a 400-byte line, so a flood of
 * the cheapest requests took the ledger to its readers' 256 MiB cap for well under a dollar
 * (SECURITY.md, "A flood of refusals cannot hold the run"). The readers want the last signals an
 * upstream sent and the highest utilization of each (src/budget/ledger-spend.ts): so a reply's
 * signals are kept when they are the first since the sidecar started, when a minute has passed
 * since the last kept, when a signal appears, disappears or changes that is not a moving counter,
 * and when a utilization passes the highest kept. Stateful; one per upstream.
 */
export class PlanSignalSampler {
  private last: Record<string, string> | undefined;
  private lastMs = 0;
  private readonly peaks = new Map<string, number>();

  constructor(private readonly intervalMs = PLAN_SIGNAL_INTERVAL_MS) {}

  /** Whether `signals` (planUsageSignals of a reply) go on its line; remembers them if so. */
  keep(signals: Record<string, string> | undefined, nowMs: number): boolean {
    if (!signals) return false;
    if (!this.news(signals, nowMs)) return false;
    this.last = signals;
    this.lastMs = nowMs;
    for (const [name, value] of Object.entries(signals)) {
      const p = this.newPeak(name, value);
      if (p !== null) this.peaks.set(name, p);
    }
    return true;
  }

  private news(signals: Record<string, string>, nowMs: number): boolean {
    const last = this.last;
    if (!last || nowMs - this.lastMs >= this.intervalMs || nowMs < this.lastMs) return true;
    const names = Object.keys(signals);
    if (names.length !== Object.keys(last).length || names.some((n) => !(n in last))) return true;
    for (const [name, value] of Object.entries(signals)) {
      if ((!MOVING.test(name) && last[name] !== value) || this.newPeak(name, value) !== null) return true;
    }
    return false;
  }

  /** A utilization signal's percentage when it passes the highest kept of that name, else null. */
  private newPeak(name: string, value: string): number | null {
    const p = isUtilizationSignal(name) ? utilizationPercent(name, value) : null;
    return p !== null && p > (this.peaks.get(name) ?? -1) ? p : null;
  }
}
