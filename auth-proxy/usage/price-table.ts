/**
 * The one price table every USD figure of a run comes from, in USD per million tokens, dated.
 *
 * Sources, checked on PRICE_TABLE_DATE:
 * - Anthropic: the model catalog baked into Claude Code 2.1.330 (the figures it prices its own cost
 *   report with, which mirror Anthropic's price page): input, output, cache reads, 5-minute and
 *   1-hour cache writes, the "fast" speed tier, long-prompt rates, US-only inference at 1.1x and
 *   web searches at $0.01 each.
 * - OpenAI: the API price page (standard tier: input, cached input, output; for GPT-5.4, GPT-5.5
 *   and their pro versions also the long-prompt rates above 272K input tokens, 2x input and cache,
 *   1.5x output for the whole request; for the GPT-6 family,
 *   which Codex picks by default, also cache writes at 1.25x input and the long-prompt rates above
 *   272K input tokens: input and cache 2x, output 1.5x, for the whole request). Codex's ChatGPT plans
 *   are billed in credits at the same per-token rates (25 credits = $1), so a ChatGPT-backed peer is
 *   priced the same way: the figure is what the run would have cost on the API.
 *
 * A model is found by its exact id (a `provider/` prefix removed) when it is a row, else with a
 * date suffix and `-latest` removed too (a snapshot priced above its alias has a row of its own),
 * in this table first, then in the user's own prices (`budget.prices` in .peers/config.yaml, which
 * may add models but never change a row here). Under a USD cap the auth sidecar forwards no request
 * for a model or tier found in neither (a model dearer than every row would be under-counted); without
 * one, such a reply is priced at the most expensive row of its vendor and the ledger line says
 * `priced: "fallback"` with the reason. Update the rows and the date together.
 */
export const PRICE_TABLE_DATE = '2026-12-04';

export type Vendor = 'anthropic' | 'openai';
export type Rates = { input: number; output: number; cacheRead: number; cacheWrite: number; cacheWrite1h: number };
export type ModelPrice = Rates & { vendor: Vendor; fast?: Rates; longPrompt?: { aboveTokens: number; rates: Rates } };

const tier = (input: number, output: number, cacheRead = input / 10): Rates => ({ input, output, cacheRead, cacheWrite: input * 1.25, cacheWrite1h: input * 2 });
const claude = (rates: Rates, extra: Partial<Pick<ModelPrice, 'fast' | 'longPrompt'>> = {}): ModelPrice => ({ vendor: 'anthropic', ...rates, ...extra });
/** OpenAI bills no cache writes: writing the cache costs the plain input rate. */
const gpt = (input: number, output: number, cached: number): ModelPrice => ({ vendor: 'openai', input, output, cacheRead: cached, cacheWrite: input, cacheWrite1h: input });

/**
 * OpenAI's 1.05M-context models (GPT-5.4, GPT-5.5 and their pro versions): no cache-write
 * surcharge, but above 272K input tokens the whole request at 2x input and cache, 1.5x output
 * (OpenAI's model pages). Flat rows priced such a request at half its input bill.
 */
const gptLong = (input: number, output: number, cached: number): ModelPrice => {
  const rates = (i: number, o: number, c: number): Rates => ({ input: i, output: o, cacheRead: c, cacheWrite: i, cacheWrite1h: i });
  return { vendor: 'openai', ...rates(input, output, cached), longPrompt: { aboveTokens: 272_000, rates: rates(input * 2, output * 1.5, cached * 2) } };
};

/** The GPT-6 family: cache writes billed at 1.25x input; above 272K input tokens the whole request at 2x input and cache, 1.5x output. */
const gpt6 = (input: number, output: number, cached: number): ModelPrice => {
  const rates = (i: number, o: number, c: number): Rates => ({ input: i, output: o, cacheRead: c, cacheWrite: i * 1.25, cacheWrite1h: i * 1.25 });
  return { vendor: 'openai', ...rates(input, output, cached), longPrompt: { aboveTokens: 272_000, rates: rates(input * 2, output * 1.5, cached * 2) } };
};

const T2_10 = tier(2, 10, 0.2);
const T3_15 = tier(3, 15);
const T5_25 = tier(5, 25);
const T15_75 = tier(15, 75);
const FAST_30_150 = tier(30, 150);
const FAST_10_50 = tier(10, 50);

