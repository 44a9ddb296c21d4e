/**
 * The head of one request to the sidecar, parsed (for client-http.ts). Its own file because the
 * rule is the sidecar's answer to request smuggling (SECURITY.md, "Credential sidecar": request
 * framing is never guessed): every client is an adversary, so a head two parsers could read two
 * ways (both Content-Length and Transfer-Encoding, differing lengths, a coding other than chunked,
 * folded or malformed header lines, a target with anything but visible ASCII) is refused, never
 * guessed at. Pure: tested on strings, without a socket.
 */

/** An HTTP token (a method, a header name): the reply writer drops header names that are not one too (client-response.ts). */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export type ClientHeaders = Record<string, string | string[]>;

type Head = { method: string; url: string; version: string; headers: ClientHeaders; framing: { chunked: true } | { length: number } };

/** Parses a request head; a string is the reason it is refused (400), never a partial guess. */
export function parseRequestHead(text: string): Head | string {
  const lines = text.split('\r\n');
  // The target is visible ASCII only, as node:http required: it reaches the request log and the vendor's request line.
  const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) (HTTP\/1\.[01])$/.exec(lines[0] ?? '');
  if (!m) return 'malformed request line';
  const headers: ClientHeaders = {};
  const lengths: string[] = [];
  const codings: string[] = [];
  for (const line of lines.slice(1)) {
    const c = line.indexOf(':');
    if (c <= 0) return 'malformed header line';
    const name = line.slice(0, c);
    if (!TOKEN.test(name)) return 'malformed header name';
    const value = line.slice(c + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!FIELD_VALUE.test(value)) return 'malformed header value';
    const k = name.toLowerCase();
    if (k === 'content-length') lengths.push(value);
    if (k === 'transfer-encoding') codings.push(...value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean));
    const prev = headers[k];
    if (prev === undefined) headers[k] = k === 'set-cookie' ? [value] : value;
    else if (Array.isArray(prev)) prev.push(value);
    else headers[k] = `${prev}${k === 'cookie' ? '; ' : ', '}${value}`;
  }
  if (codings.length > 0) {
    if (lengths.length > 0) return 'both Content-Length and Transfer-Encoding';
    if (codings.length !== 1 || codings[0] !== 'chunked') return 'unsupported Transfer-Encoding';
    return { method: m[1]!, url: m[2]!, version: m[3]!, headers, framing: { chunked: true } };
  }
  if (lengths.some((l) => !/^\d{1,15}$/.test(l)) || new Set(lengths).size > 1) return 'invalid Content-Length';
  return { method: m[1]!, url: m[2]!, version: m[3]!, headers, framing: { length: lengths.length ? Number(lengths[0]) : 0 } };
}
