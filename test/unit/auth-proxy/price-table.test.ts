/**
 * What a metered reply costs in USD: the dated price table, model names as the CLIs send them, the
 * tiers that change the price, and an unknown model priced at its vendor's dearest row and flagged,
 * so a USD cap errs towards stopping early. Pure; mutation testing runs it against
 * auth-proxy/usage/price-table.ts.
 */
import { describe, expect, test } from 'bun:test';
import { FALLBACK_RATES, normalizeModel, PRICE_TABLE, PRICE_TABLE_DATE, priceFor, usdFor, worstCaseUsd, type UsageFacts } from '../../../auth-proxy/usage/price-table.ts';

const M = 1_000_000;
const usage = (model: string, over: Partial<UsageFacts> = {}): UsageFacts => ({ model, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, ...over });
/** USD for a million tokens of each kind on their own: the per-million rates as the price page lists them. */
function pageRates(model: string, vendor: 'anthropic' | 'openai') {
  const one = (over: Partial<UsageFacts>) => usdFor(usage(model, over), vendor).usd;
  return [one({ input_tokens: M }), one({ output_tokens: M }), one({ cache_read_tokens: M }), one({ cache_write_tokens: M }), one({ cache_write_tokens: M, cache_write_1h_tokens: M })];
}

/** USD per million tokens, from the vendors' price pages on PRICE_TABLE_DATE: input, output, cache read. */
const ANTHROPIC: [string, number, number, number][] = [
  ['claude-3-5-haiku', 0.8, 4, 0.08], ['claude-haiku-4-5', 1, 5, 0.1], ['claude-haiku-5-5', 0.1, 0.5, 0.01],
  ['claude-3-5-sonnet', 3, 15, 0.3], ['claude-3-7-sonnet', 3, 15, 0.3], ['claude-sonnet-4', 3, 15, 0.3], ['claude-sonnet-4-0', 3, 15, 0.3],
  ['claude-sonnet-4-5', 3, 15, 0.3], ['claude-sonnet-4-6', 3, 15, 0.3], ['claude-sonnet-5', 2, 10, 0.2], ['claude-sonnet-5-5', 2, 10, 0.1],
  ['claude-opus-4', 15, 75, 1.5], ['claude-opus-4-0', 15, 75, 1.5], ['claude-opus-4-1', 15, 75, 1.5], ['claude-opus-4-5', 5, 25, 0.5],
  ['claude-opus-4-6', 5, 25, 0.5], ['claude-opus-4-7', 5, 25, 0.5], ['claude-opus-4-8', 5, 25, 0.5], ['claude-opus-5', 5, 25, 0.5],
  ['claude-opus-5-5', 4, 20, 0.2], ['claude-fable-5', 10, 50, 1], ['claude-fable-5-1', 10, 50, 0.25], ['claude-fable-5-2', 8, 40, 0.2],
  ['claude-mythos-5', 10, 50, 1], ['claude-mythos-5-1', 10, 50, 0.25], ['claude-mythos-5-2', 8, 40, 0.2],
];
const OPENAI: [string, number, number, number][] = [
  ['gpt-5.5', 5, 30, 0.5], ['gpt-5.5-pro', 30, 180, 30], ['gpt-5.4', 2.5, 15, 0.25], ['gpt-5.4-mini', 0.75, 4.5, 0.075],
  ['gpt-5.4-nano', 0.2, 1.25, 0.02], ['gpt-5.4-pro', 30, 180, 30], ['gpt-5.3-codex', 1.75, 14, 0.175], ['gpt-5.2', 1.75, 14, 0.175],
  ['gpt-5.2-codex', 1.75, 14, 0.175], ['gpt-5.1', 1.25, 10, 0.125], ['gpt-5.1-codex', 1.25, 10, 0.125], ['gpt-5.1-codex-max', 1.25, 10, 0.125],
  ['gpt-5.1-codex-mini', 0.25, 2, 0.025], ['gpt-5', 1.25, 10, 0.125], ['gpt-5-codex', 1.25, 10, 0.125], ['gpt-5-mini', 0.25, 2, 0.025],
  ['gpt-5-nano', 0.05, 0.4, 0.005], ['gpt-4.1', 2, 8, 0.5], ['gpt-4.1-mini', 0.4, 1.6, 0.1], ['gpt-4o', 2.5, 10, 1.25], ['gpt-4o-2024-05-13', 5, 15, 5],
  ['gpt-4o-mini', 0.15, 0.6, 0.075], ['o3', 2, 8, 0.5], ['o4-mini', 1.1, 4.4, 0.275],
];

