/**
 * A server error the vendor's own API answered, quickly, before it served the request: Anthropic's
 * `{"type":"error","error":{"type":"api_error"}}` or OpenAI's `{"error":{"type":"server_error"}}`,
 * with the vendor's request id, within seconds of the request. Every other 5xx may come after the
 * backend generated and billed the reply (a gateway's 504 or 524 after a long wait) and is metered
 * at its reservation (reply-relay.ts); this one is the vendor refusing to serve, which it does not
 * bill, and claude and codex retry it: metered at the reservation, a few seconds of a vendor's
 * errors (codex reserves 128k output tokens a request) spent a small cap with nothing billed
 * (SECURITY.md, "Nothing unmetered"; gateway-error-budget.test.ts).
 */
import type { Vendor } from './usage/price-table.ts';

/** Past this, a 5xx may have waited on a backend that generated: it is metered whatever it says. */
export const QUICK_ERROR_MS = 10_000;

/** The vendor's request id header on its own replies, and the error types it answers a server error with. */
const OWN: Record<Vendor, { idHeader: string; types: readonly string[] }> = {
  anthropic: { idHeader: 'request-id', types: ['api_error', 'overloaded_error'] },
  openai: { idHeader: 'x-request-id', types: ['server_error'] },
};

/** `firstParty`: the vendor's own API, not a router or gateway a provider names (upstreams.ts, `routed`). */
export type ErrorReply = { vendor: Vendor; firstParty: boolean; status: number; headers: Record<string, string | string[] | undefined>; body: string; ms: number };

/** Whether a 5xx reply is the vendor's own quick refusal to serve (see above). */
export function isVendorOwnError(r: ErrorReply): boolean {
  if (!r.firstParty || r.status < 500 || r.ms > QUICK_ERROR_MS) return false;
  const own = OWN[r.vendor];
  const id = r.headers[own.idHeader];
  if (typeof id !== 'string' || !/^[\w-]{8,200}$/.test(id)) return false;
  let doc: unknown;
  try {
    doc = JSON.parse(r.body);
  } catch {
    return false;
  }
  if (doc === null || typeof doc !== 'object') return false;
  const d = doc as { type?: unknown; error?: { type?: unknown } };
  if (r.vendor === 'anthropic' && d.type !== 'error') return false;
  return typeof d.error?.type === 'string' && own.types.includes(d.error.type);
}
