/**
 * The most a request can cost, read from its body before it goes out: what the budget reserves.
 * A request that gives no output cap, or a body that is not JSON, must still reserve a worst case
 * large enough, never zero. Pure; mutation testing runs it against auth-proxy/usage/request-cost.ts.
 */
import { describe, expect, test } from 'bun:test';
import { DEFAULT_MAX_OUTPUT_TOKENS, PROMPT_OVERHEAD_TOKENS, requestFacts, worstCase } from '../../../auth-proxy/usage/request-cost.ts';
import { worstCaseUsd } from '../../../auth-proxy/usage/price-table.ts';

const body = (doc: unknown) => Buffer.from(JSON.stringify(doc));

describe('what the request says', () => {
  test('an Anthropic request: model, stream, max_tokens; the prompt bound is every byte plus the overhead', () => {
    const b = body({ model: 'claude-sonnet-4-5', stream: true, max_tokens: 4096, messages: [{ role: 'user', content: 'hé' }] });
    expect(requestFacts(b, 'anthropic')).toEqual({ model: 'claude-sonnet-4-5', stream: true, maxOutputTokens: 4096, promptTokensBound: b.length + 1024 });
    expect(PROMPT_OVERHEAD_TOKENS).toBe(1024);
  });

  test('an OpenAI request: max_output_tokens is its cap; another spelling can only raise it (a provider may read that one)', () => {
    expect(requestFacts(body({ model: 'gpt-5', max_output_tokens: 300, max_tokens: 5 }), 'openai').maxOutputTokens).toBe(300);
    expect(requestFacts(body({ model: 'gpt-5', max_output_tokens: 300, max_tokens: 5000 }), 'openai').maxOutputTokens).toBe(5000);
    expect(requestFacts(body({ model: 'gpt-5', max_output_tokens: 300, max_completion_tokens: null }), 'openai').maxOutputTokens).toBe(DEFAULT_MAX_OUTPUT_TOKENS);
    expect(requestFacts(body({ model: 'gpt-5', max_tokens: 5 }), 'openai').maxOutputTokens).toBe(DEFAULT_MAX_OUTPUT_TOKENS);
    expect(requestFacts(body({ model: 'c', max_output_tokens: 5 }), 'anthropic').maxOutputTokens).toBe(DEFAULT_MAX_OUTPUT_TOKENS);
    expect(requestFacts(body({ model: 'c', max_tokens: 5, max_output_tokens: 200_000 }), 'anthropic').maxOutputTokens).toBe(200_000);
  });

  test('no cap, a zero, negative, fractional or string cap: the default cap of 128k output tokens', () => {
    expect(DEFAULT_MAX_OUTPUT_TOKENS).toBe(128_000);
    for (const max_tokens of [undefined, 0, -5, 1.5, '4096', null]) {
      expect(requestFacts(body({ model: 'm', max_tokens }), 'anthropic').maxOutputTokens).toBe(128_000);
    }
    expect(requestFacts(body({ model: 'm', max_tokens: 1 }), 'anthropic').maxOutputTokens).toBe(1);
  });

  test('stream only when it is exactly true', () => {
    expect(requestFacts(body({ stream: 'true' }), 'anthropic').stream).toBe(false);
    expect(requestFacts(body({ stream: 1 }), 'anthropic').stream).toBe(false);
    expect(requestFacts(body({}), 'anthropic').stream).toBe(false);
  });

  test('a speed or service tier that is no string is kept as its JSON text: one peers cannot price', () => {
    expect(requestFacts(body({ model: 'm', speed: 'fast', service_tier: 'priority' }), 'openai')).toMatchObject({ speed: 'fast', serviceTier: 'priority' });
    const f = requestFacts(body({ model: 'm', speed: 1, service_tier: true }), 'openai');
    expect(f.speed).toBe('1');
    expect(f.serviceTier).toBe('true');
    expect('serviceTier' in requestFacts(body({ model: 'm', service_tier: null }), 'openai')).toBe(false);
  });

  test('a body that is not JSON, or JSON but not an object, is reserved with no model at the default cap', () => {
    for (const raw of ['not json', '[{"model":"gpt-5","max_output_tokens":5}]', 'null', '"gpt-5"']) {
      const b = Buffer.from(raw);
      expect(requestFacts(b, 'openai')).toEqual({ model: '', stream: false, maxOutputTokens: 128_000, promptTokensBound: b.length + 1024 });
    }
    expect(requestFacts(body({ model: 42 }), 'openai').model).toBe('');
  });
});

describe('the worst case reserved', () => {
  test('tokens: the prompt bound plus the output cap; USD: the price table worst case with the tier', () => {
    const f = requestFacts(body({ model: 'gpt-5', max_output_tokens: 1000, service_tier: 'priority' }), 'openai');
    expect(worstCase(f, 'openai')).toEqual({ tokens: f.promptTokensBound + 1000, usd: worstCaseUsd('gpt-5', 'openai', f.promptTokensBound, 1000, { serviceTier: 'priority' }) });
    expect(worstCase(f, 'openai').usd).toBe(Math.round(((f.promptTokensBound * 1.25 + 1000 * 10) / 1e6) * 2.5 * 1e8) / 1e8);
  });

  test('a fast Claude request reserves at the fast rates', () => {
    const f = requestFacts(body({ model: 'claude-opus-4-6', max_tokens: 1_000_000, speed: 'fast' }), 'anthropic');
    const standard = requestFacts(body({ model: 'claude-opus-4-6', max_tokens: 1_000_000, speed: 'standard' }), 'anthropic');
    // A speed peers has no price for is reserved at the dearest fast rates (service-tier-budget.test.ts).
    const slow = requestFacts(body({ model: 'claude-opus-4-6', max_tokens: 1_000_000, speed: 'slow' }), 'anthropic');
    expect(worstCase(f, 'anthropic').usd).toBeGreaterThan(150);
    expect(worstCase(standard, 'anthropic').usd).toBeLessThan(30);
    expect(worstCase(slow, 'anthropic').usd).toBeGreaterThanOrEqual(worstCase(f, 'anthropic').usd);
  });

  test('a request naming no model reserves at the fallback (dearest) rates', () => {
    const f = requestFacts(Buffer.from('{}'), 'anthropic');
    expect(worstCase(f, 'anthropic').usd).toBe(worstCaseUsd('unknown', 'anthropic', f.promptTokensBound, 128_000));
    expect(worstCase(f, 'anthropic').usd).toBeGreaterThan(10);
  });
});
