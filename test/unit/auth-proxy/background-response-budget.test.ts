/**
 * Attack: an OpenAI Responses request with `background: true`. The vendor answers at once with a
 * queued response that carries no usage, then generates (and bills) the whole reply later, to be
 * fetched by id; the meter saw a small JSON reply without usage and charged a few tokens for it.
 * Repeated, the real spend passed the USD cap while the ledger stayed under it.
 *
 * The bound (SECURITY.md, "Nothing unmetered"): a billable request that asks for background
 * processing is refused before it goes out (no peer CLI uses it, and what it bills never passes the
 * sidecar); it reaches no vendor and costs nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import http from 'node:http';
import type net from 'node:net';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { startEgress, startSidecar } from './sidecar-fixture.ts';

let server: http.Server;
let port: number;
let queued = 0;

beforeAll(async () => {
  // Queues the request and answers without usage, as the Responses API does in background mode.
  server = http.createServer(async (req, res) => {
    for await (const _ of req) {
      // read the body
    }
    queued++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: `resp_${queued}`, object: 'response', model: 'gpt-5.4', status: 'queued', background: true, output: [], usage: null }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('a background response', () => {
  test('is refused before it goes out, whatever the cap, so its later bill cannot pass the meter', async () => {
    const egress = await startEgress(port);
    const s = await startSidecar({ egress, vendorPort: port, upstream: UPSTREAMS.openai, credentials: new ApiKeySource('authorization', 'sk-background-00000000'), caps: { maxUsd: 1 } });
    for (const background of [true, 'true', 1]) {
      const r = await fetch(`${s.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-5.4', background, max_output_tokens: 100_000, input: 'write a novel' }) });
      const body = (await r.json()) as { error: { code: string; message: string } };
      expect([r.status, body.error.code], JSON.stringify(background)).toEqual([400, 'peers_background_not_forwarded']);
      expect(body.error.message).toContain('background');
    }
    expect(queued).toBe(0);
    // A plain request still goes out.
    const plain = await fetch(`${s.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-5.4', background: false, max_output_tokens: 100, input: 'hi' }) });
    await plain.text();
    expect([plain.status, queued]).toEqual([200, 1]);
    await s.close();
    await egress.close();
  }, 30_000);
});
