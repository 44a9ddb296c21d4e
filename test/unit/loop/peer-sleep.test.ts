/**
 * Usage limits, one peer at a time (src/loop/peer-sleep.ts and its use in tick.ts): which limit a
 * turn ran into, until when its peer sleeps, who runs next while it sleeps, and what the run does
 * when every peer sleeps. Pure: the clock is an argument.
 */
import { describe, expect, test } from 'bun:test';
import { classifyTurn } from '../../../src/loop/classify.ts';
import { LIMIT_BACKOFF_BASE_MS, LIMIT_BACKOFF_CAP_MS, MAX_SLEEP_MS, MIN_SLEEP_MS, RESET_SLACK_MS, decideWait, describeWaiters, isAsleep, sleepUntil, turnUsageLimit, waitersOf, wakeMs } from '../../../src/loop/peer-sleep.ts';
import { decidePreTick, finalizeTick } from '../../../src/loop/tick.ts';
import { formatStopReason, parseStopReason } from '../../../src/state/stop-reason.ts';
import { formatStatus, statusJson } from '../../../src/report/status-text.ts';
import { statePaths } from '../../../src/state/paths.ts';
import type { LoopState } from '../../../src/state/state-schema.ts';
import { fail, obs, settings, state } from './fixtures.ts';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const conv = { hardGoalIds: ['g'], openBlockingBugs: 0, ledgerReadable: true, softConsensus: true, unapprovedGateSurface: 0, unexcusedMarkers: 0, unreadCode: 0, unauditedAuthors: [], heldByTestChanges: [] };
const run = (nowMs: number) => ({ ticksThisRun: 0, stopRequested: false, nowMs });
const limited = (resetAt: string | null, source = 'anthropic-ratelimit-unified-reset') => ({
  success: false,
  credit: 0 as const,
  classification: 'usage-limited' as const,
  exit_code: 1,
  usage_limit: { reset_at: resetAt, source, message: "This request would exceed your account's rate limit." },
});

/** One pre-tick decision and, for a turn, its finalization with `over` at `nowMs`. */
function step(st: LoopState, nowMs: number, over: Parameters<typeof obs>[1] = {}, s = settings()) {
  const pre = decidePreTick(st, run(nowMs), conv, s);
  if (pre.action.kind !== 'turn') return { action: pre.action, st: pre.state, peer: null };
  const fin = finalizeTick(pre.state, obs(pre.state, { peer: pre.action.peer, turn_index: pre.action.index, ...over }), s, new Date(nowMs));
  return { action: pre.action, st: fin.state, peer: pre.action.peer, fin };
}

describe('which limit a turn ran into', () => {
  const line = (limit: 'usage' | 'quota' | 'rate', reset_at: string | null) => ({ upstream: 'anthropic', limit, reset_at, source: 'anthropic-ratelimit-unified-reset', message: 'limit' });

  test("the sidecar's record of the vendor's reply wins over the CLI's words; a plain rate limit is no usage limit", () => {
    const cli = { kind: 'usage' as const, resetAtMs: T0 + 60_000, source: 'codex output', message: 'try again at …' };
    expect(turnUsageLimit([line('usage', '2026-03-01T15:00:00.000Z')], cli)).toEqual({ kind: 'usage', resetAtMs: Date.parse('2026-03-01T15:00:00Z'), source: 'anthropic anthropic-ratelimit-unified-reset', message: 'limit' });
    expect(turnUsageLimit([], cli)).toEqual(cli);
    expect(turnUsageLimit([line('rate', '2026-03-01T10:00:05.000Z')], null)).toBeNull();
    // The reply gave no reset, the CLI printed one: that one is used.
    expect(turnUsageLimit([line('usage', null)], cli)?.resetAtMs).toBe(T0 + 60_000);
  });

  test('a quota (credit gone) anywhere wins: waiting would not help', () => {
    expect(turnUsageLimit([line('usage', '2026-03-01T15:00:00.000Z'), line('quota', null)], null)?.kind).toBe('quota');
  });
});

