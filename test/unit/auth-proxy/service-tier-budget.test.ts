/**
 * Attack: a service tier the price table does not know. Only `service_tier: "priority"` was priced
 * above the standard rate; OpenAI's projects now also offer "fast" and "ultrafast" tiers (and a
 * project may make one its default for requests that omit the tier), and any other name was
 * reserved and metered at the standard rate. A peer adding `"service_tier": "ultrafast"` to its
 * requests was billed at that tier's premium while the ledger counted the standard price.
 *
 * The rule (SECURITY.md, "Nothing unmetered"): a tier is priced only if the table knows it
 * (`tierFactor` in auth-proxy/usage/price-table.ts). Under a USD cap a request asking for another
 * is refused unsent, like a model without a price; without one, and for a reply that says it was
 * served at a tier peers does not know, it is priced at the dearest known tier factor (Ultrafast's
 * 6x, ultrafast-tier-budget.test.ts) and flagged. `fast` and `ultrafast` are now priced, so the
 * unknown names here are others.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { PRIORITY_TIER_FACTOR, tierFactor, ULTRAFAST_TIER_FACTOR, usdFor, worstCaseUsd } from '../../../auth-proxy/usage/price-table.ts';
import { requestFactsOf, unpricedReason } from '../../../auth-proxy/usage/request-cost.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

let vendor: StandInVendor;
beforeAll(async () => {
  // Serves the tier asked for, or the project's default ("turbo", a tier peers has no price for) when none is, and says so.
  // 200K input tokens: $0.50 at gpt-5.4's standard rate, under its 272K long-prompt line.
  vendor = await startStandInVendor((_req, body, res) => {
    const doc = JSON.parse(body.toString()) as { model: string; service_tier?: string };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: doc.model, service_tier: doc.service_tier ?? 'turbo', output: [], usage: { input_tokens: 200_000, input_tokens_details: { cached_tokens: 0 }, output_tokens: 0 } }));
  });
});
afterAll(() => vendor.close());

const send = (url: string, extra: Record<string, unknown>) =>
  fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-5.4', input: 'hi', max_output_tokens: 100, ...extra }) });

describe('a service tier peers cannot price', () => {
  test('under a USD cap, a request for an unknown tier is refused unsent; priority and flex still go out', async () => {
    const sc = await sidecarFor('openai', vendor.port, { maxUsd: 100 });
    try {
      for (const tier of ['turbo', 'hyperfast', 'scale', 'Priority']) {
        const r = await send(sc.s.url, { service_tier: tier });
        const text = await r.text();
        expect(r.status).toBe(400);
        expect(text).toContain('peers_model_not_priced');
        expect(text).toContain(tier);
      }
      for (const tier of ['priority', 'fast', 'ultrafast', 'flex', 'default', 'auto']) {
        const r = await send(sc.s.url, { service_tier: tier });
        expect(r.status).toBe(200);
        await r.text();
      }
      const lines = readLedgerFile(sc.s.ledger.path).lines.filter(isReply);
      expect(lines).toHaveLength(6);
      expect(lines[0]!.usd).toBeCloseTo(0.5 * PRIORITY_TIER_FACTOR, 6);
    } finally {
      await sc.close();
    }
  });

  test('without a USD cap it goes out and is metered at the dearest known tier, flagged; so is a reply served at an unknown default tier', async () => {
    const sc = await sidecarFor('openai', vendor.port, { maxTokens: 100_000_000 });
    try {
      for (const extra of [{ service_tier: 'turbo' }, {}]) {
        const r = await send(sc.s.url, extra);
        expect(r.status).toBe(200);
        await r.text();
      }
      const lines = readLedgerFile(sc.s.ledger.path).lines.filter(isReply);
      for (const line of lines) {
        expect(line.usd).toBeCloseTo(0.5 * ULTRAFAST_TIER_FACTOR, 6);
        expect(line.priced).toBe('fallback');
        expect(line.price_note).toContain('tier');
      }
    } finally {
      await sc.close();
    }
  });

  test('the pure rule', () => {
    expect(tierFactor(undefined)).toEqual({ factor: 1, known: true });
    for (const t of ['auto', 'default', 'standard', 'flex']) expect(tierFactor(t)).toEqual({ factor: 1, known: true });
    expect(tierFactor('priority')).toEqual({ factor: PRIORITY_TIER_FACTOR, known: true });
    for (const t of ['turbo', 'scale', 'Priority', 'constructor', '__proto__', '']) expect(tierFactor(t)).toEqual({ factor: ULTRAFAST_TIER_FACTOR, known: false });
    expect(worstCaseUsd('gpt-5.4', 'openai', 200_000, 0, { serviceTier: 'turbo' })).toBeCloseTo(0.5 * ULTRAFAST_TIER_FACTOR, 6);
    expect(usdFor({ model: 'gpt-5.4', input_tokens: 200_000, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, service_tier: 'turbo' }, 'openai').usd).toBeCloseTo(0.5 * ULTRAFAST_TIER_FACTOR, 6);
    expect(unpricedReason(requestFactsOf({ model: 'gpt-5.4', service_tier: 'turbo' }, 10, 'openai'), 'openai')).toContain('"turbo"');
    for (const t of ['fast', 'ultrafast']) expect(unpricedReason(requestFactsOf({ model: 'gpt-5.4', service_tier: t }, 10, 'openai'), 'openai')).toBeNull();
    // A tier given as anything but a string is a tier peers cannot read.
    expect(unpricedReason(requestFactsOf({ model: 'gpt-5.4', service_tier: ['priority'] }, 10, 'openai'), 'openai')).not.toBeNull();
    expect(unpricedReason(requestFactsOf({ model: 'gpt-5.4', service_tier: 'priority' }, 10, 'openai'), 'openai')).toBeNull();
    expect(unpricedReason(requestFactsOf({ model: 'gpt-5.4', service_tier: null }, 10, 'openai'), 'openai')).toBeNull();
  });
});

/**
 * The same for Anthropic's `speed`: only "fast" had a price above the standard row, and any other
 * value (a tier added tomorrow, or one of another spelling a compatible provider honours) was
 * reserved and metered at the standard rate.
 */
