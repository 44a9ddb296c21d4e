/**
 * Attack on the bill: through a router that charges above the table, hang up before the reply's
 * end. A router says what it charged (`usage.cost`) only when the reply is done, so its requests
 * are reserved at a margin over the table's price (ten times for a model no whole reply has shown
 * yet: budget.ts, costFactor); but a reply cut short was priced at the table's price alone. A peer
 * steering to a provider that bills 5x the table and hanging up on every reply was billed five
 * times what the ledger counted, request after request (and, no reply ever ending whole, every
 * request stayed a "first" one).
 *
 * The rule (auth-proxy/usage/reply-line.ts; SECURITY.md, "Nothing unmetered"): what the meter
 * estimated is priced as the reservation was, the upstream's cost margin included.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import http from 'node:http';
import type net from 'node:net';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { providerUpstream } from '../../../auth-proxy/upstreams.ts';
import { usdFor } from '../../../auth-proxy/usage/price-table.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { startEgress, startSidecar } from './sidecar-fixture.ts';

/** How many times the table's price the provider the router picked charges. */
const ROUTER_FACTOR = 5;
const MAX = 20_000;
let server: http.Server;
let port: number;
let billed = 0;
beforeAll(async () => {
  server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    // It generates the whole allowance and charges 5x the table; the cost would come in the last event.
    billed = ROUTER_FACTOR * usdFor({ model: 'gpt-5.4', input_tokens: body.length, output_tokens: MAX, cache_read_tokens: 0, cache_write_tokens: 0 }, 'openai').usd;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const router = { ...providerUpstream({ name: 'openrouter', kind: 'openai-compatible', base_url: 'https://openrouter.ai/api/v1', key_env: 'OPENROUTER_API_KEY', port: 8090 } as Parameters<typeof providerUpstream>[0]), pathPrefix: '' };

test('a reply through a router hung up on at its head is counted at the margin it was reserved at, not the table price', async () => {
  const egress = await startEgress(port);
  const s = await startSidecar({ egress, vendorPort: port, upstream: router, credentials: new ApiKeySource('authorization', 'sk-or-test-000000'), caps: { maxUsd: 100 } });
  try {
    const ac = new AbortController();
    const res = await fetch(`${s.url}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'openai/gpt-5.4', stream: true, input: 'hi', max_output_tokens: MAX }), signal: ac.signal });
    expect(res.status).toBe(200);
    ac.abort();
    const end = Date.now() + 5000;
    while (readLedgerFile(s.ledger.path).lines.filter(isReply).length === 0 && Date.now() < end) await Bun.sleep(10);
    const [line] = readLedgerFile(s.ledger.path).lines.filter(isReply);
    expect(line!.cut_short).toBe('client-abort');
    // Before: $0.30 on the ledger for a $1.51 bill.
    expect(line!.usd).toBeGreaterThanOrEqual(billed);
  } finally {
    await s.close();
    await egress.close();
  }
});
