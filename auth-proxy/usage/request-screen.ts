/**
 * Whether a billable request's body can be reserved soundly at all, before the reservation is
 * computed from it (SECURITY.md, "A request goes out only if the budget left covers it"). Each
 * refusal names a cause a peer could use to be billed beyond what the body shows:
 *
 * - always (the meter's integrity, cap or not): a body that is not one JSON object as JSON.parse
 *   reads it (a vendor's more lenient parser, e.g. one accepting `NaN`, would read fields the
 *   budget never saw, `background` among them), and an object with a key given twice (the
 *   vendor's parser may keep the other value), keys compared case-folded, and a top-level key
 *   that is not lower-case (a case-insensitive parser reads `"N"` as `n`);
 * - always (the sandbox's allow-list, cap or not): a request that makes the vendor reach the web or
 *   a remote server for the peer (server-side tools, remote MCP servers, files and images by URL,
 *   a router's web plugins): what the egress proxy refuses a peer must not get through the vendor;
 * - under a cap (tokens or USD): input the body does not carry, or more than one sampling pass
 *   (off-body-input.ts), and an output cap (`max_tokens` / `max_output_tokens`) given in a form the
 *   budget does not read as a positive integer (a lax vendor parser reading `"1000000"` would
 *   serve past the 128k the reservation assumed), and `n` / `best_of` (or another spelling, anywhere in the body) other than 1 (several
 *   replies billed against one reservation, where a compatible provider honours them), and an
 *   inline image whose size cannot be read (it is billed by its pixels: image-input.ts).
 *
 * Pure: the auth server answers a refusal in the CLI's budget refusal shape (limit-reply.ts) and
 * forwards nothing.
 */
import { imageInput } from './image-input.ts';
import { duplicateJsonKey, foldKey } from './json-duplicate-key.ts';
import { offBodyReasons, type OffBody, walkRequestObjects } from './off-body-input.ts';
import type { Vendor } from './price-table.ts';
import { outputBudgetFields } from './output-budget-fields.ts';
import { OUTPUT_CAP_FIELD } from './request-cost.ts';
import { OUTPUT_CAP_FIELDS } from './output-budget-fields.ts';

export type Screened = { ok: true; doc: Record<string, unknown> } | { ok: false; code: string; message: string };

const refuse = (code: string, why: string): Screened => ({ ok: false, code, message: `peers: ${why}; the request was not sent.` });

/** The parsed body, or why it is not forwarded. */
export function parseBillableBody(text: string): Screened {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return refuse('peers_body_not_json', 'the request body is not JSON as the budget reads it (RFC 8259), so what it asks the vendor for cannot be measured');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return refuse('peers_body_not_json', 'the request body is not a JSON object');
  const dup = duplicateJsonKey(text);
  if (dup !== null) return refuse('peers_duplicate_json_key', `the request body gives the key ${JSON.stringify(dup.slice(0, 64))} twice in one object (keys equal but for case are one key to a case-insensitive parser), and the vendor may read the other value than the budget did`);
  // Every API field is lower-case: a top-level key in another case is one the budget does not read
  // and a case-insensitive parser (Go's encoding/json) reads as the field (`"N": 4`, `"Background": true`).
  const cased = Object.keys(v).find((k) => k !== foldKey(k));
  if (cased !== undefined) return refuse('peers_key_case', `the request body's key ${JSON.stringify(cased.slice(0, 64))} is not lower-case like every API field, and a provider that reads keys without regard to case would read it as ${JSON.stringify(foldKey(cased).slice(0, 64))}, which the budget did not`);
  return { ok: true, doc: v as Record<string, unknown> };
}

/**
 * Under a cap: why the body is no sound bound on what the request can be billed, or null. `off` is
 * the walk reachesOutside already made of the same body (off-body-input.ts), and `unreadableImage`
 * what the request's facts found of its images (request-cost.ts): neither walk is made again.
 */