describe('a speed peers cannot price', () => {
  test('under a USD cap an Anthropic request for an unknown speed is refused unsent; fast and standard go out', async () => {
    const claude = await startStandInVendor((_req, body, res) => {
      const doc = JSON.parse(body.toString()) as { model: string; speed?: string };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'message', model: doc.model, content: [], usage: { input_tokens: 10, output_tokens: 10, ...(doc.speed ? { speed: doc.speed } : {}) } }));
    });
    const sc = await sidecarFor('anthropic', claude.port, { maxUsd: 100 });
    try {
      const ask = (speed?: unknown) => fetch(`${sc.s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-opus-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...(speed === undefined ? {} : { speed }) }) });
      for (const speed of ['ultrafast', 'FAST', 1]) {
        const r = await ask(speed);
        const text = await r.text();
        expect(r.status).toBe(402);
        expect(text).toContain('speed');
      }
      for (const speed of ['fast', 'standard', undefined]) {
        const r = await ask(speed);
        expect(r.status).toBe(200);
        await r.text();
      }
      expect(readLedgerFile(sc.s.ledger.path).lines.filter(isReply)).toHaveLength(3);
    } finally {
      await sc.close();
      await claude.close();
    }
  });

  test('the pure rule: an unknown speed is priced at the dearest fast rates, flagged', async () => {
    const { priceFor, FALLBACK_RATES } = await import('../../../auth-proxy/usage/price-table.ts');
    const fast = priceFor('claude-opus-4-6', 'anthropic', 'fast');
    expect(fast.priced).toBe('table');
    for (const speed of ['ultrafast', 'FAST', '1']) {
      const p = priceFor('claude-opus-4-6', 'anthropic', speed);
      expect(p.priced).toBe('fallback');
      expect(p.rates.output).toBeGreaterThanOrEqual(Math.max(fast.rates.output, FALLBACK_RATES.anthropic.output));
    }
    expect(priceFor('claude-opus-4-6', 'anthropic', 'standard')).toMatchObject({ priced: 'table', rates: { input: 5, output: 25 } });
  });
});