/** The GPT-6 family (Codex's default is gpt-6.1-sol): input, output, cached input; cache writes at 1.25x input. */
const GPT6: [string, number, number, number][] = [['gpt-6-astra', 10, 50, 1], ['gpt-6-sol', 2, 10, 0.2], ['gpt-6.1-sol', 2, 10, 0.1], ['gpt-6-luna', 0.1, 0.5, 0.01]];

describe('the dated price table', () => {
  test('lists exactly the models checked on its date', () => {
    expect(PRICE_TABLE_DATE).toBe('2026-12-04');
    expect(Object.keys(PRICE_TABLE).sort()).toEqual([...ANTHROPIC, ...OPENAI, ...GPT6].map(([m]) => m).sort());
  });

  test('each GPT-6 model: input, output, cached input, cache writes at 1.25x input; above 272K prompt tokens 2x input and cache, 1.5x output', () => {
    const round = (x: number) => Math.round(x * 1e8) / 1e8;
    // 100K tokens of each kind (under the long-prompt line), times ten: the per-million rates.
    const perMillion = (model: string, over: Partial<UsageFacts>) => round(usdFor(usage(model, over), 'openai').usd * 10);
    const K = 100_000;
    for (const [model, input, output, read] of GPT6) {
      expect([model, perMillion(model, { input_tokens: K }), perMillion(model, { output_tokens: M / 10 }), perMillion(model, { cache_read_tokens: K }), perMillion(model, { cache_write_tokens: K })]).toEqual([model, input, output, read, round(input * 1.25)]);
      const long = usdFor(usage(model, { input_tokens: 300_000, output_tokens: M }), 'openai').usd;
      expect([model, long]).toEqual([model, round((300_000 * input * 2 + M * output * 1.5) / M)]);
      expect(priceFor(`openai/${model}`, 'openai').priced).toBe('table');
    }
  });

  test('each Claude model: input, output, cache read; 5-minute cache writes at 1.25x input, 1-hour at 2x', () => {
    for (const [model, input, output, read] of ANTHROPIC.filter(([m]) => m !== 'claude-haiku-5-5')) {
      expect([model, ...pageRates(model, 'anthropic')]).toEqual([model, input, output, read, Math.round(input * 1.25 * 1e8) / 1e8, input * 2]);
      expect(priceFor(model, 'anthropic').priced).toBe('table');
    }
  });

  test('each OpenAI model: input, output, cached input; no cache-write surcharge', () => {
    for (const [model, input, output, read] of OPENAI) {
      // 100K tokens of each kind, times ten: a million would pass the 1M-context models' 272K line (openai-long-prompt-budget.test.ts).
      const perMillion = (over: Partial<UsageFacts>) => Math.round(usdFor(usage(model, over), 'openai').usd * 10 * 1e8) / 1e8;
      const K = 100_000;
      expect([model, perMillion({ input_tokens: K }), perMillion({ output_tokens: K }), perMillion({ cache_read_tokens: K }), perMillion({ cache_write_tokens: K }), perMillion({ cache_write_tokens: K, cache_write_1h_tokens: K })]).toEqual([model, input, output, read, input, input]);
      expect(priceFor(model, 'openai').priced).toBe('table');
    }
  });

  test('the fast tier of each Claude model that has one', () => {
    const fast: [string, number, number, number][] = [
      ['claude-opus-4-6', 30, 150, 3], ['claude-opus-4-7', 30, 150, 3], ['claude-opus-4-8', 10, 50, 1], ['claude-opus-5', 10, 50, 1],
      ['claude-opus-5-5', 8, 40, 0.4], ['claude-fable-5-2', 16, 80, 0.4], ['claude-mythos-5-2', 16, 80, 0.4],
    ];
    for (const [model, input, output, read] of fast) {
      expect([model, priceFor(model, 'anthropic', 'fast')]).toEqual([model, { rates: { input, output, cacheRead: read, cacheWrite: input * 1.25, cacheWrite1h: input * 2 }, priced: 'table' }]);
    }
  });

  test('a long prompt on claude-haiku-5-5 (over 100k tokens, cache included) switches to the long-prompt rates', () => {
    // A million prompt tokens is a long prompt: each prompt-side bucket at the long rates, output alone at the base rate.
    expect(pageRates('claude-haiku-5-5', 'anthropic')).toEqual([0.5, 0.5, 0.05, 0.625, 1]);
    expect(priceFor('claude-haiku-5-5', 'anthropic')).toMatchObject({ rates: { input: 0.1, output: 0.5, cacheRead: 0.01, cacheWrite: 0.125, cacheWrite1h: 0.2 }, longPrompt: { aboveTokens: 100_000, rates: { input: 0.5, output: 2.5, cacheRead: 0.05, cacheWrite: 0.625, cacheWrite1h: 1 } }, priced: 'table' });
    expect(usdFor(usage('claude-haiku-5-5', { input_tokens: 100_000, output_tokens: M }), 'anthropic').usd).toBe(0.01 + 0.5);
    expect(usdFor(usage('claude-haiku-5-5', { input_tokens: 100_001, output_tokens: M }), 'anthropic').usd).toBe(0.0500005 + 2.5);
    expect(usdFor(usage('claude-haiku-5-5', { input_tokens: 50_000, cache_read_tokens: 30_000, cache_write_tokens: 20_001 }), 'anthropic').usd).toBe(Math.round((50_000 * 0.5 + 30_000 * 0.05 + 20_001 * 0.625) / M * 1e8) / 1e8);
    expect(usdFor(usage('claude-sonnet-4-5', { input_tokens: 200_000 }), 'anthropic').usd).toBe(0.6);
  });
});

