/**
 * Attack: two output caps in one body. The budget reserved the output by the field its vendor's
 * API names (`max_output_tokens` for Responses, `max_tokens` for Messages); a compatible provider
 * behind the same API shape may read another spelling (`max_tokens`, `max_completion_tokens`) and
 * serve up to that one. `{"max_output_tokens": 10, "max_tokens": 100000}` was reserved at 10
 * output tokens and billed 100k.
 *
 * The bound (SECURITY.md, "The budget reads the body the vendor reads"): every output-cap
 * spelling in the body counts, the reservation takes the largest, and under a cap one that is not
 * a positive integer is refused.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

const ALIASES = ['max_tokens', 'max_output_tokens', 'max_completion_tokens'] as const;

/** A compatible provider that serves up to the largest output cap it finds, under any spelling (100k for a null one: no cap). */
let vendor: StandInVendor;
let forwarded = 0;
beforeAll(async () => {
  vendor = await startStandInVendor((req, raw, res) => {
    forwarded++;
    const doc = JSON.parse(raw.toString()) as Record<string, unknown>;
    const out = ALIASES.some((k) => doc[k] === null) ? 100_000 : Math.max(...ALIASES.map((k) => (typeof doc[k] === 'number' ? (doc[k] as number) : 0)));
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
const CASES = [
  { vendor: 'openai' as const, path: '/v1/responses', body: { model: 'gpt-5.4', input: 'hi', max_output_tokens: 10, max_tokens: 100_000 } },
  { vendor: 'openai' as const, path: '/v1/responses', body: { model: 'gpt-5.4', input: 'hi', max_output_tokens: 10, max_completion_tokens: 100_000 } },
  { vendor: 'openai' as const, path: '/v1/responses', body: { model: 'gpt-5.4', input: 'hi', max_output_tokens: 10, max_tokens: null } },
  { vendor: 'anthropic' as const, path: '/v1/messages', body: { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10, max_output_tokens: 100_000 } },
];

describe('every output-cap spelling in a body is reserved', () => {
  for (const c of CASES) {
    const other = Object.entries(c.body).filter(([k]) => k.startsWith('max_')).map(([k, v]) => `${k}: ${v}`).join(' and ');
    test(`${c.vendor}: ${other}: reserved at the larger, so three such requests stay within a ${CAP}-token cap`, async () => {
      const sc = await sidecarFor(c.vendor, vendor.port, { maxTokens: CAP });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 3; i++) statuses.push((await post(sc.s.url, c.path, c.body)).status);
        // Without the fix the first went out, reserved at ~1k tokens and billed 100k: twice the cap.
        expect({ forwarded, withinCap: sc.s.ledger.totals.tokens <= CAP }).toEqual({ forwarded: 0, withinCap: true });
        expect(statuses).toEqual([c.vendor === 'anthropic' ? 402 : 400, c.vendor === 'anthropic' ? 402 : 400, c.vendor === 'anthropic' ? 402 : 400]);
      } finally {
        await sc.close();
      }
    });
  }

  test('under a cap, another spelling that is not a positive integer is refused before it goes out', async () => {
    const sc = await sidecarFor('openai', vendor.port, { maxTokens: 1_000_000 });
    try {
      const r = await post(sc.s.url, '/v1/responses', { model: 'gpt-5.4', input: 'hi', max_output_tokens: 10, max_tokens: '100000' });
      expect({ status: r.status, forwarded }).toEqual({ status: 400, forwarded: 0 });
      expect(r.text).toContain('peers_output_cap_unreadable');
    } finally {
      await sc.close();
    }
  });

  test('a body with one cap still goes out and is billed what it was served', async () => {
    const sc = await sidecarFor('openai', vendor.port, { maxTokens: CAP });
    try {
      const r = await post(sc.s.url, '/v1/responses', { model: 'gpt-5.4', input: 'hi', max_output_tokens: 1000 });
      expect({ status: r.status, forwarded, tokens: sc.s.ledger.totals.tokens }).toEqual({ status: 200, forwarded: 1, tokens: 1010 });
    } finally {
      await sc.close();
    }
  });
});