export const PRICE_TABLE: Readonly<Record<string, ModelPrice>> = {
  'claude-3-5-haiku': claude(tier(0.8, 4)),
  'claude-haiku-4-5': claude(tier(1, 5)),
  'claude-haiku-5-5': claude(tier(0.1, 0.5), { longPrompt: { aboveTokens: 100_000, rates: tier(0.5, 2.5) } }),
  'claude-3-5-sonnet': claude(T3_15),
  'claude-3-7-sonnet': claude(T3_15),
  'claude-sonnet-4': claude(T3_15),
  'claude-sonnet-4-0': claude(T3_15),
  'claude-sonnet-4-5': claude(T3_15),
  'claude-sonnet-4-6': claude(T3_15),
  'claude-sonnet-5': claude(T2_10),
  'claude-sonnet-5-5': claude(tier(2, 10, 0.1)),
  'claude-opus-4': claude(T15_75),
  'claude-opus-4-0': claude(T15_75),
  'claude-opus-4-1': claude(T15_75),
  'claude-opus-4-5': claude(T5_25),
  'claude-opus-4-6': claude(T5_25, { fast: FAST_30_150 }),
  'claude-opus-4-7': claude(T5_25, { fast: FAST_30_150 }),
  'claude-opus-4-8': claude(T5_25, { fast: FAST_10_50 }),
  'claude-opus-5': claude(T5_25, { fast: FAST_10_50 }),
  'claude-opus-5-5': claude(tier(4, 20, 0.2), { fast: tier(8, 40, 0.4) }),
  'claude-fable-5': claude(tier(10, 50, 1)),
  'claude-fable-5-1': claude(tier(10, 50, 0.25)),
  'claude-fable-5-2': claude(tier(8, 40, 0.2), { fast: tier(16, 80, 0.4) }),
  'claude-mythos-5': claude(tier(10, 50, 1)),
  'claude-mythos-5-1': claude(tier(10, 50, 0.25)),
  'claude-mythos-5-2': claude(tier(8, 40, 0.2), { fast: tier(16, 80, 0.4) }),
  'gpt-6-astra': gpt6(10, 50, 1),
  'gpt-6-sol': gpt6(2, 10, 0.2),
  'gpt-6.1-sol': gpt6(2, 10, 0.1),
  'gpt-6-luna': gpt6(0.1, 0.5, 0.01),
  'gpt-5.5': gptLong(5, 30, 0.5),
  'gpt-5.5-pro': gptLong(30, 180, 30),
  'gpt-5.4': gptLong(2.5, 15, 0.25),
  'gpt-5.4-mini': gpt(0.75, 4.5, 0.075),
  'gpt-5.4-nano': gpt(0.2, 1.25, 0.02),
  'gpt-5.4-pro': gptLong(30, 180, 30),
  'gpt-5.3-codex': gpt(1.75, 14, 0.175),
  'gpt-5.2': gpt(1.75, 14, 0.175),
  'gpt-5.2-codex': gpt(1.75, 14, 0.175),
  'gpt-5.1': gpt(1.25, 10, 0.125),
  'gpt-5.1-codex': gpt(1.25, 10, 0.125),
  'gpt-5.1-codex-max': gpt(1.25, 10, 0.125),
  'gpt-5.1-codex-mini': gpt(0.25, 2, 0.025),
  'gpt-5': gpt(1.25, 10, 0.125),
  'gpt-5-codex': gpt(1.25, 10, 0.125),
  'gpt-5-mini': gpt(0.25, 2, 0.025),
  'gpt-5-nano': gpt(0.05, 0.4, 0.005),
  'gpt-4.1': gpt(2, 8, 0.5),
  'gpt-4.1-mini': gpt(0.4, 1.6, 0.1),
  'gpt-4o': gpt(2.5, 10, 1.25),
  // A dated snapshot priced above its alias: found by its exact id, before the date is removed.
  'gpt-4o-2024-05-13': gpt(5, 15, 5),
  'gpt-4o-mini': gpt(0.15, 0.6, 0.075),
  o3: gpt(2, 8, 0.5),
  'o4-mini': gpt(1.1, 4.4, 0.275),
};

