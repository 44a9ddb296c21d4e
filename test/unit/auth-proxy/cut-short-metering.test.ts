/**
 * Attack: a peer (or a failing network) cuts a reply short so that it is never metered. The
 * stream is cut at every point — before the first event, after each event, in the middle of an
 * event — by the client going away, by the upstream connection breaking, by the upstream going
 * silent, and by a stream that ends cleanly without its final usage; for the Anthropic Messages
 * API and the OpenAI Responses API, streamed and not. Every cut must leave a ledger line: the
 * vendor's figures where it sent them (Anthropic's input side arrives in `message_start`), an
 * estimate, flagged, for the rest. A reply that reached its final usage is metered exactly.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import http from 'node:http';
import type net from 'node:net';
import { join } from 'node:path';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { readLedger, type ReplyLine } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type Egress, type Sidecar, startEgress, startSidecar } from './sidecar-fixture.ts';

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
const IN = { input_tokens: 2500, cache_read_input_tokens: 400, cache_creation_input_tokens: 60 };
const TEXT = ['The quick brown fox ', 'jumps over the lazy dog, ', 'again and again.'];

const ANTHROPIC_EVENTS = [
  sse('message_start', { type: 'message_start', message: { id: 'm', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], usage: { ...IN, output_tokens: 1 } } }),
  sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  ...TEXT.map((t) => sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t } })),
  sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
  sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 19 } }),
  sse('message_stop', { type: 'message_stop' }),
];
/** Events served before Anthropic's usage is final (message_delta is the 7th). */
const ANTHROPIC_FINAL = 7;

const RESPONSE = { id: 'r', object: 'response', model: 'gpt-5.5', status: 'in_progress', output: [], usage: null };
const OPENAI_EVENTS = [
  sse('response.created', { type: 'response.created', response: RESPONSE }),
  sse('response.in_progress', { type: 'response.in_progress', response: RESPONSE }),
  sse('response.output_item.added', { type: 'response.output_item.added', item: { type: 'message', role: 'assistant', content: [] } }),
  ...TEXT.map((t) => sse('response.output_text.delta', { type: 'response.output_text.delta', delta: t })),
  sse('response.output_text.done', { type: 'response.output_text.done', text: TEXT.join('') }),
  sse('response.completed', { type: 'response.completed', response: { ...RESPONSE, status: 'completed', usage: { input_tokens: 3000, input_tokens_details: { cached_tokens: 1000 }, output_tokens: 21 } } }),
];
const OPENAI_FINAL = 8;

type Mode = 'client-abort' | 'upstream-error' | 'stall' | 'no-final-usage';
type Plan = { mode: Mode; k: number; mid: boolean };

let upstream: http.Server;
let upstreamPort: number;
const sockets = new Set<net.Socket>();

/** A vendor stand-in that serves the first k events (and half of the next, if `mid`) and then fails as planned. */
function startUpstream(): Promise<void> {
  upstream = http.createServer(async (req, res) => {
    for await (const _ of req);
    const plan = JSON.parse(String(req.headers['x-test-plan'])) as Plan;
    const events = req.url!.endsWith('/messages') ? ANTHROPIC_EVENTS : OPENAI_EVENTS;
    if (req.headers['x-test-json']) {
      // Non-streamed: the reply is still being generated when the cut comes.
      if (plan.mode === 'upstream-error') return void res.socket?.destroy();
      return; // hold: client abort or stall
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'anthropic-ratelimit-unified-5h-utilization': '0.42' });
    res.flushHeaders();
    for (const e of events.slice(0, plan.k)) res.write(e);
    if (plan.mid && plan.k < events.length) res.write(events[plan.k]!.slice(0, Math.floor(events[plan.k]!.length / 2)));
    if (plan.mode === 'upstream-error') setTimeout(() => res.socket?.destroy(), 20);
    else if (plan.mode === 'no-final-usage') res.end();
    // client-abort and stall: keep the stream open and silent.
  });
  upstream.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((r) => upstream.listen(0, '127.0.0.1', () => {
    upstreamPort = (upstream.address() as net.AddressInfo).port;
    r();
  }));
}

let egress: Egress;
let anthropic: Sidecar;
let openai: Sidecar;
const ledgerPath = () => join(egress.dir, 'usage.jsonl');

beforeAll(async () => {
  await startUpstream();
  egress = await startEgress(upstreamPort);
  const limits = { upstreamIdleMs: 400 };
  anthropic = await startSidecar({ egress, vendorPort: upstreamPort, credentials: new ApiKeySource('x-api-key', 'sk-ant-real-cut-000000'), limits });
  openai = await startSidecar({ egress, vendorPort: upstreamPort, upstream: UPSTREAMS.openai, credentials: new ApiKeySource('authorization', 'sk-real-cut-openai-0000'), limits });
});
afterAll(async () => {
  await anthropic.close();
  await openai.close();
  await egress.close();
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => upstream.close(() => r()));
});

const BODY = { model: 'claude-sonnet-4-5', max_tokens: 300, stream: true, messages: [{ role: 'user', content: 'x'.repeat(4000) }] };

/**
 * Sends one request through the sidecar; for a client abort, reads until `k` whole events (plus
 * half of the next when `mid`) arrived, then disconnects. Resolves with the ledger line it left.
 */
