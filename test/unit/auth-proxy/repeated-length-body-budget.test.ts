/**
 * Attack on the sidecar's memory bound: send the same Content-Length twice. RFC 9112 lets a
 * recipient accept repeated identical lengths, and the parser does (request-head.ts), but the
 * body reader read the joined header (`"1000, 1000"`) as a number: NaN. NaN taken from the shared
 * body budget (body-budget.ts) passed its check, made its count NaN, and every later comparison
 * with it false: one such request switched the bound off for every connection and upstream, and
 * bodies the sidecar could no longer hold took it past its container's memory limit (SECURITY.md,
 * "Limits": a sidecar killed there stops the run).
 *
 * The rule: a body's declared length is the one the framing was read with, and the budget takes
 * only a whole, finite count of bytes.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import net from 'node:net';
import { BodyBytes } from '../../../auth-proxy/body-budget.ts';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { type Egress, type Sidecar, startEgress, startSidecar, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

const LIMIT = 100_000;
let vendor: StandInVendor;
let egress: Egress;
let sc: Sidecar;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'message', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 5, output_tokens: 1 } }));
  });
  egress = await startEgress(vendor.port);
  sc = await startSidecar({ egress, vendorPort: vendor.port, upstream: UPSTREAMS.anthropic, credentials: new ApiKeySource('x-api-key', 'sk-test-0000000000'), limits: { maxBufferedBodyBytes: LIMIT } });
});
afterAll(async () => {
  await sc.close();
  await egress.close();
  await vendor.close();
});

const body = (bytes: number) => JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1, messages: [{ role: 'user', content: 'x'.repeat(bytes) }] });
/** One raw request; resolves with the status of its reply. */
function raw(head: string, payload: string): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect(Number(new URL(sc.url).port), '127.0.0.1', () => s.write(`${head}\r\n\r\n${payload}`));
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1] ?? 0)));
    s.on('error', () => {});
  });
}
const post = (lengths: number[], payload: string) => raw(['POST /v1/messages HTTP/1.1', 'host: x', 'content-type: application/json', 'connection: close', ...lengths.map((n) => `content-length: ${n}`)].join('\r\n'), payload);

test('a Content-Length given twice leaves the body budget in force for every later request', async () => {
  const small = body(100);
  expect(await post([small.length, small.length], small)).toBe(200);
  // A body past the budget is refused, as it was before any repeated length: before, it went out.
  const large = body(LIMIT + 10_000);
  expect(await post([large.length], large)).toBe(503);
  expect(await post([small.length], small)).toBe(200);
});

test('the budget takes only a whole, finite count of bytes', () => {
  const b = new BodyBytes(10);
  for (const n of [Number.NaN, Number.POSITIVE_INFINITY, -1, 0.5]) expect(b.tryTake(n)).toBe(false);
  expect(b.inUse).toBe(0);
  expect(b.tryTake(10)).toBe(true);
});
