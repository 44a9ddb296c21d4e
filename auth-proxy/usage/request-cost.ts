/**
 * The most a request can cost, read from its body before it is forwarded: the budget reserves
 * this while the request is in flight (auth-proxy/usage/budget.ts).
 *
 * - Prompt: every byte of the body counts as one token, plus a margin for what the vendor adds
 *   (its tool-use system prompt). Tokenizers never produce more tokens than the UTF-8 bytes of the
 *   text they read, and the JSON around the text only adds bytes, so this bounds the input side
 *   for text carried in the body; an inline image is billed by its pixels, so each adds the most
 *   its stated size can be billed (image-input.ts); input the vendor adds itself (stored conversations,
 *   server-side tool results, files by id or URL) is not, so under a cap such requests are
 *   refused before they get here (request-screen.ts).
 * - Output: the request's own cap (`max_tokens`, `max_output_tokens`), or, when it gives none or
 *   a thinking budget reaches it, DEFAULT_MAX_OUTPUT_TOKENS (above every first-party model's output limit; a router's request gets a cap of its own: routed-output-cap.ts).
 */
import { PRICE_TABLE_DATE, priceFor, tierFactor, type UserPrices, type Vendor, worstCaseUsd } from './price-table.ts';
import type { Need } from './budget.ts';
import { imageInput } from './image-input.ts';
import { isObject, vendorDefinedTools, walkRequestObjects } from './off-body-input.ts';
import { OUTPUT_CAP_FIELDS, outputBudgetFields } from './output-budget-fields.ts';

export const DEFAULT_MAX_OUTPUT_TOKENS = 128_000;
/**
 * The least output a request asking for reasoning by a level or a switch (`reasoning_effort`,
 * `thinking: {"type": "adaptive"}`, a model's `(high)` suffix) is reserved at: a gateway that
 * turns the level into a thinking budget picks up to 32,768 tokens for the highest and raises the
 * output cap to fit it, with up to 4,096 for the answer (output-budget-fields.ts).
 */
export const LEVEL_OUTPUT_FLOOR = 32_768 + 4_096;
export const PROMPT_OVERHEAD_TOKENS = 1024;
/**
 * The most input one vendor-defined tool adds beyond its bytes (off-body-input.ts,
 * vendorDefinedTools): Anthropic documents its computer tool at 735 tokens plus up to 499 of system
 * prompt, the text editor at 700 and bash at 245, beside the tool-use system prompt (346); 40 bytes
 * of `{"type": "bash_20250124", "name": "bash"}` bounded none of it, and requests naming three such
 * tools passed a token cap one after another (SECURITY.md, "A request goes out only if …").
 */
export const VENDOR_TOOL_OVERHEAD_TOKENS = 2048;

/**
 * `imageTokens`: what the inline images can be billed (also in `promptTokensBound`, which a reply
 * cut short before its usage is charged as its input: reply-meter.ts).
 * `models`: the other models the request lets a router fall back to (OpenRouter's `models` list):
 * the vendor may bill any of them, so the reservation is the dearest.
 */
/**
 * `routing`: a router's routing preferences as sent (OpenRouter's `provider`: which provider
 * serves the model, at its price), part of what makes a router's request a first one (budget.ts).
 */
export type RequestFacts = { /** Some `cache_control` asks for a lifetime above five minutes (longCacheAsked). */ longCache?: boolean; model: string; models?: string[]; routing?: string; background?: boolean; stream: boolean; maxOutputTokens: number; promptTokensBound: number; imageTokens?: number; /** Why an inline image's size cannot be read (image-input.ts), if one's cannot. */ imageUnreadable?: string; speed?: string; serviceTier?: string; /** Anthropic's `inference_geo` as asked (its JSON text when not a string). */ inferenceGeo?: string; longContext?: boolean };

/** Whether Anthropic request headers ask for the 1M context window (`anthropic-beta: context-1m-…`), billed at premium rates past 200k prompt tokens. */
export function asksLongContext(beta: string | string[] | undefined): boolean {
  const list = Array.isArray(beta) ? beta.join(',') : (beta ?? '');
  return list.split(',').some((b) => b.trim().toLowerCase().startsWith('context-1m'));
}

const positiveInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

/**
 * The most prompt tokens a request carrying an inline PDF can be billed: the largest context
 * window either vendor serves (Anthropic's 1M-token window; OpenAI's GPT-4.1 takes 1,047,576, so
 * 1M let a PDF to it bill 47k tokens past its reservation: document-window-budget.test.ts),
 * rounded up to 2^20; a longer prompt is refused by the vendor, unbilled.
 */
