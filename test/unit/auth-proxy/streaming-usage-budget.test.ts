/** Streams pass through unbuffered; every reply is metered exactly; a spent budget stops requests. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { usdFor } from '../../../auth-proxy/usage/price-table.ts';
import { readLedger, totalsOf, UsageLedger } from '../../../auth-proxy/usage/usage-ledger.ts';
import { ANTHROPIC_USAGE, type FakeVendor, OPENAI_USAGE, startFakeVendor } from './fake-vendor.ts';
import { call, type Egress, type Sidecar, startEgress, startSidecar } from './sidecar-fixture.ts';

let vendor: FakeVendor;
let egress: Egress;
let anthropic: Sidecar;
let openai: Sidecar;
const ledgerPath = () => join(egress.dir, 'usage.jsonl');

beforeAll(async () => {
  vendor = await startFakeVendor();
  egress = await startEgress(vendor.port);
  anthropic = await startSidecar({ egress, vendorPort: vendor.port, credentials: new ApiKeySource('x-api-key', 'sk-ant-real-0000000000') });
  // Both upstreams append to one ledger file, as in the pod.
  openai = await startSidecar({ egress, vendorPort: vendor.port, upstream: UPSTREAMS.openai, credentials: new ApiKeySource('authorization', 'sk-real-openai-000000') });
});
afterAll(async () => {
  await anthropic.close();
  await openai.close();
  await egress.close();
  await vendor.close();
});

describe('streaming', () => {
  test('the first SSE event reaches the client while the upstream is still holding the stream', async () => {
    vendor.holdStreams = true;
    const res = await fetch(`${anthropic.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ stream: true }) });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const first = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), 3000))]);
    // The upstream has not been released: this byte can only have come through unbuffered.
    expect(first).not.toBeNull();
    expect(new TextDecoder().decode(first!.value)).toContain('event: message_start');
    vendor.holdStreams = false;
    vendor.releaseStream();
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toContain('event: message_stop');
  });
});

describe('usage meter and budget', () => {
  test('usage from JSON and SSE replies of both APIs is recorded and summed exactly', async () => {
    const before = readLedger(ledgerPath()).length;
    await call(anthropic.url, '/v1/messages', { body: { model: 'claude-sonnet-4-5' } });
    await call(anthropic.url, '/v1/messages', { body: { model: 'claude-opus-4-1', stream: true } });
    await call(openai.url, '/v1/responses', { body: { model: 'gpt-5-codex' } });
    await call(openai.url, '/v1/responses', { body: { model: 'gpt-5-codex', stream: true } });
    await call(anthropic.url, '/v1/messages', { body: { model: 'mystery-model-9' } });
    const lines = readLedger(ledgerPath()).slice(before);
    expect(lines.map((l) => [l.upstream, l.model, l.stream])).toEqual([
      ['anthropic', 'claude-sonnet-4-5', false],
      ['anthropic', 'claude-opus-4-1', true],
      ['openai', 'gpt-5-codex', false],
      ['openai', 'gpt-5-codex', true],
      ['anthropic', 'mystery-model-9', false],
    ]);
    const a = { input_tokens: ANTHROPIC_USAGE.input, output_tokens: ANTHROPIC_USAGE.output, cache_read_tokens: ANTHROPIC_USAGE.cacheRead, cache_write_tokens: ANTHROPIC_USAGE.cacheWrite };
    const o = { input_tokens: OPENAI_USAGE.input - OPENAI_USAGE.cached, output_tokens: OPENAI_USAGE.output, cache_read_tokens: OPENAI_USAGE.cached, cache_write_tokens: 0 };
    for (const i of [0, 1, 4]) expect(lines[i]).toMatchObject(a);
    for (const i of [2, 3]) expect(lines[i]).toMatchObject(o);
    // The streamed Anthropic reply counts the LAST cumulative message_delta (42), not 1 + 17 + 42.
    expect(lines[1]!.output_tokens).toBe(42);
    expect(lines.map((l) => l.total_tokens)).toEqual([177, 177, 230, 230, 177]);
    // Sonnet: 25*3 + 42*15 + 100*0.3 + 10*3.75 = 772.5 per million tokens.
    expect(lines[0]!.usd).toBeCloseTo(0.0007725, 10);
    expect(lines[1]!.usd).toBeCloseTo(usdFor({ model: 'claude-opus-4-1', ...a }, 'anthropic').usd, 10);
    expect(lines[4]!.priced).toBe('fallback');
    const totals = totalsOf(lines);
    expect(totals.tokens).toBe(177 * 3 + 230 * 2);
    expect(totals.usd).toBeCloseTo(lines.reduce((s, l) => s + l.usd, 0), 8);
    const raw = readFileSync(ledgerPath(), 'utf8');
    expect(raw.endsWith('\n')).toBe(true);
    expect(Object.keys(JSON.parse(raw.trim().split('\n').at(-1)!))).toEqual(expect.arrayContaining(['ts', 'upstream', 'model', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'usd']));
  });

  test('when the token budget is spent, both APIs answer a clear vendor-shaped error and nothing is forwarded', async () => {
    const spent = new UsageLedger(ledgerPath()).totals.tokens;
    const body = { max_tokens: 100 };
    // Room for exactly one such request's reservation (body bytes + 1024 + max_tokens), not two.
    const caps = { maxTokens: spent + 1200 };
    const a = await startSidecar({ egress, vendorPort: vendor.port, credentials: new ApiKeySource('x-api-key', 'sk-ant-real-0000000000'), caps });
    expect((await call(a.url, '/v1/messages', { body })).status).toBe(200); // 177 spent: the rest cannot cover another
    const forwarded = vendor.requests.length;
    const refused = await call(a.url, '/v1/messages', { body });
    expect(refused.status).toBe(402);
    expect(refused.headers.get('x-peers-budget')).toBe('exhausted');
    expect(JSON.parse(refused.text)).toEqual({ type: 'error', error: { type: 'billing_error', message: expect.stringContaining("the run's token budget left cannot cover this request") } });
    // A sidecar (re)started on the same ledger knows the run's spend and refuses at once.
    const spentCaps = { maxTokens: new UsageLedger(ledgerPath()).totals.tokens };
    const o2 = await startSidecar({ egress, vendorPort: vendor.port, upstream: UPSTREAMS.openai, credentials: new ApiKeySource('authorization', 'sk-real-openai-000000'), caps: spentCaps });
    const oRefused = await call(o2.url, '/v1/responses', { body: {} });
    expect(oRefused.status).toBe(400);
    expect(oRefused.headers.get('x-peers-budget')).toBe('exhausted');
    expect(JSON.parse(oRefused.text).error).toMatchObject({ type: 'invalid_request_error', code: 'peers_budget_exhausted' });
    expect(JSON.parse(oRefused.text).error.message).toContain("the run's token budget is spent");
    expect(JSON.parse(oRefused.text).error.message).toContain('Raise budget.max_tokens');
    expect(vendor.requests.length).toBe(forwarded);
    await Promise.all([a.close(), o2.close()]);
  });

  test('a USD cap refuses once the estimated spend reaches it', async () => {
    const spentUsd = new UsageLedger(ledgerPath()).totals.usd;
    const s = await startSidecar({ egress, vendorPort: vendor.port, credentials: new ApiKeySource('x-api-key', 'sk-ant-real-0000000000'), caps: { maxUsd: spentUsd } });
    const r = await call(s.url, '/v1/messages', { body: { model: 'claude-sonnet-4-5' } });
    expect(r.status).toBe(402);
    expect(r.text).toContain("the run's USD budget is spent");
    await s.close();
  });
});
