/**
 * Attack: a peer asks for a model the price table does not list. Priced at the table's most
 * expensive row, a model dearer than every listed one (a new top model, a provider's model) is
 * under-counted: its reservation fits the USD cap, the vendor bills more, and the spend passes the
 * cap by the difference, again and again.
 *
 * The bound (SECURITY.md, "Nothing unmetered"): under a USD cap the sidecar forwards a billable
 * request only for a model it can price — a row of the table, or the user's own `budget.prices`
 * in .peers/config.yaml. Anything else is refused before it goes out, in the CLI's refusal shape,
 * with the model's name and how to price it. Without a USD cap nothing is refused; the ledger
 * prices the unknown model conservatively and flags it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type StandInVendor, startEgress, startSidecar, startStandInVendor } from './sidecar-fixture.ts';

/** A vendor that serves `claude-opus-9` (not in the table) at $50 in / $250 out per million tokens, and bills what it generated. */
let vendor: StandInVendor;
let port: number;
let forwarded = 0;
const BILLED = { input_tokens: 2_000, output_tokens: 20_000 };
const TRUE_USD = (BILLED.input_tokens * 50 + BILLED.output_tokens * 250) / 1e6; // $5.10

beforeAll(async () => {
  vendor = await startStandInVendor((req, raw, res) => {
    forwarded++;
    // A router (OpenRouter's `models`) may serve, and bill, any model the request allows: this one takes the last.
    const doc = JSON.parse(raw.toString('utf8')) as { model: string; models?: string[] };
    const model = doc.models?.at(-1) ?? doc.model;
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url!.endsWith('/messages')) res.end(JSON.stringify({ type: 'message', model, content: [], usage: BILLED }));
    else res.end(JSON.stringify({ object: 'response', model, output: [], usage: { ...BILLED, input_tokens_details: { cached_tokens: 0 } } }));
  });
  port = vendor.port;
});
afterAll(() => vendor.close());
beforeEach(() => {
  forwarded = 0;
});

const messages = (model: string) => JSON.stringify({ model, max_tokens: 20_000, messages: [{ role: 'user', content: 'write it all' }] });
const post = (url: string, path: string, body: string) =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async (r) => ({ status: r.status, text: await r.text() }));

