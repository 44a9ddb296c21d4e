/**
 * Attack: a body that is JSON to the budget and a form to the provider. The budget reads every
 * billable body as JSON whatever its Content-Type; a compatible provider whose server parses bodies
 * by their Content-Type (a form parser beside the JSON one, as web frameworks do) reads
 * `application/x-www-form-urlencoded` as fields split on `&` and `=`, and those can sit inside one
 * JSON string: `{"model": "gpt-5.4", …, "max_output_tokens": 10, "user": "&max_output_tokens=100000&…"}`
 * was reserved at 10 output tokens and served 100k, past a 50k-token cap in one request.
 *
 * The bound (SECURITY.md, "The budget reads the body the vendor reads"): a body is forwarded only
 * as JSON (`application/json` or `…+json`, UTF-8, or no Content-Type), cap or not.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test';
import { sidecarFor, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

/** A provider parsing its bodies by Content-Type, as a web framework's body parsers do. */
let vendor: StandInVendor;
let forwarded = 0;
beforeAll(async () => {
  vendor = await startStandInVendor((req, raw, res) => {
    forwarded++;
    const form = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    const fields: Record<string, unknown> = form ? Object.fromEntries(new URLSearchParams(raw.toString())) : (JSON.parse(raw.toString()) as Record<string, unknown>);
    const out = Number(fields.max_output_tokens ?? 1000);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: String(fields.model), output: [], usage: { input_tokens: 10, output_tokens: out, input_tokens_details: { cached_tokens: 0 } } }));
  });
});
afterAll(() => vendor.close());
beforeEach(() => {
  forwarded = 0;
});

const CAP = 50_000;
const body = JSON.stringify({ model: 'gpt-5.4', input: 'hi', max_output_tokens: 10, user: '&model=gpt-5.4&input=hi&max_output_tokens=100000&' });
const post = (url: string, contentType: string) =>
  fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': contentType }, body }).then(async (r) => ({ status: r.status, text: await r.text() }));

test('a JSON body sent as a form is refused before it goes out, so the token cap holds', async () => {
  const sc = await sidecarFor('openai', vendor.port, { maxTokens: CAP });
  try {
    const r = await post(sc.s.url, 'application/x-www-form-urlencoded');
    // Without the fix it went out, reserved at ~1.1k tokens, and was served 100k.
    expect({ status: r.status, forwarded, withinCap: sc.s.ledger.totals.tokens <= CAP }).toEqual({ status: 400, forwarded: 0, withinCap: true });
    expect(r.text).toContain('peers_body_not_json');
  } finally {
    await sc.close();
  }
});

test('the same body as JSON goes out and is metered as reserved', async () => {
  const sc = await sidecarFor('openai', vendor.port, { maxTokens: CAP });
  try {
    expect((await post(sc.s.url, 'application/json; charset=utf-8')).status).toBe(200);
    expect({ forwarded, tokens: sc.s.ledger.totals.tokens }).toEqual({ forwarded: 1, tokens: 20 });
  } finally {
    await sc.close();
  }
});
