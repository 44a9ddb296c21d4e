/**
 * What a vendor's 429 says about the limit it hit and when it lifts, read from the reply the
 * sidecar relays (headers and the small JSON error body). The sidecar records the result in the
 * usage ledger (a `limited` line); the loop puts the peer whose turn it was to sleep until then
 * (src/loop/peer-sleep.ts). Pure: the same reply and clock always give the same answer.
 *
 * What each vendor sends:
 *  - Anthropic, subscription (OAuth): `anthropic-ratelimit-unified-status: rejected` and
 *    `anthropic-ratelimit-unified-reset` (epoch seconds) → usage limit until then.
 *  - Anthropic, API key: `retry-after` (seconds), `anthropic-ratelimit-{requests,tokens,…}-reset`
 *    (RFC 3339) → rate limit.
 *  - Codex on a ChatGPT plan: body `error.type = usage_limit_reached` with `resets_at` (epoch
 *    seconds) or `resets_in_seconds`; headers `x-codex-{primary,secondary}-reset-after-seconds`.
 *  - OpenAI API: `insufficient_quota` → quota (credit gone: waiting does not help);
 *    `x-ratelimit-reset-{requests,tokens}` (`6m0s`, `20ms`) → rate limit.
 */
import type { VendorLimit } from '../../src/peer-output/vendor-limit.ts';

export type ReplyFacts = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

const header = (h: ReplyFacts['headers'], name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/** `retry-after`: delay seconds, or an HTTP date. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return nowMs + Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : null;
}

/** OpenAI's reset durations: `1s`, `6m0s`, `20ms`, `1h2m3.5s`. */
export function parseGoDuration(value: string | undefined): number | null {
  if (!value || !/^(?:\d+(?:\.\d+)?(?:h|ms|m|s))+$/.test(value.trim())) return null;
  let ms = 0;
  for (const [, n, unit] of value.trim().matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) ms += Number(n) * (unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : unit === 's' ? 1000 : 1);
  return Math.round(ms);
}

const epochSeconds = (v: unknown): number | null => {
  const n = typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) && n > 1e9 && n < 1e11 ? Math.round(n * 1000) : null;
};

type ErrorBody = { type?: unknown; code?: unknown; message?: unknown; resets_at?: unknown; resets_in_seconds?: unknown };

function errorOf(body: string): ErrorBody | null {
  try {
    const doc = JSON.parse(body) as { error?: unknown };
    return doc && typeof doc === 'object' && doc.error && typeof doc.error === 'object' ? (doc.error as ErrorBody) : null;
  } catch {
    return null;
  }
}

const text = (v: unknown) => (typeof v === 'string' ? v.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 200) : '');

/** The latest of the reset times a vendor sent as RFC 3339 in `names`. */
function latestRfc3339(h: ReplyFacts['headers'], names: string[]): { at: number; name: string } | null {
  let best: { at: number; name: string } | null = null;
  for (const name of names) {
    const t = Date.parse(header(h, name) ?? '');
    if (Number.isFinite(t) && (!best || t > best.at)) best = { at: t, name };
  }
  return best;
}

/** The limit a vendor's reply reports, or null when it is not a limit (anything but 429). */
export function limitFromReply(r: ReplyFacts, nowMs: number): VendorLimit | null {
  if (r.status !== 429) return null;
  const h = r.headers;
  const err = errorOf(r.body);
  const message = text(err?.message) || `HTTP 429`;
  const type = `${text(err?.type)} ${text(err?.code)}`;
  const retryAfter = parseRetryAfter(header(h, 'retry-after'), nowMs);

  if (/insufficient_quota/.test(type)) return { kind: 'quota', resetAtMs: null, source: 'error insufficient_quota', message };

  if (header(h, 'anthropic-ratelimit-unified-status') === 'rejected') {
    const reset = epochSeconds(header(h, 'anthropic-ratelimit-unified-reset'));
    if (reset !== null) return { kind: 'usage', resetAtMs: reset, source: 'anthropic-ratelimit-unified-reset', message };
    return { kind: 'usage', resetAtMs: retryAfter, source: retryAfter !== null ? 'retry-after' : 'anthropic-ratelimit-unified-status (no reset)', message };
  }

  const codexReached = header(h, 'x-codex-rate-limit-reached-type');
  if (/usage_limit_reached/.test(type) || codexReached) {
    const atBody = epochSeconds(err?.resets_at);
    if (atBody !== null) return { kind: 'usage', resetAtMs: atBody, source: 'error.resets_at', message };
    if (typeof err?.resets_in_seconds === 'number' && err.resets_in_seconds >= 0) return { kind: 'usage', resetAtMs: nowMs + Math.round(err.resets_in_seconds * 1000), source: 'error.resets_in_seconds', message };
    // The window that ran out is the one at (or past) 100%; the later reset when both are.
    let best: { at: number; name: string } | null = null;
    for (const w of ['primary', 'secondary']) {
      if (Number(header(h, `x-codex-${w}-used-percent`) ?? 0) < 100) continue;
      const after = Number(header(h, `x-codex-${w}-reset-after-seconds`));
      if (Number.isFinite(after) && after >= 0 && (!best || nowMs + after * 1000 > best.at)) best = { at: nowMs + after * 1000, name: `x-codex-${w}-reset-after-seconds` };
    }
    if (best) return { kind: 'usage', resetAtMs: best.at, source: best.name, message };
    return { kind: 'usage', resetAtMs: retryAfter, source: retryAfter !== null ? 'retry-after' : `${codexReached ? 'x-codex-rate-limit-reached-type' : 'usage_limit_reached'} (no reset)`, message };
  }

  if (/usage limit|hit your (?:usage )?limit/i.test(message)) return { kind: 'usage', resetAtMs: retryAfter, source: retryAfter !== null ? 'retry-after' : 'error message (no reset)', message };

  // An ordinary rate limit: the CLIs retry it themselves.
  if (retryAfter !== null) return { kind: 'rate', resetAtMs: retryAfter, source: 'retry-after', message };
  const anthropic = latestRfc3339(h, ['anthropic-ratelimit-requests-reset', 'anthropic-ratelimit-tokens-reset', 'anthropic-ratelimit-input-tokens-reset', 'anthropic-ratelimit-output-tokens-reset']);
  if (anthropic) return { kind: 'rate', resetAtMs: anthropic.at, source: anthropic.name, message };
  let openai: { at: number; name: string } | null = null;
  for (const name of ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']) {
    const ms = parseGoDuration(header(h, name));
    if (ms !== null && (!openai || nowMs + ms > openai.at)) openai = { at: nowMs + ms, name };
  }
  if (openai) return { kind: 'rate', resetAtMs: openai.at, source: openai.name, message };
  return { kind: 'rate', resetAtMs: null, source: 'HTTP 429 (no reset)', message };
}
