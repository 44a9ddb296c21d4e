/**
 * Attack: a reply whose usage figures cannot be true — negative, a string, a number JSON.parse
 * reads as Infinity (`1e400`), more tokens than any context holds — from a compatible provider or
 * router whose figures the ledger takes as they come. Each unreadable figure was counted as 0 and
 * the reply taken as final, so its output cost nothing on the ledger whatever the vendor billed;
 * and a figure past 2^53 wrote a line no reader accepts, which holds the run.
 *
 * The bound (SECURITY.md, "Nothing unmetered"): a reply with a usage figure that is not a
 * whole number from 0 to 10^10 is metered like one that never sent its usage — input from the
 * request's size at least, output at the request's whole allowance — and flagged
 * (`cut_short: "usage-unreadable"`).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { gzipSync } from 'node:zlib';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { readLedgerSpend } from '../../../src/budget/ledger-spend.ts';
import { sidecarFor, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
/** Raw JSON text for a figure: `1e400` cannot be produced by JSON.stringify. */
type Lie = { name: string; figure: string };
const LIES: Lie[] = [
  { name: 'negative', figure: '-20000' },
  { name: 'a string', figure: '"20000"' },
  { name: 'Infinity', figure: '1e400' },
  { name: 'past 2^53', figure: '1e300' },
];

let vendor: StandInVendor;
beforeAll(async () => {
  vendor = await startStandInVendor((req, body, res) => {
    const unread = req.headers['x-test-unread'];
    if (unread) {
      // A whole reply the meter cannot read usage from: none given, compressed though the sidecar asked for identity, or not JSON.
      const doc = JSON.stringify({ type: 'message', object: 'response', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'done' }], output: [] });
      if (unread === 'gzip') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        return res.end(gzipSync(JSON.stringify({ type: 'message', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 12, output_tokens: 20000 } })));
      }
      res.writeHead(200, { 'content-type': unread === 'text' ? 'text/plain' : 'application/json' });
      return res.end(doc);
    }
    const lie = String(req.headers['x-test-lie']);
    const stream = (JSON.parse(body.toString()) as { stream?: boolean }).stream === true;
    if (req.url!.endsWith('/messages')) {
      if (!stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(`{"type":"message","model":"claude-sonnet-4-5","content":[],"usage":{"input_tokens":12,"output_tokens":${lie}}}`);
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sse('message_start', { type: 'message_start', message: { model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 12, output_tokens: 1 } } }));
      return res.end(`event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":${lie}}}\n\n${sse('message_stop', { type: 'message_stop' })}`);
    }
    const usage = `{"input_tokens":12,"input_tokens_details":{"cached_tokens":0},"output_tokens":${lie}}`;
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(`{"object":"response","model":"gpt-5.4","output":[],"usage":${usage}}`);
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`event: response.completed\ndata: {"type":"response.completed","response":{"object":"response","model":"gpt-5.4","output":[],"usage":${usage}}}\n\n`);
  });
});
afterAll(async () => {
  await vendor.close();
});

const ALLOWANCE = 20_000;

for (const vendorName of ['anthropic', 'openai'] as const) {
  test(`${vendorName}: a reply with an unreadable usage figure is metered at the request's whole output allowance, streamed or not`, async () => {
    const side = await sidecarFor(vendorName, vendor.port, { maxUsd: 1000 });
    try {
      const path = vendorName === 'anthropic' ? '/v1/messages' : '/v1/responses';
      for (const lie of LIES) {
        for (const stream of [false, true]) {
          const body = vendorName === 'anthropic'
            ? { model: 'claude-sonnet-4-5', max_tokens: ALLOWANCE, stream, messages: [{ role: 'user', content: 'hi' }] }
            : { model: 'gpt-5.4', max_output_tokens: ALLOWANCE, stream, input: 'hi' };
          const r = await fetch(`${side.s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-lie': lie.figure }, body: JSON.stringify(body) });
          const text = await r.text();
          expect(`${lie.name} ${stream} ${r.status}`).toBe(`${lie.name} ${stream} 200${r.status === 200 ? '' : ` ${text}`}`);
        }
      }
      const replies = readLedgerFile(side.s.ledger.path).lines.filter(isReply);
      expect(replies.length).toBe(LIES.length * 2);
      // Before: output_tokens 0 for the first three (the reply cost $0.00004), and the fourth a line no reader accepts.
      for (const l of replies) {
        expect(l.output_tokens).toBeGreaterThanOrEqual(ALLOWANCE);
        expect(l.cut_short).toBe('usage-unreadable');
      }
      expect(readLedgerSpend(side.s.ledger.path)!.usd).toBeGreaterThan(LIES.length * 2 * ALLOWANCE * 10 / 1e6);
    } finally {
      await side.close();
    }
  });
}

test('a whole reply the meter cannot read usage from (none given, compressed anyway, not JSON) costs its whole output allowance, not its size', async () => {
  const side = await sidecarFor('anthropic', vendor.port, { maxUsd: 1000 });
  try {
    for (const unread of ['absent', 'gzip', 'text']) {
      const r = await fetch(`${side.s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-unread': unread }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: ALLOWANCE, messages: [{ role: 'user', content: 'hi' }] }) });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
    }
    const replies = readLedgerFile(side.s.ledger.path).lines.filter(isReply);
    // Before: 13-ish output tokens for the first two (the size of the body), 0 for the third.
    expect(replies.map((l) => [l.cut_short, l.output_tokens >= ALLOWANCE])).toEqual([['no-final-usage', true], ['no-final-usage', true], ['no-final-usage', true]]);
  } finally {
    await side.close();
  }
});