describe('until when a peer sleeps', () => {
  test("the vendor's reset plus a little slack, never sooner than a minimum, never later than a maximum", () => {
    expect(sleepUntil({ resetAtMs: T0 + 3_600_000, source: 'h' }, T0, 1).untilMs).toBe(T0 + 3_600_000 + RESET_SLACK_MS);
    expect(sleepUntil({ resetAtMs: T0 - 3_600_000, source: 'h' }, T0, 1).untilMs).toBe(T0 + MIN_SLEEP_MS);
    expect(sleepUntil({ resetAtMs: T0 + 400 * 86_400_000, source: 'h' }, T0, 1).untilMs).toBe(T0 + MAX_SLEEP_MS);
  });

  test('without a reset time: a backoff that doubles with each limited turn in a row, bounded', () => {
    const wait = (streak: number) => sleepUntil({ resetAtMs: null, source: 'x' }, T0, streak).untilMs - T0;
    expect([1, 2, 3].map(wait)).toEqual([LIMIT_BACKOFF_BASE_MS, 2 * LIMIT_BACKOFF_BASE_MS, 4 * LIMIT_BACKOFF_BASE_MS]);
    expect(wait(30)).toBe(LIMIT_BACKOFF_CAP_MS);
  });
});

describe('classification', () => {
  const exit1 = { exitCode: 1, endedBy: 'exit' as const };
  const usage = { kind: 'usage' as const, resetAtMs: T0 + 3_600_000, source: 'codex output', message: "You've hit your usage limit" };
  const haltMatch = { kind: 'halt' as const, pattern: 'hit your usage limit', snippet: "ERROR: You've hit your usage limit" };

  test('a usage limit is not a halt: the turn is usage-limited', () => {
    const v = classifyTurn(exit1, { live: haltMatch, post: null }, { kind: 'halt', label: 'structured:codex:hit-your-usage-limit', snippet: "You've hit your usage limit" }, usage);
    expect(v.classification).toBe('usage-limited');
    expect(v.halt).toBeNull();
  });

  test('a refused credential still halts the peer, with its reason, whatever limit was also reported', () => {
    const v = classifyTurn(exit1, { live: null, post: null }, { kind: 'halt', label: 'structured:claude:http-401', snippet: 'Invalid API key · Fix external API key' }, usage);
    expect(v.classification).toBe('api-error');
    expect(v.halt?.snippet).toBe('Invalid API key · Fix external API key');
  });

  test('a quota (credit gone) halts the peer; a successful turn ignores a limit it recovered from', () => {
    expect(classifyTurn(exit1, { live: null, post: null }, null, { kind: 'quota', resetAtMs: null, source: 'error insufficient_quota', message: 'You exceeded your current quota' }).halt?.reason).toBe('quota: You exceeded your current quota');
    expect(classifyTurn({ exitCode: 0, endedBy: 'exit' }, { live: null, post: null }, null, usage).classification).toBe('success');
  });
});

