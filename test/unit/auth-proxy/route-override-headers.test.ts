/**
 * Attack: reach a vendor endpoint outside the path allow-list by a header that a server behind
 * the vendor's or a provider's front door routes on. The sidecar checks the request line
 * (`POST /v1/messages`), but forwarded every other header as sent: `X-HTTP-Method-Override`
 * (method-override middleware), `X-Original-URL` / `X-Rewrite-URL` (URL-rewrite front ends),
 * `X-Forwarded-Prefix` / `X-Forwarded-Host` and the like. A server that honours one serves the
 * batches or files API, unmetered, with the real key attached.
 *
 * The property (SECURITY.md, "Only the API paths the peer CLIs need"): no header that can name
 * another method, path or host crosses the sidecar; the request line is all the vendor routes on.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

const OVERRIDES: Record<string, string> = {
  'x-http-method-override': 'DELETE',
  'x-http-method': 'DELETE',
  'x-method-override': 'DELETE',
  'x-original-url': '/v1/messages/batches',
  'x-rewrite-url': '/v1/messages/batches',
  'x-original-uri': '/v1/messages/batches',
  'x-forwarded-uri': '/v1/messages/batches',
  'x-forwarded-path': '/v1/messages/batches',
  'x-forwarded-prefix': '/v1/messages/batches',
  'x-envoy-original-path': '/v1/messages/batches',
  'x-forwarded-host': 'files.peers.test',
  'x-forwarded-proto': 'http',
  'x-forwarded-for': '10.0.0.1',
  forwarded: 'host=files.peers.test;proto=http',
  'x-real-ip': '10.0.0.1',
  'x-original-host': 'files.peers.test',
  'x-host': 'files.peers.test',
};

/** A vendor that records the headers each request arrived with. */
let vendor: StandInVendor;
const seen: Record<string, string | string[] | undefined>[] = [];
beforeAll(async () => {
  vendor = await startStandInVendor((req, _body, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'message', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 5, output_tokens: 5 } }));
  });
});
afterAll(() => vendor.close());

describe('no header that names another method, path or host crosses the sidecar', () => {
  test('method, URL and host overrides are removed; the request still goes out', async () => {
    const sc = await sidecarFor('anthropic', vendor.port, {});
    try {
      const r = await fetch(`${sc.s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...OVERRIDES }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }) });
      expect(r.status).toBe(200);
      await r.text();
      const got = seen.at(-1)!;
      expect(Object.keys(OVERRIDES).filter((h) => got[h] !== undefined)).toEqual([]);
      expect(got['anthropic-version']).toBe('2023-06-01');
    } finally {
      await sc.close();
    }
  });
});
