/** The meter's parsers on the awkward inputs real streams produce, and the ledger's crash safety. */
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, mkdirSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { upstreamHeaders } from '../../../auth-proxy/credential-headers.ts';
import { withFileLock } from '../../../auth-proxy/oauth/file-lock.ts';
import { priceFor } from '../../../auth-proxy/usage/price-table.ts';
import { type SseEvent, SseParser } from '../../../auth-proxy/usage/sse-parser.ts';
import { UsageAccumulator } from '../../../auth-proxy/usage/usage-extract.ts';

const STREAM = 'event: message_start\r\ndata: {"type":"message_start",\r\ndata: "n":1}\r\n\r\n: keep-alive comment\n\nevent: ping\ndata: {}\n\ndata: {"x":"é"}\n\n';

function parseInChunks(text: string, size: number): SseEvent[] {
  const events: SseEvent[] = [];
  const p = new SseParser((e) => events.push(e));
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) p.feed(bytes.subarray(i, i + size));
  p.end();
  return events;
}

describe('SSE parser', () => {
  test('gives the same events however the stream is split (CRLF, multi-line data, comments, UTF-8)', () => {
    const whole = parseInChunks(STREAM, 1 << 20);
    expect(whole).toEqual([
      { event: 'message_start', data: '{"type":"message_start",\n"n":1}' },
      { event: 'ping', data: '{}' },
      { event: 'message', data: '{"x":"é"}' },
    ]);
    for (const size of [1, 2, 3, 7]) expect(parseInChunks(STREAM, size)).toEqual(whole);
  });
});

describe('usage extraction', () => {
  test('OpenAI Chat Completions usage (last stream chunk) splits cached input out', () => {
    const acc = new UsageAccumulator();
    acc.observe({ id: 'c', object: 'chat.completion.chunk', model: 'gpt-4.1', choices: [] });
    acc.observe({ id: 'c', object: 'chat.completion.chunk', model: 'gpt-4.1', choices: [], usage: { prompt_tokens: 100, completion_tokens: 9, prompt_tokens_details: { cached_tokens: 40 } } });
    expect(acc.usage).toEqual({ model: 'gpt-4.1', input_tokens: 60, output_tokens: 9, cache_read_tokens: 40, cache_write_tokens: 0 });
  });

  test('a reply without usage is not metered', () => {
    const acc = new UsageAccumulator();
    acc.observe({ type: 'error', error: { type: 'overloaded_error', message: 'x' } });
    expect(acc.seen).toBe(false);
  });

  test('prices are looked up by exact model id; an unknown model takes its vendor\'s dearest row, flagged', () => {
    expect(priceFor('gpt-5-mini-2025-08-07', 'openai').rates.input).toBe(0.25);
    expect(priceFor('gpt-5-codex', 'openai').rates.input).toBe(1.25);
    expect(priceFor('gpt-5.5', 'openai').rates).toMatchObject({ input: 5, output: 30, cacheRead: 0.5 });
    expect(priceFor('claude-opus-4-5-20251101', 'anthropic').rates.output).toBe(25);
    expect(priceFor('anthropic/claude-opus-4-1-20250805', 'anthropic').rates.output).toBe(75);
    expect(priceFor('claude-opus-5-5', 'anthropic', 'fast').rates.output).toBe(40);
    // A family prefix is not a price: a model the table does not list is priced conservatively.
    expect(priceFor('claude-opus-4-9', 'anthropic')).toMatchObject({ priced: 'fallback', rates: { output: 75 } });
    expect(priceFor('gpt-7-sol', 'openai')).toMatchObject({ priced: 'fallback', rates: { output: 180 } });
    expect(priceFor('llama-9000', 'anthropic').note).toContain('not in the price table of');
  });
});

describe('headers and locks', () => {
  test('headers named in Connection are dropped and anthropic-beta flags are merged, not replaced', () => {
    const out = upstreamHeaders({ connection: 'x-secret-hop', 'x-secret-hop': 'v', 'anthropic-beta': 'a,b', 'accept-encoding': 'gzip' }, { 'anthropic-beta': 'b,oauth-2025-04-20' }, 'api.anthropic.com');
    expect(out['x-secret-hop']).toBeUndefined();
    expect(out['anthropic-beta']).toBe('a,b,oauth-2025-04-20');
    expect(out['accept-encoding']).toBe('identity');
    expect(out.host).toBe('api.anthropic.com');
  });

  test('a lock left by a crashed holder is taken over once stale; a live one is waited for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peers-lock-'));
    const lock = join(dir, 'creds.json.lock');
    mkdirSync(lock);
    const old = new Date(Date.now() - 120_000);
    utimesSync(lock, old, old);
    expect(await withFileLock(lock, async () => 'ran')).toBe('ran');
    mkdirSync(lock); // fresh: held by someone alive
    await expect(withFileLock(lock, async () => 'ran', { timeoutMs: 200 })).rejects.toThrow('timed out waiting for the credentials lock');
  });
});
