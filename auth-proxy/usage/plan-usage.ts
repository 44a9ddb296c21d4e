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
