/**
 * A request body as the vendor reads it (sent as JSON, decoded, parsed strictly) and what in it reaches outside
 * the run, or why it is not forwarded: an encoding peers cannot decode or a body past the size
 * limit (`status`), a body that is not one JSON object or that makes the vendor reach the web or a
 * remote server (`code`, the CLI's refusal shape). Pure; the auth server reads every body through
 * it, a free route's too.
 */
import { type OffBody, offBodyReasons } from './off-body-input.ts';
import type { Vendor } from './price-table.ts';
import { decodedRequestBody } from './request-body.ts';
import { parseBillableBody, reachesOutside } from './request-screen.ts';

export type ScreenedBody = { ok: true; doc: Record<string, unknown>; off: OffBody; bytes: number } | { ok: false; status: 413 | 415; reason: string } | { ok: false; code: string; message: string };

/**
 * Whether a Content-Type says JSON in UTF-8 (or says nothing): a server that parses bodies by their
 * type reads another one (a form, split on `&` and `=`) as fields the budget never saw, and another
 * charset as other characters (form-body-budget.test.ts).
 */
export function jsonContentType(header: string | string[] | undefined): boolean {
  if (header === undefined) return true;
  if (Array.isArray(header) || header.includes(',')) return false;
  const [type, ...params] = header.split(';').map((p) => p.trim().toLowerCase());
  if (!type || !/^application\/(?:[a-z0-9.+-]*\+)?json$/.test(type)) return false;
  return params.every((p) => !p.startsWith('charset=') || /^charset="?utf-8"?$/.test(p));
}

export function screenRequestBody(body: Buffer, encoding: string | string[] | undefined, vendor: Vendor, maxBytes: number, contentType?: string | string[]): ScreenedBody {
  // Read as JSON only when it is sent as JSON: a provider may parse another type its own way.
  if (!jsonContentType(contentType)) return { ok: false, code: 'peers_body_not_json', message: `peers: the request body is sent as ${JSON.stringify(String(contentType).slice(0, 64))}, not as JSON in UTF-8, and a provider may read it as that type (a form's fields) where the budget reads JSON; the request was not sent. Send it as application/json.` };
  // Measured as the vendor reads it: a compressed body decoded (request-body.ts).
  const decoded = decodedRequestBody(body, encoding, maxBytes);
  if (!decoded.ok) return decoded;
  // Read once, strictly: what peers reads must be what the vendor reads (request-screen.ts).
  const parsed = parseBillableBody(decoded.body.toString('utf8'));
  if (!parsed.ok) return parsed;
  // The egress allow-list holds on the vendor's side too (SECURITY.md, "The vendor reaches nothing for a peer").
  const off = offBodyReasons(parsed.doc, vendor);
  const reach = reachesOutside(off);
  if (reach && !reach.ok) return reach;
  return { ok: true, doc: parsed.doc, off, bytes: decoded.body.length };
}
