/**
 * Attack (SECURITY.md, "Nothing unmetered"): a non-streamed request the vendor generates for
 * longer than the egress proxy's tunnel idle limit (300 s in the pod, below the sidecar's own 600 s
 * read limit) is met, on a kept-alive tunnel, with a close and no reply byte. The sidecar's pool
 * took that for the idle-connection race and sent the request again on a fresh tunnel: the vendor
 * generated and billed it twice, the ledger counted the second only, and a peer asking for long
 * non-streamed replies doubled every bill. The real sidecar, through the real egress proxy (its
 * idle limit shortened), against a stand-in vendor that bills every request it receives.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { usdFor } from '../../../auth-proxy/usage/price-table.ts';
import { readLedger } from '../../../auth-proxy/usage/usage-ledger.ts';
import { waitFor } from '../../wait-for.ts';
import { billedReply, call, startEgress, startSidecar, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

const OUTPUT = 50_000;
const billed = (output: number) => usdFor({ model: 'gpt-5.4', input_tokens: 100, output_tokens: output, cache_read_tokens: 0, cache_write_tokens: 0 }, 'openai').usd;

let vendor: StandInVendor;
/** What the stand-in vendor billed: every request it received, generated whole (a hung-up one too). */
let vendorUsd = 0;
let received = 0;

beforeAll(async () => {
  vendor = await startStandInVendor((req, _body, res) => {
    received++;
    vendorUsd += billed(received === 1 ? 10 : OUTPUT);
    // The first request opens the kept-alive tunnel; the second is generated past the tunnel's idle
    // limit (no byte until it is done); any other is answered at once.
    if (received === 2) return;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(billedReply(req.url ?? '', { input_tokens: 100, output_tokens: received === 1 ? 10 : OUTPUT }));
  });
});
afterAll(async () => {
  await vendor.close();
});

test('a request the egress proxy cut off while the vendor was generating it is not sent again, and is on the ledger at its allowance', async () => {
  const egress = await startEgress(vendor.port, vendor.port, { idleTimeoutMs: 400 });
  const s = await startSidecar({ egress, vendorPort: vendor.port, upstream: UPSTREAMS.openai, credentials: new ApiKeySource('authorization', 'sk-tunnel-idle-00000000'), limits: { staleRaceMs: 100 } });
  const body = { model: 'gpt-5.4', input: 'write a long essay', max_output_tokens: OUTPUT };
  expect((await call(s.url, '/v1/responses', { body })).status).toBe(200);
  const second = await call(s.url, '/v1/responses', { body });
  const lines = () => readLedger(s.ledger.path);
  await waitFor('both requests metered', () => lines().length >= 2);
  const counted = lines().reduce((sum, l) => sum + l.usd, 0);
  // Sent once: the peer gets the failure (its CLI retries, reserved and metered again).
  expect({ status: second.status, received }).toEqual({ status: 502, received: 2 });
  // Everything the vendor billed is on the ledger.
  expect(counted).toBeGreaterThanOrEqual(vendorUsd);
  expect(lines()[1]).toMatchObject({ cut_short: 'upstream-error', output_tokens: OUTPUT });
  await s.close();
  await egress.close();
});