export const DOCUMENT_PROMPT_BOUND_TOKENS = 1_048_576;
/**
 * The same through a router (`provider:` upstreams): the models it routes to serve windows up to
 * 10M tokens (Llama 4 Scout), Gemini's 1,048,576 among them, and a router turns a file into text
 * for a model that reads none. Bounded by the first parties' window, such a request could bill ten
 * times what was reserved.
 */
export const ROUTED_DOCUMENT_PROMPT_BOUND_TOKENS = 10_000_000;

export function requestFacts(body: Buffer, vendor: Vendor): RequestFacts {
  let doc: Record<string, unknown> = {};
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) doc = v as Record<string, unknown>;
  } catch {
    // Not JSON: the vendor will refuse it; it is still reserved at the fallback price.
  }
  return requestFactsOf(doc, body.length, vendor);
}

/** The field that caps a request's output, per vendor. */
export const OUTPUT_CAP_FIELD: Record<Vendor, 'max_tokens' | 'max_output_tokens'> = { anthropic: 'max_tokens', openai: 'max_output_tokens' };

/**
 * The most output the body lets any reader serve: its vendor's own cap (DEFAULT_MAX_OUTPUT_TOKENS
 * when it gives none: the vendor reads no other spelling), raised by every other spelling present
 * (a provider may read that one instead); a cap given as null is no cap for whoever reads it.
 */
export function largestOutputCap(doc: Record<string, unknown>, vendor: Vendor): number {
  let cap = positiveInt(doc[OUTPUT_CAP_FIELD[vendor]]) ?? DEFAULT_MAX_OUTPUT_TOKENS;
  for (const field of OUTPUT_CAP_FIELDS) {
    if (doc[field] === null) cap = Math.max(cap, DEFAULT_MAX_OUTPUT_TOKENS);
    cap = Math.max(cap, positiveInt(doc[field]) ?? 0);
  }
  return cap;
}

/**
 * The most output any reader of the body may serve: largestOutputCap, unless a thinking or
 * reasoning budget (or a nested or foreign cap spelling) reaches it: a lenient gateway then raises
 * the cap to fit the budget plus an answer, so the request is reserved as one without a cap
 * (DEFAULT_MAX_OUTPUT_TOKENS), or at the budget plus the cap when that is more
 * (output-budget-fields.ts).
 */
export function outputAllowance(doc: Record<string, unknown>, vendor: Vendor): number {
  const budgets = outputBudgetFields(doc);
  // Reasoning asked for by a level: a translating gateway may pick the highest budget and raise the cap to fit it.
  const cap = Math.max(largestOutputCap(doc, vendor), budgets.byLevel ? LEVEL_OUTPUT_FLOOR : 0);
  if (!budgets.unbounded && budgets.unreadable === null && budgets.largest < cap) return cap;
  return Math.max(cap, DEFAULT_MAX_OUTPUT_TOKENS, budgets.largest + cap);
}

/**
 * Whether some `cache_control` in the body asks for a cache lifetime other than the default five
 * minutes (Anthropic's `"ttl": "1h"`, billed at 2x input against 1.25x): a reply that does not split
 * its writes by lifetime has them priced at the one-hour rate (reply-line.ts).
 */
export function longCacheAsked(doc: Record<string, unknown>): boolean {
  let found = false;
  walkRequestObjects(doc, (v) => {
    const cc = v.cache_control;
    if (isObject(cc) && cc.ttl !== undefined && cc.ttl !== '5m') found = true;
    return found ? 'stop' : undefined;
  });
  return found;
}

/**
 * The facts of a body already parsed (`doc`), `bodyBytes` long once decoded. `uncappedOutput`: the
 * path takes no output cap (api-routes.ts), so none the body names bounds the reply.
 */
