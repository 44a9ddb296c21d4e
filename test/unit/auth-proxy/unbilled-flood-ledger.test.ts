/**
 * Attack: a peer sends request after request that the vendor answers at once with an error (an
 * invalid parameter, a rate limit): free for the peer, but each left a `reserved` and a `released`
 * line (and a 429 a `limited` line too). Sixty-four at a time, a turn wrote hundreds of thousands
 * of them: 300 000 lines (48 MB) took a starting sidecar 18 s and 181 MiB to read (its container
 * has 256), and past the readers' 256 MiB cap the run is held.
 *
 * The bound (SECURITY.md, "The ledger is the authority for spend"): requests that bill nothing
 * draw on a budget shared by the sidecar (a burst, refilled at a steady rate); while it is empty,
 * a billable request is answered 429 by the sidecar itself, with `retry-after`, reaches no vendor
 * and writes no line.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type Egress, startEgress, startSidecar, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

let vendor: StandInVendor;
let egress: Egress;
let reached = 0;
let answerOk = false;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, _body, res) => {
    reached++;
    res.writeHead(answerOk ? 200 : 400, { 'content-type': 'application/json' });
    if (answerOk) return res.end(JSON.stringify({ type: 'message', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 5, output_tokens: 5 } }));
    res.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'temperature: must be at most 1' } }));
  });
  egress = await startEgress(vendor.port);
});
afterAll(async () => {
  await egress.close();
  await vendor.close();
});

const FLOOD = 200;
const BURST = 40;

test('a flood of requests the vendor answers with free errors is throttled: the ledger grows by the burst, not the flood', async () => {
  const s = await startSidecar({ egress, vendorPort: vendor.port, credentials: new ApiKeySource('x-api-key', 'sk-test-0000000000'), caps: { maxUsd: 100 }, limits: { unbilledBurst: BURST, unbilledPerSecond: 2 } });
  const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 100, temperature: 5, messages: [{ role: 'user', content: 'hi' }] });
  const send = async () => {
    const r = await fetch(`${s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: r.status, retryAfter: r.headers.get('retry-after'), text: await r.text() };
  };
  try {
    const started = performance.now();
    const statuses: number[] = [];
    for (let wave = 0; wave < FLOOD / 20; wave++) statuses.push(...(await Promise.all(Array.from({ length: 20 }, send))).map((r) => r.status));
    const seconds = (performance.now() - started) / 1000;
    const lines = readLedgerFile(s.ledger.path).lines.length;
    // Before: all 200 reached the vendor and wrote 400 lines.
    const allowed = BURST + 20 + Math.ceil(seconds * 2);
    expect(reached).toBeLessThanOrEqual(allowed);
    expect(lines).toBeLessThanOrEqual(2 * allowed);
    expect(statuses.filter((x) => x === 429).length).toBe(FLOOD - reached);
    const throttled = await send();
    expect(throttled.status).toBe(429);
    expect(Number(throttled.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(throttled.text).error).toMatchObject({ type: 'rate_limit_error', message: expect.stringContaining('answered with errors') });
    // Billed replies draw nothing: once the budget refills, requests go out and are metered as before.
    answerOk = true;
    let ok = 0;
    const end = Date.now() + 5_000;
    while (ok === 0 && Date.now() < end) {
      const r = await send();
      if (r.status === 200) ok++;
      else await Bun.sleep(100);
    }
    expect(ok).toBe(1);
  } finally {
    answerOk = false;
    await s.close();
  }
});

test('the OpenAI shape of the throttle is a 429 rate_limit_error the CLIs retry', async () => {
  const s = await startSidecar({ egress, vendorPort: vendor.port, upstream: UPSTREAMS.openai, credentials: new ApiKeySource('authorization', 'sk-test-0000000000'), caps: { maxUsd: 100 }, limits: { unbilledBurst: 1, unbilledPerSecond: 0.1 } });
  try {
    const send = () => fetch(`${s.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-5.4', input: 'hi', max_output_tokens: 10 }) });
    expect((await send()).status).toBe(400);
    const r = await send();
    expect(r.status).toBe(429);
    expect(((await r.json()) as { error: unknown }).error).toMatchObject({ type: 'rate_limit_error', code: 'peers_unbilled_throttle' });
  } finally {
    await s.close();
  }
});