async function cut(side: Sidecar, path: string, plan: Plan, json = false): Promise<ReplyLine> {
  const before = readLedger(ledgerPath()).length;
  const body = JSON.stringify(json ? { ...BODY, stream: false } : BODY);
  await new Promise<void>((resolve) => {
    const req = http.request(`${side.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-plan': JSON.stringify(plan), ...(json ? { 'x-test-json': '1' } : {}) } }, (res) => {
      let seen = '';
      const wanted = plan.k === 0 ? 0 : plan.k;
      const check = () => {
        const events = (seen.match(/\n\n/g) ?? []).length;
        if (plan.mode === 'client-abort' && events >= wanted && (!plan.mid || seen.length > 0)) req.destroy();
      };
      res.on('data', (c: Buffer) => {
        seen += c.toString('utf8');
        check();
      });
      res.on('end', () => resolve());
      res.on('error', () => resolve());
      res.on('close', () => resolve());
      if (plan.mode === 'client-abort' && wanted === 0) req.destroy();
    });
    req.on('error', () => resolve());
    if (json && plan.mode === 'client-abort') setTimeout(() => req.destroy(), 150);
    req.end(body);
  });
  const end = Date.now() + 5000;
  for (;;) {
    const lines = readLedger(ledgerPath());
    if (lines.length > before) return lines.at(-1)!;
    if (Date.now() > end) throw new Error(`no ledger line for ${path} ${JSON.stringify(plan)}; sidecar log:\n${[...anthropic.logs, ...openai.logs].slice(-5).join('\n')}`);
    await Bun.sleep(20);
  }
}

const MODES: Mode[] = ['client-abort', 'upstream-error', 'stall', 'no-final-usage'];

describe('a streamed Anthropic reply cut at every point is still metered', () => {
  for (const mode of MODES) {
    test(mode, async () => {
      for (let k = 0; k <= ANTHROPIC_FINAL; k++) {
        for (const mid of k < ANTHROPIC_EVENTS.length && mode !== 'client-abort' ? [false, true] : [false]) {
          const line = await cut(anthropic, '/v1/messages', { mode, k, mid });
          const where = `${mode} after ${k} event(s)${mid ? ' and half of the next' : ''}`;
          expect(line.usd, where).toBeGreaterThan(0);
          if (k >= ANTHROPIC_FINAL) {
            // message_delta arrived: the vendor's own figures, exactly.
            expect([line.output_tokens, line.cut_short, line.estimated], where).toEqual([19, undefined, undefined]);
            continue;
          }
          expect(line.cut_short, where).toBe(mode);
          if (k >= 1) {
            // message_start gave the input side: billed exactly, never estimated.
            expect([line.input_tokens, line.cache_read_tokens, line.cache_write_tokens], where).toEqual([2500, 400, 60]);
            expect(line.estimated ?? [], where).not.toContain('input');
          } else {
            expect(line.estimated, where).toContain('input');
            expect(line.input_tokens, where).toBeGreaterThanOrEqual(1000); // ~4 bytes per token of a 4 KB body
          }
          const deltas = Math.max(0, Math.min(k, 5) - 2);
          const text = TEXT.slice(0, deltas).join('');
          expect(line.output_tokens, where).toBeGreaterThanOrEqual(Math.max(deltas, Math.ceil(text.length / 4)));
        }
      }
    }, 60_000);
  }
});

describe('a streamed OpenAI Responses reply cut at every point is still metered', () => {
  for (const mode of MODES) {
    test(mode, async () => {
      for (let k = 0; k <= OPENAI_FINAL; k++) {
        const line = await cut(openai, '/v1/responses', { mode, k, mid: false });
        const where = `${mode} after ${k} event(s)`;
        expect(line.usd, where).toBeGreaterThan(0);
        expect(line.model, where).toBe(k >= 1 ? 'gpt-5.5' : 'claude-sonnet-4-5'); // the request's model until the reply names one
        if (k >= OPENAI_FINAL) {
          expect([line.input_tokens, line.cache_read_tokens, line.output_tokens, line.cut_short], where).toEqual([2000, 1000, 21, undefined]);
          continue;
        }
        // Responses streams give no usage before response.completed: input is estimated from the request.
        expect(line.cut_short, where).toBe(mode);
        expect(line.estimated, where).toContain('input');
        expect(line.input_tokens, where).toBeGreaterThanOrEqual(1000);
        const deltas = Math.max(0, Math.min(k, 6) - 3);
        expect(line.output_tokens, where).toBeGreaterThanOrEqual(deltas);
      }
    }, 60_000);
  }
});

describe('a non-streamed reply that never arrives whole', () => {
  test('is charged its input estimate and its whole output allowance (the vendor may have generated all of it)', async () => {
    for (const mode of ['client-abort', 'upstream-error', 'stall'] as Mode[]) {
      const line = await cut(anthropic, '/v1/messages', { mode, k: 0, mid: false }, true);
      expect(line.status, mode).toBe(0); // no reply head ever came back
      expect(line.cut_short, mode).toBe(mode);
      expect(line.output_tokens, mode).toBe(300);
      expect(line.estimated, mode).toEqual(['input', 'output']);
    }
  }, 30_000);
});

test('the vendor\'s plan-usage headers are on the ledger with a reply', async () => {
  await cut(anthropic, '/v1/messages', { mode: 'no-final-usage', k: 3, mid: false });
  // Kept when they say something new (PlanSignalSampler, ledger-growth.test.ts): here on the upstream's first reply.
  const kept = (readLedger(ledgerPath()) as ReplyLine[]).filter((l) => l.upstream === 'anthropic' && l.rate_limits);
  expect(kept.map((l) => l.rate_limits)).toEqual([{ 'anthropic-ratelimit-unified-5h-utilization': '0.42' }]);
});
