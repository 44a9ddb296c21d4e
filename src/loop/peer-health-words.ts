/**
 * A peer's health in words, for `peers status`, the report, `peers up` and HALTED.md: the state's
 * reason without the loop's internal labels, and the outcome of the peer's last turn. The
 * classification a turn was recorded with says how its process ended (`success` = exit 0), not
 * whether the turn worked: a peer that exited 0 without handing off failed its turn, and was shown
 * as "last success" beside that very failure. Pure: from the saved health (state.json) only, so
 * states written before these words read the same way.
 */
import { AUTH_TEXT } from '../peer-output/auth-refusal.ts';
import type { PeerHealth } from '../state/state-schema.ts';

/** What the loop stores in a degraded peer's reason (src/loop/peer-health.ts). */
const RECENT_FAILS = /^recent-fails:([\d.]+)\/(\d+)(?: \| last=.*)?$/s;
/** Labels of where a halt was read (src/loop/classify.ts); the words after them are the CLI's. */
const HALT_LABEL = /^(?:structured|halted|halt-pattern): */;
/** The stream-json result event's subtype, which says `success` even on an error result. */
const SUBTYPE = /^(?:success|error_during_execution|error_max_turns) +/;

/** The CLI's own words from a halt reason, without the loop's label or the event's subtype. */
function saidByCli(reason: string): string {
  return reason.replace(HALT_LABEL, '').replace(SUBTYPE, '').trim();
}

/**
 * The reason a peer is not healthy, in plain words; an authentication failure says so and what to
 * check. `resume`: the command that continues the run (`peers up`), named with `--reset-peer`
 * unless the caller says that itself.
 */
export function healthReasonWords(peer: string, rawReason: string, resume?: string): string {
  // One line wherever it is quoted (`peers up`'s "the run has finished: …", its notes, status):
  // the reason can hold a CLI's words, and a line break in them printed a line of the peer's making.
  const reason = rawReason.replace(/[\s\u0085]+/g, ' ').trim();
  const fails = RECENT_FAILS.exec(reason);
  if (fails) return `${fails[1]} of its last ${fails[2]} turns failed`;
  const pattern = reason.startsWith('halt-pattern:');
  const said = saidByCli(reason).slice(0, 160);
  const quoted = said ? (pattern ? ` (its output matched ${said})` : ` ("${said}")`) : '';
  if (AUTH_TEXT.test(reason)) return `authentication failed${quoted}: check ${peer}'s API key or CLI login${resume ? `, then \`${resume} --reset-peer ${peer}\`` : ''}`;
  if (HALT_LABEL.test(reason)) return pattern ? `halted: its output matched ${said}` : `its CLI reported: "${said}"`;
  if (reason.startsWith('anti-cheating-reverts:')) return `${reason.slice('anti-cheating-reverts:'.length)} test-only handoffs in a row were reverted`;
  return reason;
}

/**
 * How the peer's last turn went: `handed off`, `failed (<why>)`, or a neutral wait (rate- or
 * usage-limited); `-` before its first turn. From the last turn's credit (recent_runs: 1 handed
 * off or neutral, 0.5 commits without a clean handoff, 0 failed) and its classification.
 */
export function lastTurnWords(h: Pick<PeerHealth, 'turns' | 'recent_runs' | 'last_classification'>): string {
  const c = h.last_classification;
  if (!h.turns || c === null) return '-';
  if (c === 'rate-limited' || c === 'usage-limited' || c === 'vendor-unreachable') return c;
  const credit = h.recent_runs.at(-1);
  if (credit === 1) return c === 'success' ? 'handed off' : `not counted (${c})`;
  if (credit === 0.5) return 'failed (commits, but no clean handoff)';
  return `failed (${c === 'success' ? 'exited 0 without a handoff' : c})`;
}

/** The peer's health line of `peers status`, without the leading indent. */
export function peerHealthLine(peer: string, h: Pick<PeerHealth, 'state' | 'reason' | 'turns' | 'successes' | 'recent_runs' | 'last_classification' | 'tokens' | 'usd'>, extra = ''): string {
  const reason = h.reason ? ` (${healthReasonWords(peer, h.reason, 'peers up')})` : '';
  return `${peer}: ${h.state}${reason}${extra}, ${h.successes}/${h.turns} turns handed off, last turn ${lastTurnWords(h)}, ${h.tokens} tokens, $${h.usd.toFixed(4)}`;
}
