/**
 * Attack: a thinking or reasoning budget above the output cap. The vendors refuse
 * `thinking.budget_tokens` at or above `max_tokens`, but a lenient gateway or router (one that
 * raises the cap to budget + 1024, as some do) serves it: `{"max_tokens": 10, "thinking":
 * {"budget_tokens": 100000}}` was reserved at 10 output tokens and billed 101k, twice a 50k-token
 * cap in one request. The same for OpenRouter's `reasoning.max_tokens`, Gemini's
 * `thinking_config.thinking_budget` (under `extra_body` for its OpenAI-compatible API) and an
 * output cap in a nested settings object or another provider's spelling.
 *
 * The bound (SECURITY.md, "The budget reads the body the vendor reads"): any such field at or
 * above the output cap voids the cap: the request is reserved as one without a cap (128k), or at
 * the budget plus the cap when that is more (auth-proxy/usage/output-budget-fields.ts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

/** The field each case's gateway reads as the thinking budget, as a path in the body. */
let budgetPath: string[] = [];
let vendor: StandInVendor;
let forwarded = 0;
beforeAll(async () => {
  // A lenient gateway: a budget at or above the cap raises the cap to budget + 1024, and the reply fills it.
  vendor = await startStandInVendor((req, raw, res) => {
    forwarded++;
    const doc = JSON.parse(raw.toString()) as Record<string, unknown>;
    const cap = (doc.max_tokens ?? doc.max_output_tokens ?? 1000) as number;
    let budget: unknown = doc;
    for (const k of budgetPath) budget = (budget as Record<string, unknown> | undefined)?.[k];
    // Reasoning asked for by a level: the gateway picks its highest budget, 32,768 (CLIProxyAPI's xhigh).
    const level = typeof doc.reasoning_effort === 'string' || /\(\w+\)$/.test(String(doc.model)) || (doc.thinking as { type?: string } | undefined)?.type === 'adaptive';
    if (level) budget = 32_768;
    const out = typeof budget === 'number' && budget >= cap ? budget + 1024 : cap;
    const usage = { input_tokens: 10, output_tokens: out };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(req.url!.endsWith('/messages')
      ? JSON.stringify({ type: 'message', model: 'claude-sonnet-4-5', content: [], usage })
      : JSON.stringify({ object: 'response', model: 'gpt-5.4', output: [], usage: { ...usage, input_tokens_details: { cached_tokens: 0 } } }));
  });
});
afterAll(() => vendor.close());
beforeEach(() => {
  forwarded = 0;
});

const post = (url: string, path: string, body: unknown) =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, text: await r.text() }));

const CAP = 50_000;
const msg = { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 };
const resp = { model: 'gpt-5.4', input: 'hi', max_output_tokens: 10 };
const CASES = [
  { name: 'thinking.budget_tokens', vendor: 'anthropic' as const, path: '/v1/messages', at: ['thinking', 'budget_tokens'], body: { ...msg, thinking: { type: 'enabled', budget_tokens: 100_000 } } },
  { name: 'reasoning.max_tokens (OpenRouter)', vendor: 'anthropic' as const, path: '/v1/messages', at: ['reasoning', 'max_tokens'], body: { ...msg, reasoning: { max_tokens: 100_000 } } },
  { name: 'reasoning.max_tokens on Responses', vendor: 'openai' as const, path: '/v1/responses', at: ['reasoning', 'max_tokens'], body: { ...resp, reasoning: { max_tokens: 100_000 } } },
  { name: 'extra_body.google.thinking_config.thinking_budget (Gemini)', vendor: 'openai' as const, path: '/v1/responses', at: ['extra_body', 'google', 'thinking_config', 'thinking_budget'], body: { ...resp, extra_body: { google: { thinking_config: { thinking_budget: 100_000 } } } } },
  { name: 'max_thinking_tokens', vendor: 'openai' as const, path: '/v1/responses', at: ['max_thinking_tokens'], body: { ...resp, max_thinking_tokens: 100_000 } },
  { name: 'generation_config.max_output_tokens', vendor: 'openai' as const, path: '/v1/responses', at: ['generation_config', 'max_output_tokens'], body: { ...resp, generation_config: { max_output_tokens: 100_000 } } },
];

describe('a budget for the reply above its output cap is reserved', () => {
  for (const c of CASES) {
    test(`${c.vendor}: ${c.name} of 100k beside an output cap of 10 is refused under a ${CAP}-token cap`, async () => {
      budgetPath = c.at;
      const sc = await sidecarFor(c.vendor, vendor.port, { maxTokens: CAP });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 2; i++) statuses.push((await post(sc.s.url, c.path, c.body)).status);
        // Without the fix each went out, reserved at ~1k tokens and billed 101k: twice the cap per request.
        expect({ forwarded, tokens: sc.s.ledger.totals.tokens, statuses }).toEqual({ forwarded: 0, tokens: 0, statuses: [c.vendor === 'anthropic' ? 402 : 400, c.vendor === 'anthropic' ? 402 : 400] });
      } finally {
        await sc.close();
      }
    });
  }

  const LEVELS = [
    { name: 'reasoning_effort: "high"', vendor: 'openai' as const, path: '/v1/responses', body: { ...resp, reasoning_effort: 'high' } },
    { name: 'thinking: {type: "adaptive"}', vendor: 'anthropic' as const, path: '/v1/messages', body: { ...msg, thinking: { type: 'adaptive' } } },
    { name: 'a "(high)" suffix on the model', vendor: 'anthropic' as const, path: '/v1/messages', body: { ...msg, model: 'claude-sonnet-4-5(high)' } },
  ];
  for (const c of LEVELS) {
    test(`${c.vendor}: ${c.name} beside an output cap of 10 is reserved at what a gateway's highest level raises it to`, async () => {
      budgetPath = [];
      const sc = await sidecarFor(c.vendor, vendor.port, { maxTokens: CAP });
      try {
        for (let i = 0; i < 3; i++) await post(sc.s.url, c.path, c.body);
        // Without the floor all three went out, reserved at ~1k tokens each and billed 33.8k each: 101k at a 50k cap.
        expect({ forwarded, withinCap: sc.s.ledger.totals.tokens <= CAP }).toEqual({ forwarded: 1, withinCap: true });
      } finally {
        await sc.close();
      }
    });
  }

  test('under a cap, a thinking budget that is not a positive integer is refused before it goes out', async () => {
    const sc = await sidecarFor('anthropic', vendor.port, { maxTokens: 1_000_000 });
    try {
      const r = await post(sc.s.url, '/v1/messages', { ...msg, thinking: { type: 'enabled', budget_tokens: '100000' } });
      expect({ status: r.status, forwarded }).toEqual({ status: 402, forwarded: 0 });
      expect(r.text).toContain('budget_tokens');
    } finally {
      await sc.close();
    }
  });

  test('a thinking budget below the output cap (what Claude Code sends) still goes out, reserved at the cap', async () => {
    budgetPath = ['thinking', 'budget_tokens'];
    const sc = await sidecarFor('anthropic', vendor.port, { maxTokens: CAP });
    try {
      const r = await post(sc.s.url, '/v1/messages', { ...msg, max_tokens: 32_000, thinking: { type: 'enabled', budget_tokens: 31_999 } });
      expect({ status: r.status, forwarded, tokens: sc.s.ledger.totals.tokens }).toEqual({ status: 200, forwarded: 1, tokens: 32_010 });
    } finally {
      await sc.close();
    }
  });
});
