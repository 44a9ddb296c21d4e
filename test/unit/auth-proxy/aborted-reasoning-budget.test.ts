/**
 * Attack: a peer asks a reasoning model for a long answer, and hangs up before the reply's final
 * usage. The model's reasoning is never streamed (OpenAI) or streamed only as a summary (Claude's
 * thinking), yet the vendor bills every token it generated. Metered from the text that streamed,
 * each such request cost next to nothing on the ledger; done again and again, the real spend
 * passed the USD cap many times over while the ledger stayed under it.
 *
 * The bound (SECURITY.md, "Nothing unmetered"): a streamed reply that ends without its final usage
 * is charged its whole output allowance (`max_output_tokens` / `max_tokens`, or the default cap),
 * the most the vendor can bill for it, as a non-streamed reply that never arrived already was; so
 * the reservation is kept, and the spend stays under the cap however the peer hangs up.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import http from 'node:http';
import type net from 'node:net';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { usdFor } from '../../../auth-proxy/usage/price-table.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { startEgress, startSidecar } from './sidecar-fixture.ts';

/** Reasoning tokens the vendor generates (and bills) for each request before its first visible output. */
const REASONING = 20_000;
let server: http.Server;
let port: number;
let started = 0;

beforeAll(async () => {
  server = http.createServer(async (req, res) => {
    for await (const _ of req) {
      // read the body
    }
    started++;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (req.url!.endsWith('/messages')) {
      res.write(`event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'm', model: 'claude-sonnet-4-5', usage: { input_tokens: 50, output_tokens: 1 } } })}\n\n`);
      // Claude's thinking arrives as a summary: a few bytes for thousands of billed tokens.
      res.write(`event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Considering.' } })}\n\n`);
    } else {
      res.write(`event: response.created\ndata: ${JSON.stringify({ type: 'response.created', response: { id: 'r', model: 'gpt-5.4', status: 'in_progress' } })}\n\n`);
    }
    // …the model reasons; the final usage (REASONING output tokens) would come at the end. It never gets there.
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

/** Sends a streamed request and hangs up as soon as the first event arrived. */
async function askAndHangUp(url: string, path: string, body: unknown): Promise<number> {
  const ac = new AbortController();
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: ac.signal });
  if (res.status !== 200) {
    await res.text();
    return res.status;
  }
  const reader = res.body!.getReader();
  await reader.read();
  ac.abort();
  return 200;
}

describe('a streamed reply the peer hangs up on before its final usage', () => {
  for (const [vendor, upstream, path, model, body] of [
    ['OpenAI (hidden reasoning)', UPSTREAMS.openai, '/v1/responses', 'gpt-5.4', { model: 'gpt-5.4', stream: true, max_output_tokens: REASONING, input: 'think hard' }],
    ['Anthropic (summarized thinking)', UPSTREAMS.anthropic, '/v1/messages', 'claude-sonnet-4-5', { model: 'claude-sonnet-4-5', stream: true, max_tokens: REASONING, thinking: { type: 'enabled', budget_tokens: REASONING - 1000 }, messages: [{ role: 'user', content: 'think hard' }] }],
  ] as const) {
    test(`${vendor}: is charged its whole output allowance, so hanging up again and again cannot spend past the cap`, async () => {
      started = 0;
      const egress = await startEgress(port);
      const cap = 1;
      const s = await startSidecar({ egress, vendorPort: port, upstream, credentials: new ApiKeySource(upstream.errorShape === 'anthropic' ? 'x-api-key' : 'authorization', 'sk-aborted-reasoning-000'), caps: { maxUsd: cap } });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        statuses.push(await askAndHangUp(s.url, path, body));
        // The ledger line is written when the relay sees the hang-up: wait for it before the next request.
        const want = statuses.filter((x) => x === 200).length;
        const end = Date.now() + 5000;
        while (readLedgerFile(s.ledger.path).lines.filter(isReply).length < want && Date.now() < end) await Bun.sleep(10);
      }
      // What the vendor billed: every request it started generated REASONING output tokens.
      const billedByVendor = started * usdFor({ model, input_tokens: 60, output_tokens: REASONING, cache_read_tokens: 0, cache_write_tokens: 0 }, upstream.errorShape).usd;
      const lines = readLedgerFile(s.ledger.path).lines.filter(isReply);
      expect({ started, billedByVendorWithinCap: billedByVendor <= cap }).toEqual({ started: statuses.filter((x) => x === 200).length, billedByVendorWithinCap: true });
      expect(statuses).toContain(upstream.errorShape === 'anthropic' ? 402 : 400); // the cap was reached before the vendor's real bill passed it
      expect(lines.every((l) => l.cut_short === 'client-abort' && l.output_tokens >= REASONING)).toBe(true);
      await s.close();
      await egress.close();
    }, 60_000);
  }
});
