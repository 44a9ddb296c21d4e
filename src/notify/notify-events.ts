/**
 * Which notifications a run owes, and what each says: pure functions of the run's log and whether
 * the loop is running. Every event has a stable id (the same event seen by two host processes, or
 * twice by one, has one id), so the store can promise one notification per event. Events older
 * than the moment notifications were armed (`peers up`) belong to earlier runs and are not owed.
 *
 * The payload's shape (schema_version 1) is documented in README.md ("Notifications"). Its
 * `text` and the PEERS_NOTIFY_* variables are built from stop codes, names and numbers only: a
 * peer's own words (a blocked reason, a diagnostic) reach the command only inside the JSON, in
 * `outcome.why`. Both `text` and `why` are defanged for chat services (chat-text.ts: no mention,
 * link, unfurl or image) and bounded; the payload also asks Slack not to unfurl and Discord not to
 * ping (`unfurl_links`, `unfurl_media`, `allowed_mentions`), for services that honour those.
 */
import { parseStopReason } from '../state/stop-reason.ts';
import type { ExitLine, TickLine } from '../state/run-log.ts';
import type { NotifyEvent } from '../config/notify-schema.ts';
import { chatText, MAX_CHAT_LINE } from './chat-text.ts';

export const NOTIFY_PAYLOAD_VERSION = 1;

export type DueEvent = {
  id: string;
  event: NotifyEvent;
  /** The stop reason (`complete`, `budget:max_usd`, …), `killed`, or `rate-limited`. */
  reason: string;
  at: string;
  tick: number;
};

export function eventForStop(reason: string): NotifyEvent {
  const stop = parseStopReason(reason);
  switch (stop.kind) {
    case 'complete':
      return 'complete';
    case 'max_ticks':
      return 'limit';
    case 'budget':
      return stop.cap === 'ledger-unreadable' ? 'needs-operator' : 'limit';
    case 'all-peers-down':
    case 'peer-unavailable':
      return 'halted';
    case 'vendor-unreachable':
    case 'usage-limited':
      // Every peer waits for a usage limit beyond the run's max runtime: the operator decides.
      return 'needs-operator';
    case 'interrupted':
      return 'stopped';
    case 'blocked':
    case 'stuck':
    case 'storage':
    case 'error':
      return 'needs-operator';
  }
}

const after = (ts: string, armedAt: string) => Date.parse(ts) >= Date.parse(armedAt);

/** Every event in the log since `armedAt`, oldest first. */
export function dueEvents(i: { ticks: TickLine[]; exits: ExitLine[]; running: boolean; armedAt: string }): DueEvent[] {
  const out: DueEvent[] = [];
  let prevBackoff = 0;
  for (const t of i.ticks) {
    const backoff = typeof t.backoff_ms === 'number' ? t.backoff_ms : 0;
    // The first rate-limited tick of a streak: the loop starts waiting.
    if (backoff > 0 && prevBackoff === 0 && after(t.ts, i.armedAt)) out.push({ id: `rate-limited:${t.tick}`, event: 'rate-limited', reason: 'rate-limited', at: t.ts, tick: t.tick });
    prevBackoff = backoff;
  }
  for (const e of i.exits) if (after(e.ts, i.armedAt)) out.push({ id: `exit:${e.tick}:${e.ts}`, event: eventForStop(e.reason), reason: e.reason, at: e.ts, tick: e.tick });
  // Not running, and a tick logged after the last stop: the loop died without recording one.
  const last = i.ticks.at(-1);
  const lastExit = i.exits.at(-1);
  if (!i.running && last && after(last.ts, i.armedAt) && (!lastExit || Date.parse(lastExit.ts) < Date.parse(last.ts))) {
    out.push({ id: `killed:${last.tick}:${last.ts}`, event: 'needs-operator', reason: 'killed', at: last.ts, tick: last.tick });
  }
  return out.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

export type PayloadContext = {
  project: { name: string; path: string; state_dir: string };
  run: { tick: number; usd: number; tokens: number; open_gates: string[] };
  /** The report's words for the outcome (src/report/outcome.ts), for stops. */
  why: string[];
  /** For a rate-limited event: which peer, and how long the loop waits. */
  rateLimit?: { peer: string; wait_s: number };
};

const money = (x: number) => `$${x.toFixed(2)}`;

export function summaryText(e: DueEvent, c: PayloadContext): string {
  const name = c.project.name;
  if (e.event === 'rate-limited') return `peers: ${name} is waiting out a rate limit${c.rateLimit ? ` (${c.rateLimit.peer}, ${c.rateLimit.wait_s}s)` : ''} at tick ${e.tick}`;
  const verb = e.event === 'complete' ? 'completed' : e.reason === 'killed' ? 'was killed' : `stopped: ${e.reason}`;
  return `peers: ${name} ${verb} after tick ${e.tick} (${money(c.run.usd)}, ${c.run.tokens} tokens${c.run.open_gates.length ? `, open gates: ${c.run.open_gates.join(', ')}` : ''}) — peers report ${name}`;
}

/** Lines of `why` a notification carries; the rest are counted in one last line (the report has them all). */
export const MAX_WHY_LINES = 10;

function whyLines(why: string[]): string[] {
  const shown = why.slice(0, MAX_WHY_LINES).map((w) => chatText(w));
  return why.length > MAX_WHY_LINES ? [...shown, `… ${why.length - MAX_WHY_LINES} more line(s) in peers report`] : shown;
}

export function buildPayload(e: DueEvent, c: PayloadContext, sentAt: Date) {
  return {
    schema_version: NOTIFY_PAYLOAD_VERSION,
    id: e.id,
    event: e.event,
    project: c.project,
    outcome: { reason: e.reason, at: e.at, tick: e.tick, why: whyLines(c.why), ...(c.rateLimit ? { rate_limit: c.rateLimit } : {}) },
    run: { ...c.run, usd: Math.round(c.run.usd * 10_000) / 10_000 },
    next: e.event === 'rate-limited' ? `peers status ${c.project.name}` : `peers report ${c.project.name}`,
    text: chatText(summaryText(e, c), 2 * MAX_CHAT_LINE),
    sent_at: sentAt.toISOString(),
    // Hints for chat services that read the payload as a message: Slack's not to unfurl, Discord's not to ping.
    unfurl_links: false,
    unfurl_media: false,
    allowed_mentions: { parse: [] as string[] },
  };
}
export type NotifyPayload = ReturnType<typeof buildPayload>;

/** The command's environment additions: codes, names and numbers only. */
export function payloadEnv(p: NotifyPayload): Record<string, string> {
  return { PEERS_NOTIFY_EVENT: p.event, PEERS_NOTIFY_PROJECT: p.project.name, PEERS_NOTIFY_OUTCOME: p.outcome.reason, PEERS_NOTIFY_TEXT: p.text, PEERS_NOTIFY_ID: p.id };
}