describe('one peer sleeps, the others work', () => {
  test('a limited peer sleeps until its reset; the other takes every turn meanwhile; then both work again', () => {
    const reset = '2026-03-01T11:00:00.000Z';
    let r = step(state(), T0, limited(reset));
    expect(r.peer).toBe('a');
    expect(r.st.peers.a!.waiting).toEqual({ until: new Date(Date.parse(reset) + RESET_SLACK_MS).toISOString(), reason: 'usage limit: reset from anthropic-ratelimit-unified-reset', since_tick: 1 });
    // Neutral: no failure charged, health untouched.
    expect(r.st.budget.consecutive_failures).toBe(0);
    expect(r.st.peers.a!.state).toBe('healthy');
    expect(r.fin!.backoffMs).toBe(0);
    const who: string[] = [];
    let st = r.st;
    for (const at of [T0 + 60_000, T0 + 600_000, T0 + 3_000_000]) {
      r = step(st, at);
      who.push(r.peer!);
      st = r.st;
    }
    expect(who).toEqual(['b', 'b', 'b']);
    // Past the reset: a is back in the rotation, and a good turn clears its wait.
    const after = Date.parse(reset) + RESET_SLACK_MS + 1;
    r = step(st, after);
    expect(r.peer).toBe('a');
    expect(r.st.peers.a!.waiting).toBeNull();
    expect(r.st.peers.a!.limit_streak).toBe(0);
  });

  test('every peer asleep: the run waits for the first to wake, within max_runtime_s', () => {
    let st = step(state(), T0, limited('2026-03-01T12:00:00.000Z')).st;
    st = step(st, T0 + 1000, limited('2026-03-01T11:00:00.000Z')).st;
    const r = step(st, T0 + 2000);
    expect(r.action).toEqual({
      kind: 'wait',
      untilMs: Date.parse('2026-03-01T11:00:00Z') + RESET_SLACK_MS,
      waiters: [
        { peer: 'a', until: '2026-03-01T12:00:10.000Z', reason: 'usage limit: reset from anthropic-ratelimit-unified-reset' },
        { peer: 'b', until: '2026-03-01T11:00:10.000Z', reason: 'usage limit: reset from anthropic-ratelimit-unified-reset' },
      ],
    });
  });

  test('a wait longer than what max_runtime_s leaves stops the run, saying until when', () => {
    const s = settings({ budget: { maxTicks: 200, maxRuntimeS: 1800, maxConsecutiveFailures: 5, usdMode: 'hard' } });
    let st = step(state(), T0, limited('2026-03-01T12:00:00.000Z'), s).st;
    st = step(st, T0 + 1000, limited('2026-03-01T11:00:00.000Z'), s).st;
    const r = step(st, T0 + 2000, {}, s);
    expect(r.action).toEqual({ kind: 'stop', reason: { kind: 'usage-limited', until: '2026-03-01T11:00:10.000Z' } });
    expect(formatStopReason({ kind: 'usage-limited', until: '2026-03-01T11:00:10.000Z' })).toBe('usage-limited:2026-03-01T11:00:10.000Z');
    expect(parseStopReason('usage-limited:2026-03-01T11:00:10.000Z')).toEqual({ kind: 'usage-limited', until: '2026-03-01T11:00:10.000Z' });
  });

  test('a sleeper that is also unavailable waits for nobody: the run halts as before', () => {
    let st = step(state(), T0, limited('2026-03-01T11:00:00.000Z')).st;
    st = { ...st, peers: { ...st.peers, a: { ...st.peers.a!, state: 'unavailable', reason: 'halt' } } };
    st = step(st, T0 + 1000, { ...fail, halt: { reason: 'auth', pattern: 'p', snippet: '401', source: 'structured' } }).st;
    expect(decideWait(st, [], T0 + 2000, 21600)).toBeNull();
    expect(step(st, T0 + 2000).action).toEqual({ kind: 'stop', reason: { kind: 'all-peers-down' } });
  });

  test('a peer limited again without a reset time sleeps longer each time', () => {
    let st = step(state(), T0, limited(null, 'codex output (no reset time)')).st;
    const first = Date.parse(st.peers.a!.waiting!.until) - T0;
    st = step(st, T0 + 1000).st; // b works
    st = step(st, T0 + first + 1, limited(null, 'codex output (no reset time)')).st;
    expect(st.peers.a!.limit_streak).toBe(2);
    expect(Date.parse(st.peers.a!.waiting!.until) - (T0 + first + 1)).toBe(2 * first);
  });
});

