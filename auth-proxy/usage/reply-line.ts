/**
 * The ledger line of one metered reply: the meter's figures priced by the table (or the user's
 * `budget.prices`, or the vendor's stated cost when that is higher), how it was priced, how it was
 * cut short, and the reservation it settles. Pure.
 */
import { planUsageSignals } from './plan-usage.ts';
import { tierFactor, type UserPrices, usdFor, type Vendor } from './price-table.ts';
import type { ReplyMeter } from './reply-meter.ts';
import type { Usage } from './usage-extract.ts';
import type { ReplyLine } from './usage-ledger.ts';

/**
 * `request`: the speed and service tier the request was reserved at (its own, or its project's:
 * project-tier.ts). `costMargin`: how many times the table's price it was reserved at (a router's
 * margin, budget.ts costFactor).
 */
export type ReplyContext = { upstream: string; path: string; vendor: Vendor; prices: UserPrices; longContext?: boolean; /** The request asked for cache writes longer than five minutes (request-cost.ts, longCacheAsked). */ longCache?: boolean; reservation?: string; request?: { speed?: string; serviceTier?: string; inferenceGeo?: string }; costMargin?: number; routing?: string; /** project-tier.ts, leftToProject. */ tierFromProject?: boolean };

type Price = ReturnType<typeof usdFor>;

/**
 * The price of a reply whose usage the meter estimated (cut short, or unreadable): its figures
 * never said the tier or speed it was served at, nor how its input was billed, so what it estimated
 * is priced as the reservation priced it — the speed and tier the request was reserved at,
 * Anthropic's US-only factor, estimated input at the dearest input-side rate (all of it may have
 * been written to the 1-hour cache), a router's cost margin — and never below the figures as stated. Priced from the
 * reply's usage alone, a peer asking for `"speed": "fast"` and hanging up on every reply's head
 * was billed six times what the ledger counted (SECURITY.md, "Nothing unmetered").
 */
function estimatedPrice(c: ReplyContext, u: Usage, estimated: readonly ('input' | 'output')[], stated: Price): Price {
  const request = c.request ?? {};
  let asked: Usage = { ...u, speed: u.speed ?? request.speed, service_tier: u.service_tier ?? request.serviceTier };
  if (c.vendor === 'anthropic') asked = { ...asked, inference_geo: u.inference_geo ?? 'us' };
  if (estimated.includes('input')) asked = { ...asked, input_tokens: 0, cache_write_tokens: u.cache_write_tokens + u.input_tokens, cache_write_1h_tokens: (u.cache_write_1h_tokens ?? 0) + u.input_tokens };
  const priced = usdFor(asked, c.vendor, c.prices, { longContext: c.longContext });
  // A router states what it charged only at the reply's end: cut short, it is counted at the margin it was reserved at.
  const bound = { ...priced, usd: Math.round(priced.usd * Math.max(1, c.costMargin ?? 1) * 1e8) / 1e8 };
  if (bound.usd <= stated.usd) return stated;
  const note = [bound.note, 'estimated as reserved: the speed and tier asked for, the dearest input-side rate'].filter(Boolean).join('; ');
  return { usd: bound.usd, priced: 'fallback', note };
}

/**
 * The usage to price: as stated, except for what the request asked for and the reply does not say
 * it was not served (a compatible provider honours it and bills it without saying so): a speed,
 * tier or inference geography the reply does not state is the one the request was reserved at
 * (silent-tier-budget.test.ts),
 * and cache writes the reply does not split by lifetime are all one-hour writes when the request
 * asked for that lifetime (cache-ttl-budget.test.ts).
 */
function pricedUsage(c: ReplyContext, m: ReturnType<ReplyMeter['finish']>): { usage: Usage; note?: string } {
  let usage = m.usage;
  const notes: string[] = [];
  const asked = c.request ?? {};
  if (usage.speed === undefined && asked.speed !== undefined && asked.speed !== 'standard') {
    usage = { ...usage, speed: asked.speed };
    notes.push('the speed the request asked for, which the reply did not state');
  }
  // `auto` is what a request may ask, never a tier that served one: no more said than nothing.
  if ((usage.service_tier === undefined || usage.service_tier === 'auto') && asked.serviceTier !== undefined && tierFactor(asked.serviceTier).factor !== 1) {
    usage = { ...usage, service_tier: asked.serviceTier };
    notes.push('the service tier the request was reserved at, which the reply did not state');
  }
  // US-only inference (1.1x on Anthropic's API) asked for and not denied by the reply.
  if (usage.inference_geo === undefined && asked.inferenceGeo === 'us') {
    usage = { ...usage, inference_geo: 'us' };
    notes.push('the inference geography the request asked for, which the reply did not state');
  }
  if (c.longCache && !m.cacheSplit && usage.cache_write_tokens > 0 && (usage.cache_write_1h_tokens ?? 0) < usage.cache_write_tokens) {
    usage = { ...usage, cache_write_1h_tokens: usage.cache_write_tokens };
    notes.push('cache writes not split by lifetime priced as one-hour writes, which the request asked for');
  }
  return { usage, ...(notes.length ? { note: notes.join('; ') } : {}) };
}

export function replyLine(c: ReplyContext, status: number, stream: boolean, m: ReturnType<ReplyMeter['finish']>, headers: Record<string, string | string[]>, ts: string): ReplyLine {
  const u = m.usage;
  const asked = pricedUsage(c, m);
  let stated = usdFor(asked.usage, c.vendor, c.prices, { longContext: c.longContext });
  if (asked.note) stated = { ...stated, priced: 'fallback', note: [stated.note, asked.note].filter(Boolean).join('; ') };
  const price = m.estimated ? estimatedPrice(c, asked.usage, m.estimated, stated) : stated;
  const signals = planUsageSignals(headers);
  return {
    kind: 'reply',
    ts,
    upstream: c.upstream,
    path: c.path,
    status,
    stream,
    ...u,
    total_tokens: u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens,
    usd: price.usd,
    // The table's own price beside a higher stated cost: the ratio sets this upstream's reservations (budget.ts, costFactor).
    ...(u.vendor_usd !== undefined && u.vendor_usd >= price.usd ? { table_usd: usdFor({ ...asked.usage, vendor_usd: undefined }, c.vendor, c.prices, { longContext: c.longContext }).usd } : {}),
    priced: price.priced,
    ...(price.note ? { price_note: price.note } : {}),
    ...(m.cutShort ? { cut_short: m.cutShort } : {}),
    ...(m.estimated ? { estimated: m.estimated } : {}),
    ...(signals ? { rate_limits: signals } : {}),
    ...(c.reservation ? { reservation: c.reservation } : {}),
    ...(c.routing !== undefined ? { routing: c.routing } : {}),
    ...(c.tierFromProject !== undefined ? { tier_from_project: c.tierFromProject } : {}),
  };
}
