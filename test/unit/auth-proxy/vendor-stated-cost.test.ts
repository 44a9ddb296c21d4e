/**
 * Attack: a provider bills more than the table's price for the model it served. A router
 * (OpenRouter, a `provider:` upstream) picks the serving provider itself, whose rate may be above
 * the first-party list price the table holds, and says what it charged in the reply
 * (`usage.cost`, USD). The meter priced the reply by the table alone, so a peer steering requests
 * to a dearer provider was billed more than the ledger and the USD cap counted.
 *
 * The bound (SECURITY.md, "Nothing unmetered"): a reply that states its own cost is metered at
 * the larger of that cost and the table's price, streamed or not.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

// gpt-5.4: 1000 input and 100 output tokens are $0.004 by the table; the provider charged $0.5.
const USAGE = { input_tokens: 1000, input_tokens_details: { cached_tokens: 0 }, output_tokens: 100, cost: 0.5 };
let vendor: StandInVendor;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, body, res) => {
    const doc = JSON.parse(body.toString()) as { stream?: boolean; cost?: number };
    const usage = { ...USAGE, cost: doc.cost ?? USAGE.cost };
    const response = { object: 'response', model: 'openai/gpt-5.4', output: [], usage };
    if (doc.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', response })}\n\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(response));
  });
});
afterAll(() => vendor.close());

const send = (url: string, extra: Record<string, unknown>) =>
  fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'openai/gpt-5.4', input: 'hi', max_output_tokens: 100, ...extra }) }).then((r) => r.text());

describe('a reply that states its own cost is metered at no less than it', () => {
  test('non-streamed and streamed: the ledger has the provider\'s $0.5, not the table\'s $0.004', async () => {
    const sc = await sidecarFor('openai', vendor.port, {});
    try {
      await send(sc.s.url, {});
      await send(sc.s.url, { stream: true });
      // A cost below the table's price does not lower it.
      await send(sc.s.url, { cost: 0.000001 });
      const usd = readLedgerFile(sc.s.ledger.path).lines.filter(isReply).map((l) => l.usd);
      expect(usd).toEqual([0.5, 0.5, 0.004]);
    } finally {
      await sc.close();
    }
  });
});