describe('status says who waits until when', () => {
  test('asleep peers are listed with their wake time and reason, in text and JSON; a wait that has passed is not', () => {
    let st = step(state(), T0, limited('2026-03-01T11:00:00.000Z')).st;
    st = step(st, T0 + 1000).st;
    const summary = { paths: statePaths('/s'), state: st, log: { lines: [], skipped: 0, tornTail: false }, ticks: [], exits: [], lock: { held: true, pid: 7 }, halted: false, ledger: null, control: { ok: true as const, control: null }, liveTurn: null, activity: null, readAt: new Date(T0 + 2000).toISOString() };
    const json = statusJson(summary, T0 + 2000);
    expect(json.waiting).toEqual([{ peer: 'a', until: '2026-03-01T11:00:10.000Z', reason: 'usage limit: reset from anthropic-ratelimit-unified-reset' }]);
    expect(json.peers.a).toMatchObject({ state: 'healthy', waiting_until: '2026-03-01T11:00:10.000Z' });
    expect(json.peers.b!.waiting_until).toBeNull();
    const text = formatStatus(summary, T0 + 2000);
    expect(text).toContain('Waiting for usage limits: a until 2026-03-01T11:00:10Z (usage limit: reset from anthropic-ratelimit-unified-reset)');
    expect(text).toContain('    asleep until 2026-03-01T11:00:10.000Z');
    expect(statusJson(summary, Date.parse('2026-03-01T11:00:11Z')).waiting).toEqual([]);
  });
});

