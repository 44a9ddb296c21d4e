/**
 * A request body as the vendor reads it (decoded, parsed strictly) and what in it reaches outside
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

export function screenRequestBody(body: Buffer, encoding: string | string[] | undefined, vendor: Vendor, maxBytes: number): ScreenedBody {
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