export function unboundedUnderCap(doc: Record<string, unknown>, vendor: Vendor, off: OffBody = offBodyReasons(doc, vendor), unreadableImage: string | null = imageInput(doc, vendor, []).unreadable): Screened | null {
  // Every spelling a provider may read (request-cost.ts): the reservation takes the largest.
  for (const field of OUTPUT_CAP_FIELDS) {
    const cap = doc[field];
    if (cap === undefined || (cap === null && (vendor === 'openai' || field !== OUTPUT_CAP_FIELD[vendor]))) continue;
    if (!(typeof cap === 'number' && Number.isInteger(cap) && cap > 0)) {
      return refuse('peers_output_cap_unreadable', `"${field}" is ${JSON.stringify(cap)?.slice(0, 64)}, not a positive integer, so the most the reply can be billed is unknown and the run's budget could be passed`);
    }
  }
  // A thinking budget a lax parser coerces ("100000") bounds the reply for it, not for the budget (output-budget-fields.ts).
  const budget = outputBudgetFields(doc).unreadable;
  if (budget !== null) return refuse('peers_output_cap_unreadable', `${budget} is a budget for the reply's tokens that is not a positive integer, so the most the reply can be billed is unknown and the run's budget could be passed`);
  // Neither API samples more than once per request; a compatible provider that honours `n` or
  // `best_of` (or a gateway merging `extra_body` into what it sends on) would bill that many
  // replies against one reservation (nested-samples-budget.test.ts).
  const samples = multipleSamples(doc);
  if (samples !== null) return refuse('peers_multiple_samples', `"${samples}" asks for more than one reply (or attempt, which a gateway bills each of) per request, which one reservation does not cover`);
  // An image is billed by its pixels: one whose size cannot be read bounds nothing (image-input.ts).
  if (unreadableImage) return refuse('peers_image_unreadable', `${unreadableImage}, so what it is billed as input is unknown and the run's budget could be passed`);
  const why = off.unbounded ?? off.reach;
  if (why) return refuse('peers_unbounded_input', `${why}, so the most this request can be billed is not bounded by its body and the run's budget (budget.max_usd / budget.max_tokens) could be passed. Under a budget cap peers forwards only requests that carry all their input (no server-side tools, stored conversations, files by id or URL)`);
  return null;
}

/** Spellings of "how many replies" (case-folded, `_` and `-` removed): OpenAI's, Hugging Face's, Gemini's. */
const SAMPLE_KEYS = new Set(['n', 'bestof', 'numreturnsequences', 'candidatecount', 'numcompletions']);
/**
 * Spellings of "send it again" a gateway reads from the body (LiteLLM's `num_retries` and
 * `max_retries`, a `retry` policy): a retried attempt the gateway gave up on (its `timeout`) was
 * still generated and billed by the backend, and the sidecar sees only the last
 * (gateway-retry-budget.test.ts). Any value but 0 asks for more than one.
 */
const RETRY_KEYS = new Set(['numretries', 'maxretries', 'retries', 'retry', 'retrycount', 'maxattempts', 'attempts']);

/** The first key anywhere in the body's settings asking for a number of replies (or attempts) other than 1, or null. */
export function multipleSamples(doc: Record<string, unknown>): string | null {
  let found: string | null = null;
  walkRequestObjects(doc, (v) => {
    for (const [key, value] of Object.entries(v)) {
      if (value === undefined || value === null || value === false) continue;
      const n = foldKey(key).replace(/[_-]/g, '');
      if (RETRY_KEYS.has(n) ? value === 0 : value === 1 || !SAMPLE_KEYS.has(n)) continue;
      found = key;
      return 'stop';
    }
    return undefined;
  });
  return found;
}

/** Always, cap or not: why the vendor would reach the web or a remote server for the peer, or null. */
export function reachesOutside(off: OffBody): Screened | null {
  const why = off.reach;
  if (!why) return null;
  return refuse('peers_vendor_reach', `${why}. The vendor would reach the web or a remote server for this request, outside the run's egress allow-list, so peers does not forward it; a peer reaches only the hosts in egress.allow, through the egress proxy (e.g. a client-side fetch)`);
}
