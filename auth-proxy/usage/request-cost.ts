/**
 * The most a request can cost, read from its body before it is forwarded: the budget reserves
 * this while the request is in flight (auth-proxy/usage/budget.ts).
 *
 * - Prompt: every byte of the body counts as one token, plus a margin for what the vendor adds
 *   (its tool-use system prompt). Tokenizers never produce more tokens than the UTF-8 bytes of the
 *   text they read, and the JSON around the text only adds bytes, so this bounds the input side
 *   for text and images; server-side additions (web search results, PDF pages) are not bounded.
 * - Output: the request's own cap (`max_tokens`, `max_output_tokens`), or, when it gives none,
 *   DEFAULT_MAX_OUTPUT_TOKENS (above every current model's output limit).
 */
import { type Vendor, worstCaseUsd } from './price-table.ts';
import type { Need } from './budget.ts';

export const DEFAULT_MAX_OUTPUT_TOKENS = 128_000;
export const PROMPT_OVERHEAD_TOKENS = 1024;

export type RequestFacts = { model: string; stream: boolean; maxOutputTokens: number; promptTokensBound: number; speed?: string; serviceTier?: string };

const positiveInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

export function requestFacts(body: Buffer, vendor: Vendor): RequestFacts {
  let doc: Record<string, unknown> = {};
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) doc = v as Record<string, unknown>;
  } catch {
    // Not JSON: the vendor will refuse it; it is still reserved at the fallback price.
  }
  const cap = vendor === 'anthropic' ? positiveInt(doc.max_tokens) : positiveInt(doc.max_output_tokens);
  return {
    model: typeof doc.model === 'string' ? doc.model : '',
    stream: doc.stream === true,
    maxOutputTokens: cap ?? DEFAULT_MAX_OUTPUT_TOKENS,
    promptTokensBound: body.length + PROMPT_OVERHEAD_TOKENS,
    ...(typeof doc.speed === 'string' ? { speed: doc.speed } : {}),
    ...(typeof doc.service_tier === 'string' ? { serviceTier: doc.service_tier } : {}),
  };
}

export function worstCase(f: RequestFacts, vendor: Vendor): Need {
  return { usd: worstCaseUsd(f.model, vendor, f.promptTokensBound, f.maxOutputTokens, { speed: f.speed, serviceTier: f.serviceTier }), tokens: f.promptTokensBound + f.maxOutputTokens };
}