describe('model names as the CLIs send them', () => {
  test('a provider prefix, a date suffix, -latest, case and spaces are removed', () => {
    expect(normalizeModel(' Anthropic/Claude-Opus-4-5-20251101 ')).toBe('claude-opus-4-5');
    expect(normalizeModel('openai/gpt-5.4-2026-03-05')).toBe('gpt-5.4');
    expect(normalizeModel('claude-sonnet-4-5-latest')).toBe('claude-sonnet-4-5');
    expect(normalizeModel('gpt-5')).toBe('gpt-5');
    expect(normalizeModel('claude-opus-4-1-2025')).toBe('claude-opus-4-1-2025');
    expect(priceFor('claude-opus-4-1-20250805', 'anthropic')).toMatchObject({ priced: 'table', rates: { output: 75 } });
    // OpenRouter writes Claude's version with dots: the same model, the same row (a GPT's dots are its name).
    expect(normalizeModel('anthropic/claude-sonnet-4.5')).toBe('claude-sonnet-4-5');
    expect(normalizeModel('anthropic/claude-opus-4.1')).toBe('claude-opus-4-1');
    expect(normalizeModel('openai/gpt-5.4-mini')).toBe('gpt-5.4-mini');
  });
});

describe('an unknown model or tier is priced conservatively and flagged', () => {
  test("an unknown model costs its vendor's dearest rates, with a note naming it and the table's date", () => {
    expect(FALLBACK_RATES.anthropic).toEqual({ input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75, cacheWrite1h: 30 });
    expect(FALLBACK_RATES.openai).toEqual({ input: 30, output: 180, cacheRead: 30, cacheWrite: 30, cacheWrite1h: 30 });
    expect(usdFor(usage('claude-opus-9', { input_tokens: M, output_tokens: M }), 'anthropic')).toEqual({ usd: 90, priced: 'fallback', note: 'model "claude-opus-9" is not in the price table of 2026-12-04' });
    expect(usdFor(usage('gpt-9', { output_tokens: M }), 'openai')).toEqual({ usd: 180, priced: 'fallback', note: 'model "gpt-9" is not in the price table of 2026-12-04' });
    expect(priceFor('', 'openai').note).toBe('model "(none)" is not in the price table of 2026-12-04');
  });

  test('an unknown model asked for "fast" costs the dearest fast rates', () => {
    expect(priceFor('claude-opus-9', 'anthropic', 'fast')).toMatchObject({ priced: 'fallback', rates: { input: 30, output: 150, cacheRead: 3, cacheWrite: 37.5, cacheWrite1h: 60 } });
    expect(priceFor('gpt-9', 'openai', 'fast').rates).toEqual({ input: 30, output: 180, cacheRead: 30, cacheWrite: 37.5, cacheWrite1h: 60 });
  });

  test('a known model without a fast price, asked for "fast", is priced at the dearest fast rates and flagged', () => {
    expect(priceFor('claude-sonnet-4-5', 'anthropic', 'fast')).toEqual({ rates: { input: 30, output: 150, cacheRead: 3, cacheWrite: 37.5, cacheWrite1h: 60 }, priced: 'fallback', note: 'no fast-tier price for claude-sonnet-4-5' });
    expect(priceFor('claude-sonnet-4-5', 'anthropic', 'standard')).toMatchObject({ priced: 'table', rates: { input: 3 } });
  });

  test('OpenAI priority tier: 2.5x, flagged as fallback with the reason; an unknown model keeps both reasons', () => {
    // toStrictEqual: a table-priced figure has no note key, not one set to undefined.
    expect(usdFor(usage('gpt-5', { input_tokens: M }), 'openai')).toStrictEqual({ usd: 1.25, priced: 'table' });
    expect(usdFor(usage('gpt-5', { input_tokens: M, service_tier: 'priority' }), 'openai')).toEqual({ usd: 3.125, priced: 'fallback', note: 'priority tier priced at 2.5x the standard rate' });
    expect(usdFor(usage('gpt-5', { input_tokens: M, service_tier: 'flex' }), 'openai')).toEqual({ usd: 1.25, priced: 'table' });
    expect(usdFor(usage('gpt-9', { output_tokens: M, service_tier: 'priority' }), 'openai')).toEqual({ usd: 450, priced: 'fallback', note: 'model "gpt-9" is not in the price table of 2026-12-04; priority tier priced at 2.5x the standard rate' });
  });
});

