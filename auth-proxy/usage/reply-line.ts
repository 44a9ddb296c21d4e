/**
 * The ledger line of one metered reply: the meter's figures priced by the table (or the user's
 * `budget.prices`, or the vendor's stated cost when that is higher), how it was priced, how it was
 * cut short, and the reservation it settles. Pure.
 */
import { planUsageSignals } from './plan-usage.ts';
import { type UserPrices, usdFor, type Vendor } from './price-table.ts';
import type { ReplyMeter } from './reply-meter.ts';
import type { ReplyLine } from './usage-ledger.ts';

export type ReplyContext = { upstream: string; path: string; vendor: Vendor; prices: UserPrices; longContext?: boolean; reservation?: string };

export function replyLine(c: ReplyContext, status: number, stream: boolean, m: ReturnType<ReplyMeter['finish']>, headers: Record<string, string | string[]>, ts: string): ReplyLine {
  const u = m.usage;
  const price = usdFor(u, c.vendor, c.prices, { longContext: c.longContext });
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
    ...(u.vendor_usd !== undefined && u.vendor_usd >= price.usd ? { table_usd: usdFor({ ...u, vendor_usd: undefined }, c.vendor, c.prices, { longContext: c.longContext }).usd } : {}),
    priced: price.priced,
    ...(price.note ? { price_note: price.note } : {}),
    ...(m.cutShort ? { cut_short: m.cutShort } : {}),
    ...(m.estimated ? { estimated: m.estimated } : {}),
    ...(signals ? { rate_limits: signals } : {}),
    ...(c.reservation ? { reservation: c.reservation } : {}),
  };
}