/** Web search (Anthropic server tool), USD per request. */
export const WEB_SEARCH_USD = 0.01;
/** Anthropic `inference_geo: "us"` multiplier. */
export const US_INFERENCE_FACTOR = 1.1;
/**
 * OpenAI's priority tier (`service_tier: "priority"`, Codex's "fast" mode) costs 2x to 2.5x the
 * standard rate depending on the model; the larger factor is used.
 */
export const PRIORITY_TIER_FACTOR = 2.5;
/**
 * OpenAI's Ultrafast service tier (`service_tier: "ultrafast"`, GPT-6 Astra and GPT-6.1 Sol):
 * 6x the standard rate (OpenAI's price page: "Ultrafast mode prices are 6x Standard"). The
 * dearest tier known, so also what a tier peers does not know is priced at.
 */
export const ULTRAFAST_TIER_FACTOR = 6;

/**
 * The service tiers whose price peers knows, as a factor of the standard rate: the default ones
 * (OpenAI `auto`, `default`; Anthropic `standard`, `standard_only`), the cheaper ones counted at the
 * standard rate (`flex`, `batch`), `priority` and `fast` (OpenAI's new name for it, the same
 * processing), and `ultrafast` (6x). Another name (a tier added tomorrow) has no price here: under
 * a USD cap a request asking for it is refused (request-cost.ts, unpricedReason), and otherwise it
 * is priced at the dearest factor known, Ultrafast's, and flagged (SECURITY.md, "Nothing
 * unmetered"). Before, that was priority's 2.5x, and a project set to Ultrafast was metered at 42%
 * of its bill.
 */
const TIER_FACTORS: Readonly<Record<string, number>> = { auto: 1, default: 1, standard: 1, standard_only: 1, flex: 1, batch: 1, priority: PRIORITY_TIER_FACTOR, fast: PRIORITY_TIER_FACTOR, ultrafast: ULTRAFAST_TIER_FACTOR };

export function tierFactor(tier: string | undefined): { factor: number; known: boolean } {
  if (tier === undefined) return { factor: 1, known: true };
  if (Object.hasOwn(TIER_FACTORS, tier)) return { factor: TIER_FACTORS[tier]!, known: true };
  return { factor: ULTRAFAST_TIER_FACTOR, known: false };
}

/**
 * Anthropic's 1M-token context window (`anthropic-beta: context-1m-…`): a request whose prompt
 * (input, cache reads and writes) passes 200k tokens is billed at twice the input-side rates and
 * 1.5 times the output rate, whole. The reply does not say so; the request's header does. A row with
 * long-prompt rates of its own already prices its long prompts, and is not raised again.
 */
export const LONG_CONTEXT = { aboveTokens: 200_000, inputFactor: 2, outputFactor: 1.5 } as const;
const longContextRates = (r: Rates): Rates => ({ input: r.input * LONG_CONTEXT.inputFactor, output: r.output * LONG_CONTEXT.outputFactor, cacheRead: r.cacheRead * LONG_CONTEXT.inputFactor, cacheWrite: r.cacheWrite * LONG_CONTEXT.inputFactor, cacheWrite1h: r.cacheWrite1h * LONG_CONTEXT.inputFactor });

/**
 * The highest of each rate. One plain loop, no callback per row and rate: this runs when the module
 * loads, and a callback called a thousand times then is compiled by the JIT, whose compiler's pages
 * the auth sidecar would otherwise hold for the run's hours without serving a request (BENCHMARKS.md, Memory).
 */
function maxRates(rates: Rates[]): Rates {
  const out: Rates = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0 };
  for (const r of rates) {
    out.input = Math.max(out.input, r.input);
    out.output = Math.max(out.output, r.output);
    out.cacheRead = Math.max(out.cacheRead, r.cacheRead);
    out.cacheWrite = Math.max(out.cacheWrite, r.cacheWrite);
    out.cacheWrite1h = Math.max(out.cacheWrite1h, r.cacheWrite1h);
  }
  return out;
}

const rows = Object.values(PRICE_TABLE);
const ofVendor = (v: Vendor) => rows.filter((r) => r.vendor === v);
/** The most expensive standard rates of each vendor: what an unknown model costs. */
export const FALLBACK_RATES: Record<Vendor, Rates> = { anthropic: maxRates(ofVendor('anthropic')), openai: maxRates(ofVendor('openai')) };
/** The most expensive fast-tier rates: an unknown model, or one without a listed fast price, asked for "fast". */
const FALLBACK_FAST: Rates = maxRates(rows.flatMap((r) => (r.fast ? [r.fast] : [])));

