/**
 * What a vendor said about a limit, and when it lifts, read from what a peer's CLI printed. (The
 * auth sidecar reads the same from the vendor's HTTP reply itself: auth-proxy/usage/limit-reply.ts;
 * in the pod that record is the authority, this one the fallback for runs outside the pod.)
 *
 *  - usage: a subscription's usage limit (Claude's 5-hour / weekly window, Codex's ChatGPT plan
 *    window). It lifts at a known time: the peer sleeps until then while the others work.
 *  - quota: credit or billing exhausted (an API key out of credit). It does not lift by waiting:
 *    the peer halts for the operator, as before.
 *  - rate: an ordinary per-minute rate limit, retried by the CLIs themselves.
 *
 * Pure: the same text and clock always give the same answer.
 */
import { isEchoedContent } from './halt-patterns.ts';
import { errorBlobs } from './structured-events.ts';

export type LimitKind = 'usage' | 'quota' | 'rate';

export type VendorLimit = {
  kind: LimitKind;
  /** When the limit lifts (ms since the epoch), or null when the vendor did not say. */
  resetAtMs: number | null;
  /** Where the reset time came from (a header name, a body field, `codex output`…), for status and logs. */
  source: string;
  /** The vendor's own words, one line, for the cause users read. */
  message: string;
};

const oneLine = (s: string, max = 200) => s.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, max);

const QUOTA_TEXT = /credit balance is too low|insufficient[ _-]?quota|exceeded your current quota|out of (?:usage )?credits|quota[ _-]?exhausted/i;
const USAGE_TEXT = /hit your (?:usage |session |weekly |5-hour |)limit|usage[ _-]?limit(?:[ _-]?(?:reached|exceeded|exhausted)|_reached| has been reached)|usage limit reached/i;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** The offset of `timeZone` from UTC at `atMs`, in ms (0 for an unknown zone). */
function zoneOffsetMs(timeZone: string, atMs: number): number {
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(atMs));
    const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
    const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
    return asUtc - Math.floor(atMs / 1000) * 1000;
  } catch {
    return 0;
  }
}

/** The local offset (this process's zone, which is the CLI's: they run with the same TZ). */
const localOffsetMs = (atMs: number) => -new Date(atMs).getTimezoneOffset() * 60_000;

/**
 * The next time the wall clock in `zone` (this process's when absent) shows hour:minute, at or
 * after `nowMs`; on the given day when `date` is set (then possibly in the past: the caller bounds it).
 */
export function clockTimeMs(hour: number, minute: number, nowMs: number, zone?: string, date?: { year: number; month: number; day: number }): number {
  const offset = (at: number) => (zone ? zoneOffsetMs(zone, at) : localOffsetMs(at));
  const off = offset(nowMs);
  const wallNow = new Date(nowMs + off);
  const y = date?.year ?? wallNow.getUTCFullYear();
  const m = date?.month ?? wallNow.getUTCMonth();
  const d = date?.day ?? wallNow.getUTCDate();
  let at = Date.UTC(y, m, d, hour, minute) - off;
  if (!date && at < nowMs) at += 86_400_000;
  // Across a daylight-saving change the offset at the target differs from the offset now.
  return at + off - offset(at);
}

function to24h(hour: number, ampm: string | undefined): number {
  if (!ampm) return hour;
  const pm = /^p/i.test(ampm);
  return (hour % 12) + (pm ? 12 : 0);
}

/**
 * Codex: "You've hit your usage limit. … or try again at 3:44 AM." (today, local time) or
 * "… try again at Jan 3rd, 2026 3:44 PM." (another day); "Try again in 2 hours 5 minutes".
 */
function codexReset(text: string, nowMs: number): number | null {
  const at = /try again at (?:([A-Za-z]{3})[a-z]* (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})? ?)?(\d{1,2}):(\d{2}) ?([AaPp][Mm])?/i.exec(text);
  if (at) {
    const hour = to24h(Number(at[4]), at[6]);
    const minute = Number(at[5]);
    const mon = at[1] ? MONTHS.indexOf(at[1].toLowerCase()) : -1;
    if (mon >= 0) {
      const year = at[3] ? Number(at[3]) : new Date(nowMs).getFullYear();
      return clockTimeMs(hour, minute, nowMs, undefined, { year, month: mon, day: Number(at[2]) });
    }
    return clockTimeMs(hour, minute, nowMs);
  }
  const inMatch = /try again in ((?:\d+\s*(?:days?|hours?|hrs?|minutes?|mins?|seconds?|secs?|[dhms])[\s,]*(?:and\s+)?)+)/i.exec(text);
  if (inMatch) {
    let ms = 0;
    for (const [, n, unit] of inMatch[1]!.matchAll(/(\d+)\s*(days?|hours?|hrs?|minutes?|mins?|seconds?|secs?|[dhms])/gi)) {
      const u = unit!.toLowerCase()[0];
      ms += Number(n) * (u === 'd' ? 86_400_000 : u === 'h' ? 3_600_000 : u === 'm' ? 60_000 : 1000);
    }
    return ms > 0 ? nowMs + ms : null;
  }
  return null;
}

/**
 * Claude Code: "Claude AI usage limit reached|1735689600" (epoch seconds), or
 * "You've hit your limit · resets 3pm (Europe/Berlin)" / "resets 3:30pm".
 */
function claudeReset(text: string, nowMs: number): number | null {
  const epoch = /usage limit reached\|(\d{10})\b/i.exec(text);
  if (epoch) return Number(epoch[1]) * 1000;
  const at = /resets (?:at )?(\d{1,2})(?::(\d{2}))? ?([ap]m)?(?: \(([A-Za-z_]+(?:\/[A-Za-z_+-]+)*)\))?/i.exec(text);
  if (!at || (!at[3] && !at[2])) return null;
  return clockTimeMs(to24h(Number(at[1]), at[3]), Number(at[2] ?? 0), nowMs, at[4]);
}

/**
 * The texts a limit may be read from: the CLI's status events for the known CLIs (never assistant
 * text or tool output, so a peer cannot put itself or the run to sleep by printing a phrase), and
 * stderr lines that are not echoed repository content.
 */
function statusTexts(tool: string, stdout: string, stderr: string): string[] {
  const own = (text: string) => text.split(/\r?\n/).filter((l) => l.trim() && !isEchoedContent(l));
  const known = tool === 'claude' || tool === 'codex' || tool === 'opencode';
  return [...(known ? errorBlobs(tool, stdout).map((b) => b.text) : own(stdout)), ...own(stderr)];
}

/** A limit the CLI's own output reports, or null. Rate limits are left to the CLI (and the loop's classifier). */
export function limitFromOutput(tool: string, stdout: string, stderr: string, nowMs: number): VendorLimit | null {
  const texts = statusTexts(tool, stdout, stderr);
  const quota = texts.find((t) => QUOTA_TEXT.test(t));
  if (quota !== undefined) return { kind: 'quota', resetAtMs: null, source: `${tool} output`, message: oneLine(quota) };
  const usage = texts.find((t) => USAGE_TEXT.test(t));
  if (usage === undefined) return null;
  const reset = codexReset(usage, nowMs) ?? claudeReset(usage, nowMs);
  return { kind: 'usage', resetAtMs: reset, source: reset === null ? `${tool} output (no reset time)` : `${tool} output`, message: oneLine(usage) };
}
