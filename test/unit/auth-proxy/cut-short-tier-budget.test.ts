/**
 * Attack on the bill: ask for a dear tier, hang up before the vendor says what it served. A reply
 * cut short before its usage is charged its bounds (input at the reservation's prompt bound, output
 * at the whole allowance: reply-meter.ts), but they were priced from the reply's usage alone, which
 * never came: Anthropic's fast speed (6x on claude-opus-4-6), OpenAI's priority tier (2.5x) and
 * the 1-hour cache-write rate were lost, and the estimate was priced at the standard row. A peer
 * asking for `"speed": "fast"` and hanging up on every reply's head was billed six times what the
 * ledger counted, request after request, so the USD cap held nothing.
 *
 * The rule (auth-proxy/usage/reply-line.ts; SECURITY.md, "Nothing unmetered"): a side the meter
 * estimated is priced as the reservation priced it — the tier and speed the request asked for (or
 * the project's, as reserved), Anthropic's US-only factor, the dearest input-side rate — and never
 * below what the vendor's own figures price.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import http from 'node:http';
import type net from 'node:net';
import { PRIORITY_TIER_FACTOR, US_INFERENCE_FACTOR } from '../../../auth-proxy/usage/price-table.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { sidecarFor } from './sidecar-fixture.ts';

const M = 1_000_000;
const MAX = 20_000;
let server: http.Server;
let port: number;
/** What the vendor billed for the last request: it generates the whole allowance at the tier asked for. */
let billed = 0;
beforeAll(async () => {
  server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const doc = JSON.parse(body.toString()) as { speed?: string; service_tier?: string };
    billed = req.url!.endsWith('/messages')
      ? ((body.length * (doc.speed === 'fast' ? 30 : 5) * 2 + MAX * (doc.speed === 'fast' ? 150 : 25)) / M) * US_INFERENCE_FACTOR // all of it written to the 1-hour cache, US-only inference
      : ((body.length * 2.5 + MAX * 15) / M) * (doc.service_tier === 'priority' ? PRIORITY_TIER_FACTOR : 1);
    // The head goes out; the events (and the usage that names the tier) never come before the peer hangs up.
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

/** Sends a streamed request and hangs up as soon as the reply's head arrived; returns its ledger line. */
async function hangUpOnHead(vendor: 'anthropic' | 'openai', path: string, body: Record<string, unknown>) {
  const sc = await sidecarFor(vendor, port, {});
  try {
    const ac = new AbortController();
    const res = await fetch(`${sc.s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: ac.signal });
    expect(res.status).toBe(200);
    ac.abort();
    const end = Date.now() + 5000;
    while (readLedgerFile(sc.s.ledger.path).lines.filter(isReply).length === 0 && Date.now() < end) await Bun.sleep(10);
    return readLedgerFile(sc.s.ledger.path).lines.filter(isReply)[0]!;
  } finally {
    await sc.close();
  }
}

describe('a reply cut short before it names its tier is priced at the tier the request asked for', () => {
  test('Anthropic fast speed (and the 1-hour cache writes, US-only inference it may have had): the ledger counts no less than the vendor billed', async () => {
    const body = { model: 'claude-opus-4-6', speed: 'fast', stream: true, max_tokens: MAX, system: [{ type: 'text', text: 'x'.repeat(5000), cache_control: { type: 'ephemeral', ttl: '1h' } }], messages: [{ role: 'user', content: 'hi' }] };
    const line = await hangUpOnHead('anthropic', '/v1/messages', body);
    expect(line.cut_short).toBe('client-abort');
    // Before: $0.53 on the ledger for a $3.63 bill.
    expect(line.usd).toBeGreaterThanOrEqual(billed);
  });

  test('OpenAI priority tier: the ledger counts no less than the vendor billed', async () => {
    const line = await hangUpOnHead('openai', '/v1/responses', { model: 'gpt-5.4', service_tier: 'priority', stream: true, max_output_tokens: MAX, input: 'hi' });
    expect(line.cut_short).toBe('client-abort');
    // Before: $0.30 on the ledger for a $0.75 bill.
    expect(line.usd).toBeGreaterThanOrEqual(billed);
  });
});
