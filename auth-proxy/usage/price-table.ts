/**
 * List prices used for the USD estimate in the usage ledger, in USD per million tokens, from the
 * vendors' public pricing pages (Anthropic: cache writes 1.25x input, cache reads 0.1x input;
 * OpenAI: cached input as listed). Matching is by the longest model-name prefix. An unknown model
 * is priced at the most expensive row, so a budget in USD errs towards stopping early, and the
 * ledger line says `priced: "fallback"`. Update this table when prices change.
 */
export type Price = { input: number; output: number; cacheRead: number; cacheWrite: number };

const anthropic = (input: number, output: number): Price => ({ input, output, cacheRead: input * 0.1, cacheWrite: input * 1.25 });
const openai = (input: number, output: number, cached: number): Price => ({ input, output, cacheRead: cached, cacheWrite: input });

export const PRICE_TABLE: [prefix: string, price: Price][] = [
  ['claude-opus-4-5', anthropic(5, 25)],
  ['claude-opus-4', anthropic(15, 75)],
  ['claude-sonnet-4', anthropic(3, 15)],
  ['claude-3-7-sonnet', anthropic(3, 15)],
  ['claude-3-5-sonnet', anthropic(3, 15)],
  ['claude-haiku-4-5', anthropic(1, 5)],
  ['claude-3-5-haiku', anthropic(0.8, 4)],
  ['gpt-5-nano', openai(0.05, 0.4, 0.005)],
  ['gpt-5-mini', openai(0.25, 2, 0.025)],
  ['gpt-5', openai(1.25, 10, 0.125)],
  ['gpt-4.1-mini', openai(0.4, 1.6, 0.1)],
  ['gpt-4.1', openai(2, 8, 0.5)],
  ['gpt-4o-mini', openai(0.15, 0.6, 0.075)],
  ['gpt-4o', openai(2.5, 10, 1.25)],
  ['o4-mini', openai(1.1, 4.4, 0.275)],
  ['o3', openai(2, 8, 0.5)],
];

export const FALLBACK_PRICE: Price = anthropic(15, 75);

export function priceFor(model: string): { price: Price; priced: 'table' | 'fallback' } {
  let best: [string, Price] | undefined;
  for (const row of PRICE_TABLE) if (model.startsWith(row[0]) && (!best || row[0].length > best[0].length)) best = row;
  return best ? { price: best[1], priced: 'table' } : { price: FALLBACK_PRICE, priced: 'fallback' };
}

export function usdFor(model: string, u: { input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_write_tokens: number }): { usd: number; priced: 'table' | 'fallback' } {
  const { price, priced } = priceFor(model);
  const usd = (u.input_tokens * price.input + u.output_tokens * price.output + u.cache_read_tokens * price.cacheRead + u.cache_write_tokens * price.cacheWrite) / 1_000_000;
  return { usd: Math.round(usd * 1e8) / 1e8, priced };
}
