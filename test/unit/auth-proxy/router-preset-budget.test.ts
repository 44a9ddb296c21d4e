/**
 * Attack: a router preset. OpenRouter keeps named configurations on the account (presets: a model
 * or a list of fallbacks, provider routing, generation parameters, system prompts, and tools,
 * server tools such as web search among them) and applies one to a request that names it: as its
 * model (`"model": "@preset/slug"`), after its model (`"openai/gpt-5.4@preset/slug"`) or in a
 * `preset` field. None of what the preset adds is in the body: a preset's 200k-token system prompt
 * was billed for a request reserved at about 1k tokens, past a 150k-token cap in one request, and
 * a preset's web search reaches the web outside the run's egress allow-list.
 *
 * The bound (SECURITY.md, "A request goes out only if the budget left covers it"; "The vendor
 * reaches nothing for a peer"): a request naming a preset is refused before the vendor, cap or not.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test';
import { sidecarFor, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

/** The stand-in router's preset: a 200k-token system prompt added to every request that names it. */
const PRESET_PROMPT_TOKENS = 200_000;
let vendor: StandInVendor;
let forwarded = 0;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, raw, res) => {
    forwarded++;
    const doc = JSON.parse(raw.toString()) as { model?: string; models?: string[]; preset?: string };
    const preset = doc.preset !== undefined || [doc.model ?? '', ...(doc.models ?? [])].some((m) => m.toLowerCase().includes('@preset/'));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: 'gpt-5.4', output: [], usage: { input_tokens: 50 + (preset ? PRESET_PROMPT_TOKENS : 0), output_tokens: 10, input_tokens_details: { cached_tokens: 0 } } }));
  });
});
afterAll(() => vendor.close());
beforeEach(() => {
  forwarded = 0;
});

const ask = (extra: Record<string, unknown>) => ({ model: 'openai/gpt-5.4', max_output_tokens: 100, input: [{ role: 'user', content: 'hi' }], ...extra });
const post = (url: string, body: unknown) =>
  fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, text: await r.text() }));

const PRESETS: Record<string, Record<string, unknown>> = {
  'as the model': { model: '@preset/big' },
  'after the model': { model: 'openai/gpt-5.4@preset/big' },
  'in a preset field': { preset: 'big' },
  'among the fallbacks': { models: ['openai/gpt-5.4', '@Preset/big'] },
};

for (const [how, extra] of Object.entries(PRESETS)) {
  test(`a preset named ${how} is refused before the vendor under a token cap and without a cap`, async () => {
    for (const caps of [{ maxTokens: 150_000 }, {}]) {
      const sc = await sidecarFor('openai', vendor.port, caps);
      try {
        const r = await post(sc.s.url, ask(extra));
        // Without the fix it went out, reserved at about 1k tokens, and was billed 200k.
        expect({ caps, status: r.status, forwarded, spent: sc.s.ledger.totals.tokens }).toEqual({ caps, status: 400, forwarded: 0, spent: 0 });
        expect(r.text).toContain('preset');
      } finally {
        await sc.close();
      }
    }
  });
}

test('a model without a preset still goes out', async () => {
  const sc = await sidecarFor('openai', vendor.port, { maxTokens: 150_000 });
  try {
    const r = await post(sc.s.url, ask({}));
    expect({ status: r.status, forwarded, spent: sc.s.ledger.totals.tokens }).toEqual({ status: 200, forwarded: 1, spent: 60 });
  } finally {
    await sc.close();
  }
});
