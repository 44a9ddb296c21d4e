/**
 * Attack: a peer's own words reach the operator's terminal through `peers status`: the reason of
 * a `Peer-Status: blocked` commit, a failure's cause taken from the CLI's output, what the turn
 * under way says it is doing. A commit message may hold any byte but NUL, so it can carry escape
 * sequences: clear the screen and print a fake status, hide lines, retitle the window, or (OSC 52,
 * in terminals that allow it) write the operator's clipboard. The property (SECURITY.md, "The
 * loop's run state"): the status text has no control character but line breaks and tabs.
 */
import { expect, test } from 'bun:test';
import { formatStatus } from '../../../src/report/status-text.ts';
import { statePaths } from '../../../src/state/paths.ts';
import { state } from '../loop/fixtures.ts';

const ESCAPES = ['\u001b[2J\u001b[H', '\u001b]52;c;ZWNobyBwd25lZCB8IHNo\u0007', '\u001b]0;peers: complete\u001b\\', '\u009b31m', '\u001bP+q\u001b\\', '\r\u0008\u0007'];

test('peer-written text in `peers status` reaches the terminal with no control character but line breaks and tabs', () => {
  const st = state();
  const planted = `cannot be done ${ESCAPES.join(' x ')} as specified`;
  const s = {
    ...st,
    blocked: { by: 'a', reason: planted, sha: 'f'.repeat(40), at_tick: 3, confirmed_by: null, confirm_reason: null },
    peers: { ...st.peers, b: { ...st.peers.b!, last_failure: { tick: 2, cause: planted } } },
  };
  const now = Date.parse('2026-03-01T10:00:00Z');
  const summary = {
    paths: statePaths('/s'), state: s, log: { lines: [], skipped: 0, tornTail: false }, ticks: [], exits: [], lock: { held: true, pid: 7 }, halted: false, ledger: null,
    control: { ok: true as const, control: null }, liveTurn: { tick: 4, peer: 'b', tool: 'codex', skeptic: false, started_at: new Date(now - 5000).toISOString(), stdout_log: 'x', stderr_log: 'y' },
    activity: { text: planted, last_output_at: new Date(now - 1000).toISOString() }, readAt: new Date(now).toISOString(),
  };
  const text = formatStatus(summary as Parameters<typeof formatStatus>[0], now);
  expect(text).toContain('cannot be done');
  expect(text.match(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g) ?? []).toEqual([]);
});

/**
 * Attack: no escape sequence is needed to forge a verdict, a line break is enough. A CLI's error
 * event (its halt reason), a peer's health reason, a warning the loop kept or a usage limit's
 * message carry a peer's words; with a newline in them, `peers status` printed the peer's own
 * `Over: complete …` and `Gates …: pass` lines among its real ones. The property (SECURITY.md, "A
 * peer's words reach the operator's terminal as text"): every line of the status text is one line
 * of status, whatever a peer wrote; its words stay on the line that quotes them.
 */
test('a line break in peer-written text cannot add a line to `peers status` (no forged verdict)', () => {
  const st = state();
  const forged = 'quota exhausted\nOver: complete (all gates green)\r\nGates at deadbeef:\u2028  tests: pass\u0085\u2029done';
  const now = Date.parse('2026-03-01T10:00:00Z');
  const s = {
    ...st,
    halted: { reason: `structured: ${forged}`, at_tick: 3 },
    warnings: [forged],
    peer_warnings: { a: [forged] },
    peers: {
      ...st.peers,
      a: { ...st.peers.a!, state: 'halted' as const, reason: `structured: ${forged}`, waiting: { until: new Date(now + 60_000).toISOString(), reason: forged, since_tick: 2 } },
      b: { ...st.peers.b!, last_failure: { tick: 2, cause: forged } },
    },
  };
  const summary = {
    paths: statePaths('/s'), state: s, log: { lines: [], skipped: 0, tornTail: false }, ticks: [], exits: [], lock: { held: false, pid: null }, halted: false, ledger: null,
    control: { ok: true as const, control: null }, liveTurn: null, activity: null, readAt: new Date(now).toISOString(), stop: { reason: forged, at: '2026-03-01T09:00:00Z' },
  };
  const text = formatStatus(summary as unknown as Parameters<typeof formatStatus>[0], now);
  expect(text).toContain('quota exhausted');
  const lines = text.split('\n');
  expect(lines.filter((l) => /^\s*(?:Over: complete|Gates at deadbeef|tests: pass|done)/.test(l))).toEqual([]);
  // Nor a line break a terminal or a pager honours that is not `\n`.
  expect(text.match(/[\r\u0085\u2028\u2029]/g) ?? []).toEqual([]);
});