/**
 * `anthropic/claude-opus-4-5-20251101` → `claude-opus-4-5`; `gpt-5.4-2026-03-05` → `gpt-5.4`;
 * OpenRouter's `anthropic/claude-sonnet-4.5` → `claude-sonnet-4-5` (Claude ids use dashes, a GPT's dots are its name).
 */
export function normalizeModel(model: string): string {
  const id = model
    .trim()
    .toLowerCase()
    .replace(/^.*\//, '')
    .replace(/-latest$/, '')
    .replace(/-\d{8}$/, '')
    .replace(/-\d{4}-\d{2}-\d{2}$/, '');
  return id.startsWith('claude-') ? id.replace(/(\d)\.(\d)/g, '$1-$2') : id;
}

/** The user's prices for models the table does not list (`budget.prices`), by normalized id. */
export type UserPrices = Readonly<Record<string, Rates>>;
export type Priced = 'table' | 'config' | 'fallback';
export type PriceLookup = { rates: Rates; longPrompt?: ModelPrice['longPrompt']; priced: Priced; note?: string };

export type UsageFacts = {
  model: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  /** Part of cache_write_tokens written with a one-hour lifetime (Anthropic), billed higher. */
  cache_write_1h_tokens?: number;
  web_search_requests?: number;
  /** Anthropic `usage.speed`, e.g. "fast". */
  speed?: string;
  /** Anthropic `usage.inference_geo`, e.g. "us". */
  inference_geo?: string;
  /** OpenAI `service_tier`, e.g. "priority". */
  service_tier?: string;
  /** What the vendor says it charged, in USD (a router's `usage.cost`): the reply costs no less. */
  vendor_usd?: number;
};

/**
 * The table's row for a normalized id, or undefined. Own keys only: `PRICE_TABLE[id]` found
 * Object's `constructor` and `__proto__` for a model so named, priced at NaN (SECURITY.md,
 * "Nothing unmetered"; prototype-model-name.test.ts).
 */
export function tableRow(id: string): ModelPrice | undefined {
  return Object.hasOwn(PRICE_TABLE, id) ? PRICE_TABLE[id] : undefined;
}

export function priceFor(model: string, vendor: Vendor, speed?: string, user: UserPrices = {}): PriceLookup {
  // A snapshot with a row of its own is priced by it: removing its date would find its alias, which may be cheaper.
  const exact = model.trim().toLowerCase().replace(/^.*\//, '');
  const id = tableRow(exact) ? exact : normalizeModel(model);
  const row = tableRow(id);
  // A speed other than the two priced (a tier added tomorrow) is priced at the dearest fast rates, flagged; under a USD cap it is refused (request-cost.ts).
  if (speed !== undefined && speed !== 'fast' && speed !== 'standard') {
    const own = row ?? (Object.hasOwn(user, id) ? user[id] : undefined);
    return { rates: maxRates([FALLBACK_FAST, FALLBACK_RATES[vendor], ...(own ? [own] : [])]), priced: 'fallback', note: `no price for speed ${JSON.stringify(speed.slice(0, 64))}` };
  }
  const fast = speed === 'fast';
  const own = row || !Object.hasOwn(user, id) ? undefined : user[id];
  if (own) {
    if (fast) return { rates: maxRates([FALLBACK_FAST, FALLBACK_RATES[vendor], own]), priced: 'fallback', note: `no fast-tier price for ${model}` };
    return { rates: own, priced: 'config' };
  }
  if (!row) return { rates: fast ? maxRates([FALLBACK_FAST, FALLBACK_RATES[vendor]]) : FALLBACK_RATES[vendor], priced: 'fallback', note: `model ${JSON.stringify(model || '(none)')} is not in the price table of ${PRICE_TABLE_DATE}` };
  if (fast) {
    if (row.fast) return { rates: row.fast, priced: 'table' };
    return { rates: maxRates([FALLBACK_FAST, FALLBACK_RATES[row.vendor]]), priced: 'fallback', note: `no fast-tier price for ${model}` };
  }
  return { rates: row, longPrompt: row.longPrompt, priced: 'table' };
}

const round8 = (x: number) => Math.round(x * 1e8) / 1e8;

/** The USD an exchange cost, with how it was priced. */
export function usdFor(u: UsageFacts, vendor: Vendor, user: UserPrices = {}, request: { longContext?: boolean } = {}): { usd: number; priced: Priced; note?: string } {
  const found = priceFor(u.model, vendor, u.speed, user);
  let rates = found.rates;
  const promptTokens = u.input_tokens + u.cache_read_tokens + u.cache_write_tokens;
  if (found.longPrompt && promptTokens > found.longPrompt.aboveTokens) rates = found.longPrompt.rates;
  let note = found.note;
  let priced = found.priced;
  if (request.longContext && !found.longPrompt && promptTokens > LONG_CONTEXT.aboveTokens) {
    rates = longContextRates(rates);
    priced = 'fallback';
    note = [note, `1M context window past ${LONG_CONTEXT.aboveTokens} prompt tokens priced at ${LONG_CONTEXT.inputFactor}x input, ${LONG_CONTEXT.outputFactor}x output`].filter(Boolean).join('; ');
  }
  const oneHour = Math.min(u.cache_write_1h_tokens ?? 0, u.cache_write_tokens);
  let usd = (u.input_tokens * rates.input + u.output_tokens * rates.output + u.cache_read_tokens * rates.cacheRead + (u.cache_write_tokens - oneHour) * rates.cacheWrite + oneHour * rates.cacheWrite1h) / 1_000_000;
  if (u.inference_geo === 'us') usd *= US_INFERENCE_FACTOR;
  const tier = tierFactor(u.service_tier);
  if (tier.factor !== 1 || !tier.known) {
    usd *= tier.factor;
    priced = 'fallback';
    const name = tier.known ? `${u.service_tier} tier` : `service tier ${JSON.stringify(u.service_tier!.slice(0, 64))}, which peers has no price for,`;
    note = [note, `${name} priced at ${tier.factor}x the standard rate`].filter(Boolean).join('; ');
  }
  usd += (u.web_search_requests ?? 0) * WEB_SEARCH_USD;
  // A router charges what the provider it chose charges, which may be above the list price here.
  if (u.vendor_usd !== undefined && u.vendor_usd > usd) {
    usd = u.vendor_usd;
    note = [note, 'the vendor\'s stated cost, above the price table\'s'].filter(Boolean).join('; ');
  }
  return { usd: round8(usd), priced, ...(note ? { note } : {}) };
}

/**
 * The most one request can cost, for the budget's reservation: every prompt token at the highest
 * input-side rate (it may all be written to the 1-hour cache), `maxOutputTokens` at the output rate
 * (the long-prompt rates when they could apply, the 1M context window's premium when asked for and
 * the prompt could pass its line), the tier the request asked for (on either API shape:
 * cross-shape-tier-budget.test.ts), and Anthropic's US-only inference factor (the request does
 * not say whether it applies).
 */
export function worstCaseUsd(model: string, vendor: Vendor, promptTokens: number, maxOutputTokens: number, tier: { speed?: string; serviceTier?: string; longContext?: boolean } = {}, user: UserPrices = {}): number {
  const found = priceFor(model, vendor, tier.speed, user);
  let candidates = [found.rates, ...(found.longPrompt && promptTokens > found.longPrompt.aboveTokens ? [found.longPrompt.rates] : [])];
  if (tier.longContext && !found.longPrompt && promptTokens > LONG_CONTEXT.aboveTokens) candidates = candidates.map(longContextRates);
  let worst = 0;
  for (const r of candidates) {
    const inRate = Math.max(r.input, r.cacheRead, r.cacheWrite, r.cacheWrite1h);
    worst = Math.max(worst, (promptTokens * inRate + maxOutputTokens * r.output) / 1_000_000);
  }
  // The tier on either shape: a router speaking Anthropic's serves OpenAI's models and their tiers
  // (Anthropic's own, `auto` and `standard_only`, are 1x); US-only inference on Anthropic's.
  const factor = (vendor === 'anthropic' ? US_INFERENCE_FACTOR : 1) * tierFactor(tier.serviceTier).factor;
  return round8(worst * factor);
}
