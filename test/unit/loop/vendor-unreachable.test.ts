/**
 * A turn whose vendor could not be reached (the auth sidecar's `peers_vendor_unreachable`: DNS, a
 * proxy, a firewall) is a network failure, not a rate limit: the peer is not charged and sleeps, the
 * others work, and after max_consecutive_failures such turns in a row the run stops saying what to
 * check. A real vendor 502/529 stays the transient rate-limited case.
 */
import { describe, expect, test } from 'bun:test';
import { classifyTurn } from '../../../src/loop/classify.ts';
import { decidePreTick, finalizeTick } from '../../../src/loop/tick.ts';
import { stopLine } from '../../../src/loop/tick-report.ts';
import { explainFailure } from '../../../src/loop/failure-cause.ts';
import { structuredStatus } from '../../../src/peer-output/structured-events.ts';
import { formatStopReason, parseStopReason } from '../../../src/state/stop-reason.ts';
import { obs, settings, state } from './fixtures.ts';

const SIDECAR = 'peers auth sidecar: cannot reach api.anthropic.com (peers_vendor_unreachable): could not resolve api.anthropic.com: ENOTFOUND; check DNS, any proxy or firewall between this machine and api.anthropic.com';
const claudeResult = (text: string, status = 502) => `${JSON.stringify({ type: 'result', subtype: 'success', is_error: true, api_error_status: status, result: `API Error: ${status} ${text}. This is a server-side issue, usually temporary — try again in a moment.` })}\n`;
const codexFailed = (text: string) => `${JSON.stringify({ type: 'error', message: `Reconnecting... 1/5 (unexpected status 502 Bad Gateway: ${text}, url: http://127.0.0.1:8082/responses)` })}\n${JSON.stringify({ type: 'turn.failed', error: { message: `unexpected status 502 Bad Gateway: ${text}` } })}\n`;
const exit1 = { exitCode: 1, endedBy: 'exit' as const };
const none = { live: null, post: null };
const NOW = new Date('2026-01-01T01:00:00Z');

describe('classification', () => {
  test("the sidecar's unreachable 502, as claude and codex report it, is vendor-unreachable, naming the host", () => {
    for (const [tool, out] of [['claude', claudeResult(SIDECAR)], ['codex', codexFailed(SIDECAR.replace('api.anthropic.com', 'chatgpt.com').replaceAll('api.anthropic.com', 'chatgpt.com'))]] as const) {
      const s = structuredStatus(tool, out);
      expect(s).toMatchObject({ kind: 'network', label: `network:${tool}:vendor-unreachable` });
      expect(classifyTurn(exit1, none, s).classification).toBe('vendor-unreachable');
    }
    expect(structuredStatus('claude', claudeResult(SIDECAR))!.host).toBe('api.anthropic.com');
  });

  test("a vendor's own 502 or 529 (an overload) stays the neutral rate-limited", () => {
    for (const status of [502, 529]) {
      const s = structuredStatus('claude', claudeResult('upstream connect error or disconnect/reset before headers', status));
      expect(s?.kind).toBe('transient');
      expect(classifyTurn(exit1, none, s).classification).toBe('rate-limited');
    }
    // The sidecar's other 502s (a reply cut short) are not a network failure either.
    expect(structuredStatus('claude', claudeResult('peers auth sidecar: upstream closed the connection before the reply was complete'))?.kind).toBe('transient');
  });

  test('the marker in assistant text (echoed content) is not read: only the status channel counts', () => {
    const echoed = `${JSON.stringify({ type: 'assistant', message: { content: [{ type: 'text', text: SIDECAR }] } })}\n${JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'done' })}\n`;
    expect(structuredStatus('claude', echoed)).toBeNull();
  });

  test('a refused credential still halts; an error pattern does not hide the network failure', () => {
    const halt = { kind: 'halt' as const, pattern: 'auth', snippet: 'authentication failed' };
    expect(classifyTurn(exit1, { live: halt, post: null }, structuredStatus('claude', claudeResult(SIDECAR))).classification).toBe('api-error');
    const err = { kind: 'error' as const, pattern: 'api', snippet: 'API Error: 502' };
    expect(classifyTurn(exit1, { live: err, post: null }, structuredStatus('claude', claudeResult(SIDECAR))).classification).toBe('vendor-unreachable');
  });
});

describe('what the loop does about it', () => {
  const cut = (st: ReturnType<typeof state>) =>
    obs(st, { success: false, credit: 0, classification: 'vendor-unreachable', matched: { pattern: 'network:claude:vendor-unreachable', snippet: SIDECAR.slice('peers auth sidecar: '.length), source: 'structured-network' } });

  test('no failure is charged and the peer is not degraded; it sleeps 1, 2, 4 … min, at most 16, while the others work', () => {
    let st = state();
    const sleeps: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = finalizeTick(st, cut(st), settings({ budget: { ...settings().budget, maxConsecutiveFailures: 99 } }), NOW);
      expect(r.exit).toBeNull();
      expect(r.backoffMs).toBe(0);
      expect(r.state.budget.consecutive_failures).toBe(0);
      expect(r.state.rate_limit_streak).toBe(0);
      sleeps.push((Date.parse(r.sleep!.until) - NOW.getTime()) / 60_000);
      expect(r.sleep!.reason).toBe('vendor unreachable: api.anthropic.com; check DNS, proxy, firewall (peers doctor)');
      st = { ...r.state, turn_index: 0 };
      expect(st.peers.a!.state).toBe('healthy');
    }
    expect(sleeps).toEqual([1, 2, 4, 8]);
    expect(st.unreachable_streak).toBe(4);
    expect(st.peers.a!.last_classification).toBe('vendor-unreachable');
    // Bob takes the next turn; alice sleeps.
    expect(decidePreTick(st, { ticksThisRun: 0, stopRequested: false, nowMs: NOW.getTime() }, { hardGoalIds: ['g'], openBlockingBugs: 0, ledgerReadable: true, softConsensus: true, unapprovedGateSurface: 0, unexcusedMarkers: 0, unreadCode: 0, unauditedAuthors: [], heldByTestChanges: [] }, settings()).action).toMatchObject({ kind: 'turn', peer: 'b' });
  });

  test('a turn that reached its vendor resets the streak', () => {
    const st = state();
    const r = finalizeTick(st, cut(st), settings(), NOW);
    expect(r.state.unreachable_streak).toBe(1);
    const next = finalizeTick(r.state, obs(r.state, { peer: 'b' }), settings(), NOW);
    expect(next.state.unreachable_streak).toBe(0);
  });

  test('max_consecutive_failures unreachable turns in a row stop the run as vendor-unreachable:<host>, saying what to check', () => {
    let st = state();
    const s = settings({ budget: { ...settings().budget, maxConsecutiveFailures: 3 } });
    const exits = [];
    for (let i = 0; i < 3; i++) {
      const r = finalizeTick(st, cut(st), s, NOW);
      exits.push(r.exit);
      st = r.state;
    }
    expect(exits).toEqual([null, null, { kind: 'vendor-unreachable', host: 'api.anthropic.com' }]);
    expect(formatStopReason(exits[2]!)).toBe('vendor-unreachable:api.anthropic.com');
    expect(parseStopReason('vendor-unreachable:api.anthropic.com')).toEqual(exits[2]!);
    const line = stopLine(exits[2]!, st, 21600);
    expect(line).toStartWith('peers: stopped: vendor-unreachable:api.anthropic.com — 3 turns in a row could not reach api.anthropic.com; check');
    expect(line).toContain('DNS');
    expect(line).toContain('peers doctor');
  });

  test('the cause line says the vendor is unreachable, not rate limited', () => {
    const cause = explainFailure({ success: false, program: 'claude', tool: 'claude', stdout: claudeResult(SIDECAR), stderr: '', exitCode: 1, endedBy: 'exit', classification: 'vendor-unreachable', halt: null, matched: { pattern: 'n', snippet: SIDECAR.slice('peers auth sidecar: '.length), source: 'structured-network' }, committed: false, idleTimeoutS: 1, absoluteTimeoutS: 1, softFailReason: null } as Parameters<typeof explainFailure>[0]);
    expect(cause).toStartWith('vendor unreachable: cannot reach api.anthropic.com: could not resolve api.anthropic.com: ENOTFOUND');
  });
});
