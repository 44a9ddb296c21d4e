/**
 * Attack: a reply that is not 2xx was taken as unbilled and its reservation given back, but a
 * gateway between the sidecar and the backend (Cloudflare, an Envoy front, a router) answers its
 * own error after the backend has generated the reply and billed it: a 504 or Cloudflare's 524
 * after a long wait, a 502 or 503 when the backend's connection was reset before the head. A peer
 * that sends requests long enough to outlast such a gateway's timeout spent the vendor's bill
 * with the ledger at $0, request after request.
 *
 * The rule (SECURITY.md, "Nothing unmetered"): an ambiguous failure (any 5xx but 501, 505 and
 * Anthropic's 529 overloaded) is metered like a whole reply without usage, at its reservation's
 * input bound and whole output allowance; a clear refusal (4xx: 400, 401, 429 …; 529) is unbilled
 * and its reservation given back as before.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

/** Statuses a server gives only for a request it did not serve. */
const CLEAR_REFUSALS = [400, 401, 429, 529];
/** The backend generates and bills the whole allowance; the gateway in front answers `status` instead of the reply. */
let status = 504;
let billedByBackend = 0;
/** The vendor's own API answers (its request id on the reply) and refuses before serving: nothing billed. */
let vendorRefuses = false;
let vendor: StandInVendor;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, raw, res) => {
    const doc = JSON.parse(raw.toString()) as { max_tokens: number };
    if (!CLEAR_REFUSALS.includes(status) && !vendorRefuses) billedByBackend += doc.max_tokens + raw.length; // generated, then the gateway gave up
    const html = status === 524;
    res.writeHead(status, { 'content-type': html ? 'text/html' : 'application/json', ...(vendorRefuses ? { 'request-id': 'req_011CSHoEeqs5C35K2UUqR7Fy' } : {}) });
    // LiteLLM answers its own timeout (a request's `timeout`, its router's) as a 408 in OpenAI's error shape.
    if (status === 408) return res.end(JSON.stringify({ error: { message: 'litellm.Timeout: Request timed out.', type: null, param: null, code: '408' } }));
    res.end(html ? '<html><body>Error 524: A timeout occurred</body></html>' : JSON.stringify({ type: 'error', error: { type: status === 529 ? 'overloaded_error' : 'api_error', message: 'upstream' } }));
  });
});
afterAll(() => vendor.close());

const CAP = 50_000;
const body = { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x'.repeat(200) }], max_tokens: 20_000 };
const post = (url: string) => fetch(`${url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, text: await r.text() }));

describe('a gateway error after the backend billed is counted, a clear refusal is not', () => {
  // 408 and 499 are timeouts and cancellations, not refusals: a gateway's own (LiteLLM's per-request
  // `timeout`, nginx-style 499) can come after the backend generated and billed, like a 504.
  for (const s of [504, 524, 502, 503, 500, 408, 499, 460]) {
    test(`${s}: counted at the reservation, so a ${CAP}-token cap stops the requests before the backend's bill passes it`, async () => {
      status = s;
      billedByBackend = 0;
      const sc = await sidecarFor('anthropic', vendor.port, { maxTokens: CAP });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++) statuses.push((await post(sc.s.url)).status);
        // Without the rule all four went out (the ledger at 0) and the backend billed 4 x 20k tokens past the cap.
        expect({ statuses, backendWithinCap: billedByBackend <= CAP }).toEqual({ statuses: [s, s, 402, 402], backendWithinCap: true });
        const replies = readLedgerFile(sc.s.ledger.path).lines.filter(isReply);
        expect(replies.map((l) => ({ status: l.status, output: l.output_tokens, cut: l.cut_short }))).toEqual([{ status: s, output: 20_000, cut: 'no-final-usage' }, { status: s, output: 20_000, cut: 'no-final-usage' }]);
        expect(sc.s.ledger.totals.tokens).toBeGreaterThanOrEqual(billedByBackend);
      } finally {
        await sc.close();
      }
    });
  }

  for (const s of [500, 503]) {
    test(`${s} from the vendor's own API (its error envelope and request id, at once): unbilled, so its retries do not spend the cap`, async () => {
      status = s;
      vendorRefuses = true;
      const sc = await sidecarFor('anthropic', vendor.port, { maxTokens: CAP });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++) statuses.push((await post(sc.s.url)).status);
        // Metered at the reservation, the third was refused (402) with nothing billed.
        expect({ statuses, tokens: sc.s.ledger.totals.tokens, replies: readLedgerFile(sc.s.ledger.path).lines.filter(isReply).length }).toEqual({ statuses: [s, s, s, s], tokens: 0, replies: 0 });
      } finally {
        vendorRefuses = false;
        await sc.close();
      }
    });
  }

  for (const s of CLEAR_REFUSALS) {
    test(`${s}: a clear refusal costs nothing on the ledger`, async () => {
      status = s;
      const sc = await sidecarFor('anthropic', vendor.port, { maxTokens: CAP });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++) statuses.push((await post(sc.s.url)).status);
        expect({ statuses, tokens: sc.s.ledger.totals.tokens, replies: readLedgerFile(sc.s.ledger.path).lines.filter(isReply).length }).toEqual({ statuses: [s, s, s, s], tokens: 0, replies: 0 });
      } finally {
        await sc.close();
      }
    });
  }
});
