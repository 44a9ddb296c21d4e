/**
 * How a peer turn ended, from what supervision saw plus the output scans:
 * success | process-fail | idle-timeout | absolute-timeout | api-error | rate-limited | usage-limited
 * | vendor-unreachable.
 * Precedence: a structured halt event overrides everything; then a halt pattern (echo-immune); then
 * the sidecar saying the vendor's host cannot be reached (vendor-unreachable: DNS, a proxy, a
 * firewall; not the vendor's own 502, which stays transient); then an error pattern; then timeouts;
 * then a structured transient error; then the exit status.
 * Then the vendor's limit, when one was reported (peer-sleep.ts turnUsageLimit): a usage limit makes
 * a failed turn `usage-limited` (the peer sleeps, it does not halt) unless the credential itself
 * was refused; a quota (credit gone) halts the peer.
 */
import type { SupervisedResult } from '../proc/supervise.ts';
import type { PatternMatch } from '../peer-output/halt-patterns.ts';
import type { StructuredStatus } from '../peer-output/structured-events.ts';
import type { VendorLimit } from '../peer-output/vendor-limit.ts';
import { AUTH_TEXT } from '../peer-output/auth-refusal.ts';

export const CLASSIFICATIONS = ['success', 'process-fail', 'idle-timeout', 'absolute-timeout', 'api-error', 'rate-limited', 'usage-limited', 'vendor-unreachable'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

export type Verdict = {
  classification: Classification;
  /** Set when the peer cannot work until the operator acts (→ unavailable, `peer-unavailable:<peer>`). */
  halt: { reason: string; pattern: string; snippet: string; source: 'in-loop' | 'post-join' | 'structured' } | null;
  matched: { pattern: string; snippet: string; source: string } | null;
};

const RATE_LIMIT_TEXT = /rate.?limit|too many requests|\b429\b/i;

export function classifyTurn(
  r: Pick<SupervisedResult, 'exitCode' | 'endedBy'>,
  scan: { live: PatternMatch | null; post: PatternMatch | null },
  structured: StructuredStatus | null,
  limit: VendorLimit | null = null,
): Verdict {
  const v = classifyOutput(r, scan, structured);
  if (!limit || v.classification === 'success') return v;
  // A refused credential is the operator's to fix, whatever limit was also mentioned.
  if (v.halt && AUTH_TEXT.test(`${v.halt.snippet} ${v.halt.reason}`)) return v;
  const matched = { pattern: `vendor-limit:${limit.kind}`, snippet: limit.message.slice(0, 200), source: limit.source };
  if (limit.kind === 'quota') {
    return v.halt ? v : { classification: 'api-error', halt: { reason: `quota: ${limit.message.slice(0, 120)}`, pattern: matched.pattern, snippet: matched.snippet, source: 'structured' }, matched };
  }
  if (limit.kind === 'usage') return { classification: 'usage-limited', halt: null, matched };
  return v;
}

function classifyOutput(
  r: Pick<SupervisedResult, 'exitCode' | 'endedBy'>,
  scan: { live: PatternMatch | null; post: PatternMatch | null },
  structured: StructuredStatus | null,
): Verdict {
  if (structured?.kind === 'halt') {
    return {
      classification: 'api-error',
      halt: { reason: `structured: ${structured.snippet.slice(0, 80)}`, pattern: structured.label, snippet: structured.snippet, source: 'structured' },
      matched: { pattern: structured.label, snippet: structured.snippet, source: 'structured' },
    };
  }
  const match = scan.live ?? scan.post;
  if (match?.kind === 'halt') {
    const source = scan.live ? 'in-loop' : 'post-join';
    return {
      classification: 'api-error',
      halt: { reason: `halt-pattern: ${match.pattern.slice(0, 80)}`, pattern: match.pattern, snippet: match.snippet, source },
      matched: { pattern: match.pattern, snippet: match.snippet, source },
    };
  }
  if (structured?.kind === 'network') {
    return { classification: 'vendor-unreachable', halt: null, matched: { pattern: structured.label, snippet: structured.snippet, source: 'structured-network' } };
  }
  if (match) {
    const source = scan.live ? 'in-loop' : 'post-join';
    // An error pattern that speaks of rate limits is the neutral rate-limited case, not a failure.
    const classification = RATE_LIMIT_TEXT.test(match.snippet) ? 'rate-limited' : 'api-error';
    return { classification, halt: null, matched: { pattern: match.pattern, snippet: match.snippet, source } };
  }
  if (r.endedBy === 'idle-timeout') return { classification: 'idle-timeout', halt: null, matched: null };
  if (r.endedBy === 'absolute-timeout') return { classification: 'absolute-timeout', halt: null, matched: null };
  if (structured?.kind === 'transient') {
    return { classification: 'rate-limited', halt: null, matched: { pattern: structured.label, snippet: structured.snippet, source: 'structured-transient' } };
  }
  if (r.endedBy === 'exit' && r.exitCode === 0) return { classification: 'success', halt: null, matched: null };
  return { classification: 'process-fail', halt: null, matched: null };
}