describe('usage-limit sleep in the figures users read', () => {
  const T = Date.parse('2026-03-01T10:00:00Z');
  const line = (limit: 'usage' | 'quota' | 'rate', reset_at: string | null, message = 'limit hit') => ({ upstream: 'anthropic', limit, reset_at, source: 'header anthropic-ratelimit-reset', message });

  test('the bounds are 30 s, 8 days, 10 s of slack, and a backoff of 10 min doubling to at most 2 h', () => {
    expect([MIN_SLEEP_MS, MAX_SLEEP_MS, RESET_SLACK_MS, LIMIT_BACKOFF_BASE_MS, LIMIT_BACKOFF_CAP_MS]).toEqual([30_000, 691_200_000, 10_000, 600_000, 7_200_000]);
  });

  test('the basis says where the time came from and which bound applied', () => {
    expect(sleepUntil({ resetAtMs: T + 3_600_000, source: 'the vendor' }, T, 1)).toEqual({ untilMs: T + 3_610_000, basis: 'reset from the vendor' });
    expect(sleepUntil({ resetAtMs: T + 30 * 86_400_000, source: 'the vendor' }, T, 1)).toEqual({ untilMs: T + 691_200_000, basis: 'reset from the vendor, capped at 8 days' });
    expect(sleepUntil({ resetAtMs: T - 60_000, source: 'the vendor' }, T, 1)).toEqual({ untilMs: T + 30_000, basis: 'reset from the vendor, waiting at least 30s' });
    expect(sleepUntil({ resetAtMs: null, source: 'x' }, T, 1)).toEqual({ untilMs: T + 600_000, basis: 'no reset time given: backoff 10 min' });
    expect(sleepUntil({ resetAtMs: null, source: 'x' }, T, 3)).toEqual({ untilMs: T + 2_400_000, basis: 'no reset time given: backoff 40 min' });
    expect(sleepUntil({ resetAtMs: null, source: 'x' }, T, 9).basis).toBe('no reset time given: backoff 120 min');
  });

  test("the CLI's quota wins over the sidecar's usage line; the CLI's reset fills in when the reply gave none", () => {
    const cliQuota = { kind: 'quota' as const, resetAtMs: null, source: 'codex output', message: 'out of credit' };
    expect(turnUsageLimit([line('usage', '2026-03-01T11:00:00Z')], cliQuota)).toEqual(cliQuota);
    const cliUsage = { kind: 'usage' as const, resetAtMs: T + 5_000, source: 'codex output', message: 'cli words' };
    expect(turnUsageLimit([line('usage', null, 'reply words')], cliUsage)).toEqual({ ...cliUsage, message: 'reply words' });
    expect(turnUsageLimit([line('usage', null, '')], cliUsage)).toEqual(cliUsage);
    expect(turnUsageLimit([line('usage', null)], { ...cliUsage, resetAtMs: null })).toEqual({ kind: 'usage', resetAtMs: null, source: 'anthropic header anthropic-ratelimit-reset', message: 'limit hit' });
    expect(turnUsageLimit([line('usage', 'not a date')], null)).toEqual({ kind: 'usage', resetAtMs: null, source: 'anthropic header anthropic-ratelimit-reset', message: 'limit hit' });
    expect(turnUsageLimit([line('usage', null)], { kind: 'rate', resetAtMs: T, source: 's', message: 'm' })).toMatchObject({ resetAtMs: null });
    expect(turnUsageLimit([], cliUsage)).toEqual(cliUsage);
    expect(turnUsageLimit([line('rate', null)], { kind: 'rate', resetAtMs: T, source: 's', message: 'm' })).toBeNull();
  });

  test('a peer wakes exactly at its time; without a readable time it counts as asleep for the longest sleep', () => {
    const h = (until: string | null) => ({ waiting: until === null ? null : { until, reason: 'usage limit', since_tick: 1 } });
    expect(isAsleep(h('2026-03-01T10:00:00.000Z'), T)).toBe(false);
    expect(isAsleep(h('2026-03-01T10:00:00.001Z'), T)).toBe(true);
    expect(isAsleep(h('garbled'), T)).toBe(true);
    expect(wakeMs(h('2026-03-01T11:00:00Z'), T)).toBe(T + 3_600_000);
    expect(wakeMs(h('garbled'), T)).toBe(T + 691_200_000);
    expect(wakeMs(h(null), T)).toBe(T + 691_200_000);
  });

  test('the run waits when the first wake fits exactly in the runtime left, and stops when it does not', () => {
    const st = state();
    st.peers.a = { ...st.peers.a!, waiting: { until: '2026-03-01T11:00:00Z', reason: 'usage limit: reset from x', since_tick: 1 } };
    st.peers.b = { ...st.peers.b!, waiting: { until: '2026-03-01T12:00:00Z', reason: '', since_tick: 1 } };
    st.budget = { ...st.budget, spent_runtime_ms: 1_000_000 };
    // 3600 s to the first wake; max_runtime 4600 s minus 1000 s spent leaves exactly 3600 s.
    const fits = decideWait(st, ['a', 'b'], T, 4600);
    expect(fits).toEqual({
      kind: 'wait',
      untilMs: T + 3_600_000,
      waiters: [
        { peer: 'a', until: '2026-03-01T11:00:00.000Z', reason: 'usage limit: reset from x' },
        { peer: 'b', until: '2026-03-01T12:00:00.000Z', reason: '' },
      ],
    });
    expect(decideWait(st, ['a'], T, 4599)?.kind).toBe('stop');
    const noReason = { ...st, peers: { ...st.peers, a: { ...st.peers.a!, waiting: null } } };
    expect(decideWait(noReason, ['a'], T, 999_999)?.waiters[0]?.reason).toBe('usage limit');
    expect(decideWait(st, [], T, 4600)).toBeNull();
  });

  test('status lists every recorded wait, and says it in one line without milliseconds', () => {
    const st = state(['a', 'b', 'c']);
    st.peers.b = { ...st.peers.b!, waiting: { until: '2026-03-01T11:00:00.000Z', reason: 'usage limit', since_tick: 1 } };
    st.peers.c = { ...st.peers.c!, waiting: { until: '2026-03-01T12:00:00.000Z', reason: 'quota', since_tick: 2 } };
    const waiters = waitersOf(st);
    expect(waiters).toEqual([
      { peer: 'b', until: '2026-03-01T11:00:00.000Z', reason: 'usage limit' },
      { peer: 'c', until: '2026-03-01T12:00:00.000Z', reason: 'quota' },
    ]);
    expect(describeWaiters(waiters)).toBe('b until 2026-03-01T11:00:00Z (usage limit), c until 2026-03-01T12:00:00Z (quota)');
  });
});
