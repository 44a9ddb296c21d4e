/**
 * Attack on the bill: choose which account pays. OpenAI reads `OpenAI-Organization` and
 * `OpenAI-Project` to decide which organization and project a request is billed to (and so at which
 * default service tier: a project set to priority bills a request naming no tier at up to 2.5x).
 * The sidecar stripped every credential header but forwarded these as sent, so a peer could bill
 * another organization or project the user's key belongs to, and defeat the project-tier
 * reservation (auth-proxy/usage/project-tier.ts): one request without the header teaches the
 * sidecar the key's own project bills at the standard rate, then requests naming a priority
 * project are reserved at 1x and billed at 2.5x, past the cap.
 *
 * The property (SECURITY.md, "Client credentials never reach the vendor"): which account pays is
 * the credential's choice, never the peer's; these headers are removed like the credentials. The
 * stand-in vendor plays a key with two projects: its own (standard tier) and `proj_priority`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { PRIORITY_TIER_FACTOR } from '../../../auth-proxy/usage/price-table.ts';
import { requestFactsOf, worstCase } from '../../../auth-proxy/usage/request-cost.ts';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

const M = 1_000_000;
let vendor: StandInVendor;
const seen: Record<string, string | string[] | undefined>[] = [];
/** What the stand-in vendor billed, in USD (gpt-5.4, every input byte a token, the whole output cap). */
let vendorBilled = 0;
beforeAll(async () => {
  vendor = await startStandInVendor((req, body, res) => {
    seen.push(req.headers);
    const doc = JSON.parse(body.toString()) as { model: string; max_output_tokens: number };
    const tier = req.headers['openai-project'] === 'proj_priority' ? 'priority' : 'default';
    const factor = tier === 'priority' ? PRIORITY_TIER_FACTOR : 1;
    vendorBilled += ((body.length * 2.5 + doc.max_output_tokens * 15) / M) * factor;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: doc.model, service_tier: tier, output: [], usage: { input_tokens: body.length, input_tokens_details: { cached_tokens: 0 }, output_tokens: doc.max_output_tokens } }));
  });
});
afterAll(() => vendor.close());

const SMALL = { model: 'gpt-5.4', input: 'hi', max_output_tokens: 100 };
const LARGE = { model: 'gpt-5.4', input: 'hi', max_output_tokens: 50_000 };
const reserved = (doc: Record<string, unknown>) => worstCase(requestFactsOf(doc, Buffer.byteLength(JSON.stringify(doc)), 'openai'), 'openai').usd;
const send = (url: string, doc: Record<string, unknown>, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(doc) });

describe('which account pays is the credential\'s choice, never the peer\'s', () => {
  test('OpenAI-Organization and OpenAI-Project never reach the vendor, so a priority project cannot be billed past the cap under a standard-tier reservation', async () => {
    vendorBilled = 0;
    const cap = reserved(SMALL) + 3 * reserved(LARGE);
    const sc = await sidecarFor('openai', vendor.port, { maxUsd: cap });
    try {
      // Teaches the sidecar that the key's own project bills at the standard rate.
      expect((await send(sc.s.url, SMALL)).status).toBe(200);
      const other = { 'OpenAI-Project': 'proj_priority', 'OpenAI-Organization': 'org-someone-else' };
      const replies = await Promise.all([1, 2, 3].map(() => send(sc.s.url, LARGE, other)));
      for (const r of replies) await r.text();
      // Before: all three billed at priority, $5.63 at a $2.25 cap, and the vendor saw both headers.
      expect(seen.filter((h) => h['openai-project'] !== undefined || h['openai-organization'] !== undefined)).toEqual([]);
      expect(vendorBilled).toBeLessThanOrEqual(cap + 1e-9);
      const spent = readLedgerFile(sc.s.ledger.path).lines.filter(isReply).reduce((s, l) => s + l.usd, 0);
      expect(spent).toBeCloseTo(vendorBilled, 6);
    } finally {
      await sc.close();
    }
  });
});