describe('what a reply costs', () => {
  test('every bucket is billed at its own rate; 1-hour cache writes are part of the cache writes', () => {
    const u = usage('claude-sonnet-4-5', { input_tokens: 1000, output_tokens: 2000, cache_read_tokens: 10_000, cache_write_tokens: 4000, cache_write_1h_tokens: 1000 });
    expect(usdFor(u, 'anthropic')).toEqual({ usd: (1000 * 3 + 2000 * 15 + 10_000 * 0.3 + 3000 * 3.75 + 1000 * 6) / M, priced: 'table' });
  });

  test('more 1-hour cache writes than cache writes (a vendor quirk) bill no more than the writes', () => {
    const u = usage('claude-sonnet-4-5', { cache_write_tokens: 1000, cache_write_1h_tokens: 5000 });
    expect(usdFor(u, 'anthropic').usd).toBe(0.006);
  });

  test('US-only inference costs 1.1x; web searches $0.01 each on top', () => {
    expect(usdFor(usage('claude-sonnet-4-5', { output_tokens: M, inference_geo: 'us' }), 'anthropic').usd).toBe(16.5);
    expect(usdFor(usage('claude-sonnet-4-5', { output_tokens: M, inference_geo: 'eu' }), 'anthropic').usd).toBe(15);
    expect(usdFor(usage('claude-sonnet-4-5', { web_search_requests: 3 }), 'anthropic').usd).toBe(0.03);
    expect(usdFor(usage('claude-sonnet-4-5', { output_tokens: M, inference_geo: 'us', web_search_requests: 1 }), 'anthropic').usd).toBe(16.51);
  });

  test('a figure is rounded to 1e-8 USD', () => {
    expect(usdFor(usage('gpt-5-nano', { input_tokens: 1 }), 'openai').usd).toBe(0.00000005);
    expect(usdFor(usage('gpt-4o-mini', { input_tokens: 1 }), 'openai').usd).toBe(0.00000015);
    expect(usdFor(usage('gpt-5-nano', { cache_read_tokens: 1 }), 'openai').usd).toBe(0.00000001);
  });
});

describe('the worst case a request could cost (the budget reservation)', () => {
  test('every prompt token at the dearest input-side rate, output at the output rate, Anthropic with the US factor', () => {
    expect(worstCaseUsd('claude-sonnet-4-5', 'anthropic', M, M)).toBe(Math.round((6 + 15) * 1.1 * 1e8) / 1e8);
    expect(worstCaseUsd('gpt-5', 'openai', M, M)).toBe(11.25);
    expect(worstCaseUsd('gpt-5.5-pro', 'openai', 200_000, 0)).toBe(6);
    // Past 272K input tokens, GPT-5.5 pro bills the whole prompt at twice its input rate.
    expect(worstCaseUsd('gpt-5.5-pro', 'openai', M, 0)).toBe(60);
  });

  test('OpenAI priority costs 2.5x the worst case; a fast Claude request uses the fast rates', () => {
    expect(worstCaseUsd('gpt-5', 'openai', M, M, { serviceTier: 'priority' })).toBe(28.125);
    expect(worstCaseUsd('gpt-5', 'openai', M, M, { serviceTier: 'flex' })).toBe(11.25);
    expect(worstCaseUsd('claude-opus-4-6', 'anthropic', 0, M, { speed: 'fast' })).toBe(165);
  });

  test('a long prompt could switch to the dearer long-prompt rates', () => {
    expect(worstCaseUsd('claude-haiku-5-5', 'anthropic', 100_000, M)).toBe(Math.round((100_000 * 0.2 / M + 0.5) * 1.1 * 1e8) / 1e8);
    expect(worstCaseUsd('claude-haiku-5-5', 'anthropic', 100_001, M)).toBe(Math.round((100_001 * 1 / M + 2.5) * 1.1 * 1e8) / 1e8);
  });

  test('an unknown model reserves at the fallback rates', () => {
    expect(worstCaseUsd('gpt-9', 'openai', 0, M)).toBe(180);
    expect(worstCaseUsd('', 'anthropic', 0, M)).toBe(82.5);
  });
});
