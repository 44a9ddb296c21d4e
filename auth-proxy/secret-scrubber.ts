/**
 * Removes the secrets the sidecar holds from what an upstream sends back to the workspace: a
 * compatible provider, a front end or an error page may echo the request's `x-api-key` or
 * `Authorization` in a reply header, a `Location` or the body (SECURITY.md, "The real credential
 * never comes back out"). The body is scrubbed as a stream: a secret split across chunks is caught
 * by holding back only the tail of a chunk that could begin one, so an honest stream (which never
 * ends in the first bytes of a key) is written on at once, as it arrives.
 */
import { redact } from './credential-headers.ts';

const REDACTED = Buffer.from('[redacted]');
/** Secrets shorter than this are not scrubbed (the same floor as redact() in credential-headers.ts). */
const MIN_SECRET = 8;

/** Every header value with each secret replaced; a secret in a header name is dropped with the header. */
export function scrubHeaders(headers: Record<string, string | string[]>, secrets: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (redact(k, secrets) !== k) continue;
    out[k] = Array.isArray(v) ? v.map((x) => redact(x, secrets)) : redact(v, secrets);
  }
  return out;
}

/** One reply body's scrubber: push each chunk, write what it returns; end() returns the rest. */
export class SecretScrubber {
  private held: Buffer = Buffer.alloc(0);
  private readonly secrets: Buffer[];

  constructor(secrets: readonly string[]) {
    this.secrets = secrets.filter((s) => s.length >= MIN_SECRET).map((s) => Buffer.from(s, 'utf8'));
  }

  push(chunk: Buffer): Buffer {
    if (this.secrets.length === 0) return chunk;
    const data = replaceAll(this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]), this.secrets);
    const keep = secretPrefixAtEnd(data, this.secrets);
    this.held = keep === 0 ? Buffer.alloc(0) : Buffer.from(data.subarray(data.length - keep));
    return keep === 0 ? data : data.subarray(0, data.length - keep);
  }

  /** The held tail at the end of the body: the start of a secret long enough to matter is redacted too. */
  end(): Buffer {
    const tail = this.held;
    this.held = Buffer.alloc(0);
    return tail.length >= MIN_SECRET ? REDACTED : tail;
  }
}

function replaceAll(data: Buffer, secrets: readonly Buffer[]): Buffer {
  let out = data;
  for (const s of secrets) {
    let at = out.indexOf(s);
    if (at < 0) continue;
    const parts: Buffer[] = [];
    let from = 0;
    while (at >= 0) {
      parts.push(out.subarray(from, at), REDACTED);
      from = at + s.length;
      at = out.indexOf(s, from);
    }
    parts.push(out.subarray(from));
    out = Buffer.concat(parts);
  }
  return out;
}

/** The length of the longest tail of `data` that is the beginning of a secret (0 if none). */
export function secretPrefixAtEnd(data: Buffer, secrets: readonly Buffer[]): number {
  let keep = 0;
  for (const s of secrets) {
    const first = s[0]!;
    for (let at = Math.max(0, data.length - s.length + 1); at < data.length; at++) {
      const k = data.length - at;
      if (k <= keep) break;
      if (data[at] === first && data.subarray(at).equals(s.subarray(0, k))) {
        keep = k;
        break;
      }
    }
  }
  return keep;
}
