/**
 * Structured status events of the known CLIs: claude stream-json `result` with
 * `is_error: true`, codex `error` / `turn.failed`, opencode `error`. Only these status events are
 * read (never assistant text or tool output), so this channel is immune to echoed content. An error
 * naming auth/quota vocabulary is a halt; rate-limit/overload vocabulary is transient. An error the
 * auth sidecar marked `peers_vendor_unreachable` (the egress proxy could not resolve or connect to
 * the vendor's host: auth-proxy/egress-connector.ts) is a network failure, not a rate limit,
 * although its status (502) is one the vendor uses for an overload too.
 */
import { VENDOR_UNREACHABLE } from './vendor-unreachable-code.ts';
import { jsonObjectLines } from './json-lines.ts';
export type StructuredStatus = { kind: 'halt' | 'transient' | 'network'; label: string; snippet: string; /** kind network: the vendor host that could not be reached. */ host?: string };

/** The sidecar's words for a vendor it cannot reach (auth-proxy/egress-connector.ts, VendorUnreachable): `cannot reach HOST (peers_vendor_unreachable): …`. */
const UNREACHABLE_HEAD = String.raw`cannot reach ([a-z0-9.-]{1,253}) \(${VENDOR_UNREACHABLE}\)`;
// Up to its end (`… between this machine and HOST`), not the CLI's words after it.
const UNREACHABLE = new RegExp(String.raw`${UNREACHABLE_HEAD}: (?:[^\n]{0,300}? between this machine and \1|[^\n]{0,300})`, 'i');

/** The host a vendor-unreachable snippet (the sidecar's words) names, lower case; undefined when it names none. */
export function unreachableHostIn(snippet: string): string | undefined {
  return new RegExp(UNREACHABLE_HEAD, 'i').exec(snippet)?.[1]?.toLowerCase();
}

/** The sidecar's words as a person reads them: without the code the loop reads them by. */
export function withoutUnreachableCode(snippet: string): string {
  return snippet.replace(` (${VENDOR_UNREACHABLE})`, '');
}

// `401 Unauthorized` / `Incorrect API key provided` is how codex reports a rejected credential
// (seen from codex 0.169 against a 401): without them a dead key would be retried forever.
const HALT_VOCAB =
  /\b401 unauthorized\b|incorrect api key|quota[ _-]?exhausted|hit your usage limit|usage[ _-]?limit[ _-]?(?:reached|exceeded|exhausted)|authentication[ _-]?(?:failed|error)|(?:invalid|missing|expired)[ _-]?(?:x-)?api[ _-]?key|not[ _-]?(?:logged|signed)[ _-]?in|(?:please )?run \/login/i;
const TRANSIENT_VOCAB =
  /rate[ _-]?limit|overloaded|temporarily (?:limiting|unavailable)|too many requests|service unavailable|bad gateway|gateway time-?out|try again (?:later|in|soon)/i;
const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504, 529]);

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** Error texts (and an optional HTTP status) the CLI reported through its status channel. */
export function errorBlobs(tool: string, stdout: string): Array<{ text: string; status?: number }> {
  const events = jsonObjectLines(stdout);
  if (tool === 'claude') {
    const results = events.filter((e) => e.type === 'result');
    const last = results[results.length - 1];
    if (!last || last.is_error !== true) return [];
    // The subtype says `success` even on an error result (the CLI ran to its end): not a word to show.
    const text = ['subtype', 'result', 'error', 'message'].map((k) => (k === 'subtype' && last[k] === 'success' ? '' : str(last[k]))).filter(Boolean).join(' ');
    const status = typeof last.api_error_status === 'number' ? last.api_error_status : undefined;
    return [{ text, status }];
  }
  if (tool === 'codex') {
    return events.flatMap((e) => {
      if (e.type === 'error' && typeof e.message === 'string') return [{ text: e.message }];
      if (e.type === 'turn.failed' && e.error && typeof e.error === 'object') return [{ text: str((e.error as Record<string, unknown>).message) }];
      return [];
    });
  }
  if (tool === 'opencode') {
    return events.flatMap((e) => {
      if (e.type !== 'error' || !e.error || typeof e.error !== 'object') return [];
      const err = e.error as Record<string, unknown>;
      const data = err.data;
      const msg = typeof data === 'string' ? data : data && typeof data === 'object' ? str((data as Record<string, unknown>).message) : '';
      const code = data && typeof data === 'object' ? (data as Record<string, unknown>).statusCode : undefined;
      return [{ text: [str(err.name), msg].filter(Boolean).join(' '), status: typeof code === 'number' ? code : undefined }];
    });
  }
  return [];
}

export function structuredStatus(tool: string, stdout: string): StructuredStatus | null {
  const blobs = errorBlobs(tool, stdout);
  for (const b of blobs) {
    const m = HALT_VOCAB.exec(b.text);
    if (m) return { kind: 'halt', label: `structured:${tool}:${m[0].toLowerCase().replace(/[\s_-]+/g, '-')}`, snippet: b.text.slice(0, 200) };
    // A rejected credential is final whatever the wording: retrying a 401/403 only burns turns.
    if (b.status === 401 || b.status === 403) return { kind: 'halt', label: `structured:${tool}:http-${b.status}`, snippet: b.text.slice(0, 200) };
  }
  for (const b of blobs) {
    const m = UNREACHABLE.exec(b.text);
    if (m) return { kind: 'network', label: `network:${tool}:vendor-unreachable`, snippet: m[0].slice(0, 200), host: m[1]!.toLowerCase() };
  }
  for (const b of blobs) {
    if ((b.status !== undefined && TRANSIENT_STATUS.has(b.status)) || TRANSIENT_VOCAB.test(b.text)) {
      return { kind: 'transient', label: `transient:${tool}:rate-limited`, snippet: b.text.slice(0, 200) };
    }
  }
  return null;
}