describe('a model the price table does not list, under a USD cap', () => {
  test('is refused before it goes out, naming the model and budget.prices; the spend stays under the cap', async () => {
    const egress = await startEgress(port);
    // At the top row (output $75/M) the reservation is about $1.5: it fit a $5 cap, and the vendor billed $5.10 per request.
    const s = await startSidecar({ egress, vendorPort: port, credentials: new ApiKeySource('x-api-key', 'sk-ant-unpriced-0000000'), caps: { maxUsd: 5 } });
    for (let i = 0; i < 3; i++) {
      const r = await post(s.url, '/v1/messages', messages('claude-opus-9'));
      expect(r.status).toBe(402);
      expect(JSON.parse(r.text).error).toMatchObject({ type: 'billing_error' });
      expect(r.text).toContain('claude-opus-9');
      expect(r.text).toContain('budget.prices');
    }
    expect(forwarded).toBe(0);
    expect(s.ledger.totals.usd).toBeLessThanOrEqual(5);
    await s.close();
    await egress.close();
  }, 30_000);

  test('the same on the OpenAI upstream, for a spelling that hides the name (case, spaces) and for no model at all', async () => {
    const egress = await startEgress(port);
    const s = await startSidecar({ egress, vendorPort: port, upstream: UPSTREAMS.openai, credentials: new ApiKeySource('authorization', 'sk-unpriced-openai-000'), caps: { maxUsd: 5 } });
    for (const body of [JSON.stringify({ model: ' GPT-7-Ultra ', input: 'go', max_output_tokens: 10 }), JSON.stringify({ input: 'go', max_output_tokens: 10 })]) {
      const r = await post(s.url, '/v1/responses', body);
      expect(r.status, body).toBe(400);
      expect(JSON.parse(r.text).error).toMatchObject({ type: 'invalid_request_error', code: 'peers_model_not_priced' });
    }
    // A body that is not JSON names no model the budget can read: refused before pricing (request-screen.ts).
    expect(JSON.parse((await post(s.url, '/v1/responses', 'not json')).text).error.code).toBe('peers_body_not_json');
    expect(forwarded).toBe(0);
    await s.close();
    await egress.close();
  }, 30_000);

  test('priced by the user (budget.prices), it goes out, is reserved and billed at that price, and the cap holds', async () => {
    const egress = await startEgress(port);
    const prices = { 'claude-opus-9': { input: 50, output: 250, cacheRead: 5, cacheWrite: 62.5, cacheWrite1h: 100 } };
    const s = await startSidecar({ egress, vendorPort: port, credentials: new ApiKeySource('x-api-key', 'sk-ant-unpriced-0000000'), caps: { maxUsd: 12 }, prices });
    const results: number[] = [];
    for (let i = 0; i < 3; i++) results.push((await post(s.url, '/v1/messages', messages('claude-opus-9-20270101'))).status);
    // Each reserves its whole max_tokens at $250/M ($5) plus its prompt: two fit $12, the third does not.
    expect(results).toEqual([200, 200, 402]);
    expect(forwarded).toBe(2);
    const replies = readLedgerFile(s.ledger.path).lines.filter(isReply);
    expect(replies.map((l) => [l.priced, l.usd])).toEqual([['config', TRUE_USD], ['config', TRUE_USD]]);
    expect(s.ledger.totals.usd).toBeLessThanOrEqual(12);
    await s.close();
    await egress.close();
  }, 30_000);

  test('a cheap model with a dear fallback (`models`) is reserved at the dearest one it allows', async () => {
    const egress = await startEgress(port);
    const s = await startSidecar({ egress, vendorPort: port, upstream: UPSTREAMS.openai, credentials: new ApiKeySource('authorization', 'sk-unpriced-openai-000'), caps: { maxUsd: 1 } });
    // Reserved at gpt-5.4-nano it fit $1 (about $0.03); the router served gpt-5.5-pro and billed $3.66.
    const r = await post(s.url, '/v1/responses', JSON.stringify({ model: 'gpt-5.4-nano', models: ['gpt-5.5-pro'], input: 'go', max_output_tokens: 20_000 }));
    expect({ status: r.status, forwarded }).toEqual({ status: 400, forwarded: 0 });
    expect(JSON.parse(r.text).error).toMatchObject({ code: 'peers_budget_exhausted' });
    // An unpriced one among them is refused like an unpriced model.
    const u = await post(s.url, '/v1/responses', JSON.stringify({ model: 'gpt-5.4-nano', models: ['acme/secret-large'], input: 'go', max_output_tokens: 10 }));
    expect(JSON.parse(u.text).error).toMatchObject({ code: 'peers_model_not_priced' });
    expect(u.text).toContain('acme/secret-large');
    expect(s.ledger.totals.usd).toBeLessThanOrEqual(1);
    await s.close();
    await egress.close();
  }, 30_000);

  test('a listed model still goes out under the cap', async () => {
    const egress = await startEgress(port);
    const s = await startSidecar({ egress, vendorPort: port, credentials: new ApiKeySource('x-api-key', 'sk-ant-unpriced-0000000'), caps: { maxUsd: 5 } });
    expect((await post(s.url, '/v1/messages', messages('claude-sonnet-4-5-20250929'))).status).toBe(200);
    expect(forwarded).toBe(1);
    await s.close();
    await egress.close();
  }, 30_000);
});

describe('without a USD cap', () => {
  test('an unknown model goes out and is priced conservatively and flagged, as before', async () => {
    const egress = await startEgress(port);
    const s = await startSidecar({ egress, vendorPort: port, credentials: new ApiKeySource('x-api-key', 'sk-ant-unpriced-0000000'), caps: { maxTokens: 10_000_000 } });
    expect((await post(s.url, '/v1/messages', messages('claude-opus-9'))).status).toBe(200);
    const [line] = readLedgerFile(s.ledger.path).lines.filter(isReply);
    expect(line).toMatchObject({ model: 'claude-opus-9', priced: 'fallback' });
    await s.close();
    await egress.close();
  }, 30_000);
});
