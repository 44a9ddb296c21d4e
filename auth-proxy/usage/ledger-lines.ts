/**
 * The usage ledger's lines: the zod schemas every reader checks a line against and the types the
 * sidecar writes (usage-ledger.ts reads and appends them; docs/ARCHITECTURE.md, Metering).
 */
import * as z from 'zod/mini';
import '../../src/config/zod-mini-english.ts';

/** `usage-unreadable`: the reply's usage held a figure that cannot be true (usage-extract.ts), so it was estimated like a missing one. */
export const CUT_SHORT = ['client-abort', 'upstream-error', 'stall', 'no-final-usage', 'sidecar-stopped', 'usage-unreadable'] as const;
export type CutShort = (typeof CUT_SHORT)[number];

/**
 * The schemas of the three kinds of line, built on first use: the sidecar reads lines only at start
 * and only when the ledger has some, and a sidecar that never builds them holds less memory for the
 * run's hours (BENCHMARKS.md, Memory).
 */
function buildLineSchemas() {
  const count = z.number().check(z.int(), z.nonnegative());
  const money = z.number().check(z.nonnegative());

  /** One metered reply. Lines written before `kind` existed are replies. */
  const reply = z.looseObject({
    kind: z.optional(z.literal('reply')),
    ts: z.string(),
    upstream: z.string(),
    path: z.optional(z.string()),
    status: count,
    stream: z.boolean(),
    model: z.string(),
    input_tokens: count,
    output_tokens: count,
    cache_read_tokens: count,
    cache_write_tokens: count,
    cache_write_1h_tokens: z.optional(count),
    web_search_requests: z.optional(count),
    speed: z.optional(z.string()),
    inference_geo: z.optional(z.string()),
    service_tier: z.optional(z.string()),
    /** On a project-billed upstream: whether the request left its tier to the project, so `service_tier` is the project's (project-tier.ts). */
    tier_from_project: z.optional(z.boolean()),
    total_tokens: count,
    usd: money,
    /** What the vendor said the reply cost (a router's `usage.cost`), when it said. */
    vendor_usd: z.optional(money),
    /** The price table's price for the reply, when the vendor's stated cost was above it. */
    table_usd: z.optional(money),
    /** table: peers' price table; config: the user's `budget.prices`; fallback: neither (see price_note). */
    priced: z.enum(['table', 'config', 'fallback']),
    /** Why a reply was priced by fallback (unknown model, unknown tier). */
    price_note: z.optional(z.string()),
    /** The reply did not end with its usage figures; the missing side was estimated. */
    cut_short: z.optional(z.enum(CUT_SHORT)),
    estimated: z.optional(z.array(z.enum(['input', 'output']))),
    /** Plan-usage and rate-limit signals the vendor sent with this reply (header → value). */
    rate_limits: z.optional(z.record(z.string(), z.string())),
    /** The `reserved` line this reply settles. */
    reservation: z.optional(z.string()),
    /** A router's routing preferences the request named (OpenRouter's `provider`), as sent. */
    routing: z.optional(z.string()),
  });

  /**
   * A request's reservation, written before the request goes out: a sidecar that dies before the
   * reply's line leaves it unsettled, and the next one counts it as spent (reservation-journal.ts).
   */
  const reserved = z.looseObject({
    kind: z.literal('reserved'),
    ts: z.string(),
    id: z.string(),
    upstream: z.string(),
    path: z.optional(z.string()),
    model: z.string(),
    input_tokens: count,
    output_tokens: count,
    usd: money,
  });

  /** A reservation given back without a reply to meter: the request never went out, or was answered with an error. */
  const released = z.looseObject({ kind: z.literal('released'), ts: z.string(), id: z.string() });

  /** A request the sidecar refused because the budget left could not cover it. */
  const refused = z.looseObject({
    kind: z.literal('refused'),
    ts: z.string(),
    upstream: z.string(),
    path: z.optional(z.string()),
    model: z.string(),
    cap: z.enum(['max_usd', 'max_tokens']),
    /** The cap in force (USD or tokens). */
    limit: money,
    /** Spent when the request came in, in the cap's unit. */
    spent: money,
    /** Held by requests still in flight. */
    in_flight: money,
    /** What this request could cost at most. */
    needed: money,
    /** How many refused requests this line stands for, when more than one (refusal-lines.ts). */
    requests: z.optional(count),
  });

  /**
   * A vendor reply that said a limit was hit (HTTP 429; limit-reply.ts reads what kind and until
   * when). Costs nothing; the loop reads it to put the peer whose turn it was to sleep until the reset.
   */
  const limited = z.looseObject({
    kind: z.literal('limited'),
    ts: z.string(),
    upstream: z.string(),
    path: z.optional(z.string()),
    status: count,
    limit: z.enum(['usage', 'quota', 'rate']),
    /** When the limit lifts (ISO 8601), or null when the vendor did not say. */
    reset_at: z.nullable(z.string()),
    /** Where the reset came from (a header or body field). */
    source: z.string(),
    message: z.string(),
  });

  return { reply, refused, limited, reserved, released };
}
type LineSchemas = ReturnType<typeof buildLineSchemas>;
let lineSchemas: LineSchemas | undefined;
/** The line schemas, built on first use. */
export const ledgerLineSchemas = (): LineSchemas => (lineSchemas ??= buildLineSchemas());

/** One metered reply. Lines written before `kind` existed are replies. */
export type ReplyLine = z.infer<LineSchemas['reply']>;
/** A request the sidecar refused because the budget left could not cover it. */
export type RefusalLine = z.infer<LineSchemas['refused']>;
/** A vendor reply that said a limit was hit (see `limited` above). */
export type LimitedLine = z.infer<LineSchemas['limited']>;

/** A request's reservation, on the ledger before the request goes out. */
export type ReservedLine = z.infer<LineSchemas['reserved']>;
/** A reservation given back with no reply to meter. */
export type ReleasedLine = z.infer<LineSchemas['released']>;

export type LedgerLine = ReplyLine | RefusalLine | LimitedLine | ReservedLine | ReleasedLine;
