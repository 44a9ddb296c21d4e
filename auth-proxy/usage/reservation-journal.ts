/**
 * Reservations on the ledger. A request's reservation lived only in the sidecar's memory, so a
 * sidecar that died (killed at its memory limit, say) with requests at the vendor lost them: the
 * vendor finished and billed them, no reply line was written, and the restarted sidecar let the
 * run spend the cap again. Now each reservation is a `reserved` line written before its request
 * goes out; the reply's line names it (`reservation`), or a `released` line gives it back when
 * there is nothing to meter; one left unsettled when a sidecar starts is spent at its reservation
 * (SECURITY.md, "A request goes out only if the budget left covers it").
 */
import type { LedgerLine, ReplyLine, ReservedLine } from './ledger-lines.ts';

/** The `reserved` lines no reply or `released` line settles, in ledger order. Pure. */
export function unsettledReservations(lines: readonly LedgerLine[]): ReservedLine[] {
  const settled = new Set<string>();
  for (const l of lines) {
    if (l.kind === 'released') settled.add(l.id);
    else if ((l.kind === undefined || l.kind === 'reply') && typeof l.reservation === 'string') settled.add(l.reservation);
  }
  return lines.filter((l): l is ReservedLine => l.kind === 'reserved' && !settled.has(l.id));
}

/** The reply line for a reservation whose request a stopped sidecar never metered: its whole reservation, flagged. */
export function orphanReply(r: ReservedLine, ts: string): ReplyLine {
  return {
    kind: 'reply',
    ts,
    upstream: r.upstream,
    ...(r.path !== undefined ? { path: r.path } : {}),
    status: 0,
    stream: false,
    model: r.model,
    input_tokens: r.input_tokens,
    output_tokens: r.output_tokens,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    total_tokens: r.input_tokens + r.output_tokens,
    usd: r.usd,
    priced: 'fallback',
    price_note: `the sidecar stopped while this request was at the vendor (reserved ${r.ts}): counted at its reservation`,
    cut_short: 'sidecar-stopped',
    estimated: ['input', 'output'],
    reservation: r.id,
  };
}
