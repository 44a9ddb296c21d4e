/**
 * Attack: the settings the budget reads at the top of the body (which model, tier, speed, stored
 * input, routing, a router's web plugins) given again below it, where a gateway reads them. A
 * gateway merges provider-specific settings (`extra_body`, LiteLLM's and the OpenAI SDKs'
 * convention) into the request it sends on (nested-samples-budget.test.ts: the same gateway billed
 * `{"extra_body": {"n": 4}}` as four replies), and LiteLLM serves a request's `fallbacks` when its
 * model fails (`mock_testing_fallbacks` forces it). The budget priced the top-level `model`,
 * `service_tier` and `speed` only: `{"model": "gpt-5-nano", "extra_body": {"model":
 * "gpt-5.4-pro"}}` was reserved at nano's price and billed at pro's, 450 times more, past a USD cap
 * in one request; a tier or speed given there was reserved and metered at the standard rate.
 *
 * The rule (SECURITY.md, "Under a cap (tokens or USD), a request that would be billed … is
 * refused"): under a cap, a setting the budget reads at the top of the body, named below it, or a
 * router's fallback list is refused before the vendor; one that makes the vendor reach the web
 * (plugins, web search options, a preset, remote MCP servers) is refused cap or not.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { usdFor } from '../../../auth-proxy/usage/price-table.ts';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

const OUT = 20_000;
let vendor: StandInVendor;
let forwarded = 0;
/** What the gateway billed, at the rates of what it served (the test's own account of the bill). */
let billed = 0;
beforeAll(async () => {
  // A gateway that merges extra_body into the request, serves a fallback when asked to, honours a
  // tier or speed without stating it in its reply (a compatible provider), and bills a stored
  // conversation it restores as input.
  vendor = await startStandInVendor((req, raw, res) => {
    forwarded++;
    const sent = JSON.parse(raw.toString()) as Record<string, unknown>;
    const doc = { ...sent, ...(sent.extra_body as Record<string, unknown> | undefined) };
    const model = (Array.isArray(doc.fallbacks) && doc.mock_testing_fallbacks === true ? doc.fallbacks[0] : doc.model) as string;
    const input = 10 + (doc.previous_response_id ? 200_000 : 0);
    const anthropic = req.url!.endsWith('/messages');
    const facts = { model, input_tokens: input, output_tokens: OUT, cache_read_tokens: 0, cache_write_tokens: 0, ...(typeof doc.speed === 'string' ? { speed: doc.speed } : {}), ...(typeof doc.service_tier === 'string' ? { service_tier: doc.service_tier } : {}) };
    billed += usdFor(facts, anthropic ? 'anthropic' : 'openai').usd;
    res.writeHead(200, { 'content-type': 'application/json' });
    if (anthropic) return res.end(JSON.stringify({ type: 'message', model, content: [], usage: { input_tokens: input, output_tokens: OUT } }));
    res.end(JSON.stringify({ object: 'response', model, output: [], usage: { input_tokens: input, output_tokens: OUT, input_tokens_details: { cached_tokens: 0 } } }));
  });
});
afterAll(() => vendor.close());
beforeEach(() => {
  forwarded = 0;
  billed = 0;
});

const CAP_USD = 1;
const post = (url: string, path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, text: await r.text() }));
const responses = (extra: Record<string, unknown>) => ({ model: 'gpt-5-nano', input: 'hi', max_output_tokens: OUT, ...extra });
const messages = (extra: Record<string, unknown>) => ({ model: 'claude-opus-4-6', max_tokens: OUT, messages: [{ role: 'user', content: 'hi' }], ...extra });

describe(`under a $${CAP_USD} cap, settings below the top of the body are refused before the vendor`, () => {
  const cases: [string, 'openai' | 'anthropic', Record<string, unknown>][] = [
    // Reserved at $0.008 (nano), billed $3.60 (pro).
    ['a dearer model in extra_body', 'openai', responses({ extra_body: { model: 'gpt-5.4-pro' } })],
    ['a dearer model list in extra_body', 'openai', responses({ extra_body: { models: ['gpt-5.4-pro'] } })],
    ['a fallback list (LiteLLM) at the top', 'openai', responses({ fallbacks: ['gpt-5.4-pro'], mock_testing_fallbacks: true })],
    // Reserved and metered at 1x, billed at 6x.
    ['a service tier in extra_body', 'openai', { ...responses({ extra_body: { service_tier: 'ultrafast' } }), model: 'gpt-5.4' }],
    // 200k tokens of stored input billed for a request reserved at about 1k.
    ['stored input in extra_body', 'openai', { ...responses({ extra_body: { previous_response_id: 'resp_123' } }), model: 'gpt-5.4' }],
    // Reserved and metered at the standard rate, billed at fast's 6x.
    ['a speed in extra_body', 'anthropic', messages({ extra_body: { speed: 'fast' } })],
  ];
  for (const [what, shape, body] of cases) {
    test(`${what}: ${JSON.stringify(body).slice(0, 120)}`, async () => {
      const sc = await sidecarFor(shape, vendor.port, { maxUsd: CAP_USD });
      try {
        const r = await post(sc.s.url, shape === 'anthropic' ? '/v1/messages' : '/v1/responses', body);
        // Without the rule it went out, and the gateway billed past the cap or above what the ledger counts.
        expect({ forwarded, billed, status: r.status }).toEqual({ forwarded: 0, billed: 0, status: shape === 'anthropic' ? 402 : 400 });
        expect(r.text).toContain(what.startsWith('a fallback') ? 'names fallback models' : 'below the top of the request body');
        expect(sc.s.ledger.totals.usd).toBe(0);
      } finally {
        await sc.close();
      }
    });
  }
});

describe('what the gateway would reach for the peer below the top of the body is refused cap or not', () => {
  const cases: [string, 'openai' | 'anthropic', Record<string, unknown>][] = [
    ['plugins in extra_body', 'openai', responses({ extra_body: { plugins: [{ id: 'web' }] } })],
    ['web_search_options in extra_body', 'openai', responses({ extra_body: { web_search_options: {} } })],
    ['a preset in extra_body', 'openai', responses({ extra_body: { preset: 'research' } })],
    ['remote MCP servers in extra_body', 'anthropic', messages({ extra_body: { mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'x' }] } })],
  ];
  for (const [what, shape, body] of cases) {
    test(what, async () => {
      const sc = await sidecarFor(shape, vendor.port, {});
      try {
        const r = await post(sc.s.url, shape === 'anthropic' ? '/v1/messages' : '/v1/responses', body);
        expect({ forwarded, status: r.status }).toEqual({ forwarded: 0, status: shape === 'anthropic' ? 402 : 400 });
        expect(r.text).toContain('reach the web or a remote server');
      } finally {
        await sc.close();
      }
    });
  }
});

test('the same settings at the top of the body go out as before, and a nested setting without a cap too', async () => {
  const o = await sidecarFor('openai', vendor.port, { maxUsd: 50 });
  try {
    expect((await post(o.s.url, '/v1/responses', { ...responses({}), model: 'gpt-5.4', service_tier: 'priority', reasoning: { effort: 'low' }, text: { verbosity: 'low' } })).status).toBe(200);
  } finally {
    await o.close();
  }
  const a = await sidecarFor('anthropic', vendor.port, {});
  try {
    expect((await post(a.s.url, '/v1/messages', messages({ extra_body: { speed: 'fast' } }))).status).toBe(200);
  } finally {
    await a.close();
  }
  expect(forwarded).toBe(2);
});