export function requestFactsOf(doc: Record<string, unknown>, bodyBytes: number, vendor: Vendor, routed = false, uncappedOutput = false): RequestFacts {
  const model = typeof doc.model === 'string' ? doc.model : '';
  // Anything but a list of names is reserved as an unknown model: the vendor's reading of it is not ours to guess.
  const models = doc.models !== undefined ? (Array.isArray(doc.models) ? doc.models.map((m) => (typeof m === 'string' ? m : '')) : ['']) : undefined;
  // An inline image is billed by its pixels, not its bytes: each adds the most its size can be billed (image-input.ts).
  const images = imageInput(doc, vendor, [model, ...(models ?? [])]);
  return {
    model,
    ...(models ? { models } : {}),
    ...(doc.provider !== undefined && doc.provider !== null ? { routing: JSON.stringify(doc.provider) } : {}),
    stream: doc.stream === true,
    // Responses' background mode answers at once without usage and bills later, out of the meter's sight.
    ...(doc.background !== undefined && doc.background !== false && doc.background !== null ? { background: true } : {}),
    maxOutputTokens: Math.max(outputAllowance(doc, vendor), uncappedOutput ? DEFAULT_MAX_OUTPUT_TOKENS : 0),
    ...(longCacheAsked(doc) ? { longCache: true } : {}),
    // A PDF bounds nothing by its bytes (image-input.ts): the prompt may fill the largest window.
    promptTokensBound: Math.max(bodyBytes + PROMPT_OVERHEAD_TOKENS + vendorDefinedTools(doc) * VENDOR_TOOL_OVERHEAD_TOKENS + images.tokens, images.documents > 0 ? (routed ? ROUTED_DOCUMENT_PROMPT_BOUND_TOKENS : DOCUMENT_PROMPT_BOUND_TOKENS) : 0),
    ...(images.tokens > 0 ? { imageTokens: images.tokens } : {}),
    ...(images.unreadable ? { imageUnreadable: images.unreadable } : {}),
    // A speed given as anything but a string is one peers cannot price (price-table.ts, priceFor): kept as its JSON text.
    ...(doc.speed !== undefined && doc.speed !== null ? { speed: typeof doc.speed === 'string' ? doc.speed : JSON.stringify(doc.speed) } : {}),
    // A tier given as anything but a string is one peers cannot price (tierFactor): kept as its JSON text.
    ...(doc.service_tier !== undefined && doc.service_tier !== null ? { serviceTier: typeof doc.service_tier === 'string' ? doc.service_tier : JSON.stringify(doc.service_tier) } : {}),
    // Where the request asked to be served: a reply silent on it is priced as asked (reply-line.ts).
    ...(doc.inference_geo !== undefined && doc.inference_geo !== null ? { inferenceGeo: typeof doc.inference_geo === 'string' ? doc.inference_geo : JSON.stringify(doc.inference_geo) } : {}),
  };
}

export function worstCase(f: RequestFacts, vendor: Vendor, user: UserPrices = {}): Need {
  let usd = 0;
  for (const model of [f.model, ...(f.models ?? [])]) usd = Math.max(usd, worstCaseUsd(model, vendor, f.promptTokensBound, f.maxOutputTokens, { speed: f.speed, serviceTier: f.serviceTier, longContext: f.longContext }, user));
  return { usd, tokens: f.promptTokensBound + f.maxOutputTokens };
}

/**
 * Why a request cannot be priced (a model or tier neither the table nor the user's `budget.prices`
 * lists), or null. Under a USD cap such a request is not forwarded: the table's dearest row is no
 * bound on what an unlisted model costs (SECURITY.md, "Nothing unmetered").
 */
export function unpricedReason(f: RequestFacts, vendor: Vendor, user: UserPrices = {}): string | null {
  // On either shape: a router speaking Anthropic's passes an OpenAI model's tier on.
  if (!tierFactor(f.serviceTier).known) {
    return `peers: the service tier ${JSON.stringify(f.serviceTier!.slice(0, 64))} has no price in peers' price table (${PRICE_TABLE_DATE}), so the most this request could cost is unknown and the run's USD cap (budget.max_usd) could be passed; the request was not sent. Send it without "service_tier", or with "default", "flex" or "priority".`;
  }
  for (const name of [f.model, ...(f.models ?? [])]) {
    const found = priceFor(name, vendor, f.speed, user);
    if (found.priced !== 'fallback') continue;
    const model = name.trim() ? JSON.stringify(name.slice(0, 200)) : '(none named)';
    const what = f.speed === 'fast' && found.note?.startsWith('no fast-tier')
      ? `the fast tier of the model ${model} has no price`
      : found.note?.startsWith('no price for speed')
        ? `the speed ${JSON.stringify(f.speed!.slice(0, 64))} asked for the model ${model} has no price`
        : `the model ${model} is not in peers' price table (${PRICE_TABLE_DATE})`;
    return `peers: ${what}, so the most this request could cost is unknown and the run's USD cap (budget.max_usd) could be passed; the request was not sent. Choose a listed model, or price this one in .peers/config.yaml under budget.prices (USD per million tokens), e.g. budget: { prices: { ${JSON.stringify(name.trim().slice(0, 200) || 'MODEL')}: { input: 5, output: 25 } } }.`;
  }
  return null;
}
