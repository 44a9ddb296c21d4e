/**
 * Attack: a gateway asked to retry bills every attempt against one reservation. LiteLLM's proxy
 * reads `num_retries` (and a `timeout`) from the request body and sends a request that timed out
 * again, while the backend goes on generating (and billing) each attempt it gave up on; the
 * sidecar sees one reply (LiteLLM's 408 after the last attempt), so a request reserved at 21k
 * tokens was billed four times that, past a 50k-token cap in one request.
 *
 * The rule (SECURITY.md, "Under a cap (tokens or USD), a request that would be billed … for more
 * than one sampling pass, is refused"): under a cap, a retry count other than 0 anywhere in the
 * body's settings (`num_retries`, `max_retries`, `retries`, a `retry` policy) is refused like `n`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

const OUT = 20_000;
let vendor: StandInVendor;
let billedTokens = 0;
let forwarded = 0;
beforeAll(async () => {
  // A LiteLLM-like gateway: each attempt times out at the gateway after the backend generated it.
  vendor = await startStandInVendor((_req, raw, res) => {
    forwarded++;
    const sent = JSON.parse(raw.toString()) as Record<string, unknown>;
    const doc = { ...sent, ...(sent.extra_body as Record<string, unknown> | undefined) };
    const retries = [doc.num_retries, doc.max_retries, doc.retries].find((v) => typeof v === 'number') as number | undefined;
    billedTokens += (1 + (retries ?? 0)) * (OUT + raw.length);
    res.writeHead(408, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'litellm.Timeout: Request timed out.', type: null, param: null, code: '408' } }));
  });
});
afterAll(() => vendor.close());
beforeEach(() => {
  billedTokens = 0;
  forwarded = 0;
});

const CAP = 50_000;
const base = { model: 'gpt-5.4', input: 'hi', max_output_tokens: OUT, timeout: 5 };
const post = (url: string, body: unknown) => fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, text: await r.text() }));

describe(`under a ${CAP}-token cap, a retry count is refused before the gateway`, () => {
  for (const extra of [{ num_retries: 3 }, { max_retries: 3 }, { extra_body: { num_retries: 3 } }, { retry: { attempts: 4 } }]) {
    test(JSON.stringify(extra), async () => {
      const sc = await sidecarFor('openai', vendor.port, { maxTokens: CAP });
      try {
        const r = await post(sc.s.url, { ...base, ...extra });
        // Without the rule it went out: reserved at ~21k tokens, billed ~84k by the backend.
        expect({ status: r.status, forwarded, billedTokens }).toEqual({ status: 400, forwarded: 0, billedTokens: 0 });
        expect(r.text).toContain('peers_multiple_samples');
      } finally {
        await sc.close();
      }
    });
  }
});

test('no retries (0) goes out, and is metered at its reservation when the gateway times out', async () => {
  const sc = await sidecarFor('openai', vendor.port, { maxTokens: CAP });
  try {
    expect((await post(sc.s.url, { ...base, num_retries: 0 })).status).toBe(408);
    expect(forwarded).toBe(1);
    expect(sc.s.ledger.totals.tokens).toBeGreaterThanOrEqual(billedTokens);
  } finally {
    await sc.close();
  }
});
