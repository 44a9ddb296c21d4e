/**
 * What the real CLIs do when the API fails, observed against the scripted server, and what the
 * loop's classifiers make of it: rate limits and overloads are retried by the CLIs themselves
 * (honouring retry-after) and surface as transient errors once retries run out; a 401 fails the
 * run with an authentication error; a stalled stream leaves the CLI silent until the supervisor's
 * idle timeout kills it; a malformed event is survived by the CLI's own retry.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { structuredStatus } from '../../../src/peer-output/structured-events.ts';
import type { ModelServerHandle } from '../../../src/model-server/server.ts';
import { ensureTestUser, removeDir, runClaude, runCodex, startServer, userDir } from './harness.ts';
import { requires } from '../../requirements.ts';

/** Skipped, with the reason printed, where claude or codex is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('claude', 'codex');

let server: ModelServerHandle;
let cwd: string;
/** Claude Code retries 401 and 429 up to 10 times with exponential backoff; one retry is enough to observe. */
const CLAUDE_ONE_RETRY = { CLAUDE_CODE_MAX_RETRIES: '1' };

const oneTick = (api: 'anthropic' | 'responses', replies: unknown[]) => ({ api, ticks: [{ replies }] });

beforeAll(() => {
  if (!need.ok) return;
  ensureTestUser();
  cwd = userDir('faults');
  server = startServer({
    version: 1,
    peers: {
      'claude-429': oneTick('anthropic', [{ fault: { kind: 'rate_limit', retry_after_s: 1, times: 2 } }, { fault: { kind: 'overloaded' } }, { text: 'recovered' }]),
      'claude-429-forever': oneTick('anthropic', [{ fault: { kind: 'rate_limit', retry_after_s: 1, times: 50 } }]),
      'claude-401': oneTick('anthropic', [{ fault: { kind: 'unauthorized', times: 50 } }]),
      'claude-stall': oneTick('anthropic', [{ fault: { kind: 'stall' } }]),
      'claude-malformed': oneTick('anthropic', [{ fault: { kind: 'malformed' } }, { text: 'recovered' }]),
      'codex-429': oneTick('responses', [{ fault: { kind: 'rate_limit', retry_after_s: 1, times: 2 } }, { text: 'recovered' }]),
      'codex-429-forever': oneTick('responses', [{ fault: { kind: 'rate_limit', retry_after_s: 0, times: 50 } }]),
      'codex-401': oneTick('responses', [{ fault: { kind: 'unauthorized', times: 50 } }]),
      'codex-stall': oneTick('responses', [{ fault: { kind: 'stall' } }]),
      'codex-malformed': oneTick('responses', [{ fault: { kind: 'malformed' } }, { text: 'recovered' }]),
    },
  });
});

afterAll(async () => {
  if (!need.ok) return;
  await server.stop();
  removeDir(cwd);
});

const servedTo = (peer: string) => server.log.records.filter((r) => r.peer === peer).map((r) => (r.kind === 'fault' ? `${r.fault}:${r.status}` : r.kind));
const lastResult = (events: Array<Record<string, unknown>>) => events.findLast((e) => e.type === 'result')!;

describe.skipIf(!need.ok)('429 and 529', () => {
  test('claude waits out retry-after, retries 429 and 529 itself, then finishes the turn', async () => {
    const run = await runClaude(server, 'claude-429', { cwd });
    expect(run.exitCode).toBe(0);
    expect(servedTo('claude-429')).toEqual(['rate_limit:429', 'rate_limit:429', 'overloaded:529', 'reply']);
    const retries = run.events.filter((e) => e.subtype === 'api_retry');
    expect(retries.map((e) => [e.error_status, e.error])).toEqual([
      [429, 'rate_limit'],
      [429, 'rate_limit'],
      [529, 'overloaded'],
    ]);
    // retry-after: 1 is honoured as the minimum delay.
    expect(retries.slice(0, 2).every((e) => (e.retry_delay_ms as number) >= 1000)).toBe(true);
    expect(lastResult(run.events).result).toBe('recovered');
  }, 30_000);

  test('claude gives up on a persistent 429 with an API error the loop classifies as transient', async () => {
    const run = await runClaude(server, 'claude-429-forever', { cwd, extraEnv: CLAUDE_ONE_RETRY });
    expect(run.exitCode).toBe(1);
    const result = lastResult(run.events);
    expect(result).toMatchObject({ is_error: true, api_error_status: 429, terminal_reason: 'api_error' });
    expect(result.result).toBe('API Error: Request rejected (429) · Number of request tokens has exceeded your per-minute rate limit');
    expect(structuredStatus('claude', run.stdout)?.kind).toBe('transient');
  }, 30_000);

  test('codex reconnects through 429s and finishes the turn', async () => {
    const run = await runCodex(server, 'codex-429', { cwd });
    expect(run.exitCode).toBe(0);
    expect(servedTo('codex-429')).toEqual(['rate_limit:429', 'rate_limit:429', 'reply']);
    const notices = run.events.filter((e) => e.type === 'error').map((e) => e.message);
    expect(notices).toEqual([
      'Reconnecting... 1/5 (exceeded retry limit, last status: 429 Too Many Requests)',
      'Reconnecting... 2/5 (exceeded retry limit, last status: 429 Too Many Requests)',
    ]);
    expect(run.events.findLast((e) => e.type === 'item.completed')?.item).toMatchObject({ type: 'agent_message', text: 'recovered' });
  }, 30_000);

  test('codex gives up on a persistent 429 with turn.failed, classified as transient', async () => {
    const run = await runCodex(server, 'codex-429-forever', { cwd });
    expect(run.exitCode).toBe(1);
    expect(run.events.findLast((e) => e.type === 'turn.failed')).toEqual({ type: 'turn.failed', error: { message: 'exceeded retry limit, last status: 429 Too Many Requests' } });
    expect(structuredStatus('codex', run.stdout)?.kind).toBe('transient');
  }, 30_000);
});

describe.skipIf(!need.ok)('401', () => {
  test('claude fails with "Invalid API key", which the loop classifies as a halt', async () => {
    const run = await runClaude(server, 'claude-401', { cwd, extraEnv: CLAUDE_ONE_RETRY });
    expect(run.exitCode).toBe(1);
    expect(run.events.filter((e) => e.subtype === 'api_retry').map((e) => e.error)).toEqual(['authentication_failed']);
    expect(lastResult(run.events)).toMatchObject({ is_error: true, api_error_status: 401, result: 'Invalid API key · Fix external API key', terminal_reason: 'api_error' });
    expect(structuredStatus('claude', run.stdout)?.kind).toBe('halt');
  }, 30_000);

  test('codex retries the 401 five times, then fails the turn naming the status', async () => {
    const run = await runCodex(server, 'codex-401', { cwd });
    expect(run.exitCode).toBe(1);
    const url = `${server.url}/peer/codex-401/v1/responses`;
    const failure = `unexpected status 401 Unauthorized: Incorrect API key provided., url: ${url}`;
    expect(run.events.findLast((e) => e.type === 'turn.failed')).toEqual({ type: 'turn.failed', error: { message: failure } });
    expect(run.events.filter((e) => e.type === 'error').map((e) => e.message)).toEqual([1, 2, 3, 4, 5].map((n) => `Reconnecting... ${n}/5 (${failure})`).concat([failure]));
    expect(servedTo('codex-401')).toHaveLength(6);
  }, 30_000);
});

describe.skipIf(!need.ok)('stalled stream', () => {
  test('claude goes silent on a stalled stream until the idle timeout kills it', async () => {
    // 6 s of silence, not less: a loaded CI machine can take seconds to start Claude Code, and its
    // start-up is silent too; the stall must be what trips the timeout.
    const run = await runClaude(server, 'claude-stall', { cwd, idleTimeoutMs: 6000 });
    expect(run.endedBy).toBe('idle-timeout');
    // Only the init event was printed before the stall; nothing after it for the whole idle period.
    expect(run.events.map((e) => `${e.type}/${e.subtype ?? ''}`)).toEqual(['system/init']);
    expect(run.durationMs).toBeGreaterThanOrEqual(6000);
    expect(run.durationMs).toBeLessThan(25_000);
    expect(servedTo('claude-stall')).toEqual(['stall:200']);
  }, 30_000);

  test('codex goes silent on a stalled stream until the idle timeout kills it', async () => {
    const run = await runCodex(server, 'codex-stall', { cwd, idleTimeoutMs: 3000 });
    expect(run.endedBy).toBe('idle-timeout');
    expect(run.events.map((e) => e.type)).toEqual(['thread.started', 'turn.started']);
    expect(run.durationMs).toBeGreaterThanOrEqual(3000);
    expect(run.durationMs).toBeLessThan(15_000);
    expect(servedTo('codex-stall')).toEqual(['stall:200']);
  }, 30_000);
});

describe.skipIf(!need.ok)('malformed event', () => {
  test('claude reports the unparsable event and falls back to a non-streamed request', async () => {
    const run = await runClaude(server, 'claude-malformed', { cwd });
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain('Could not parse message into JSON');
    const served = server.log.records.filter((r) => r.peer === 'claude-malformed');
    expect(served.map((r) => [r.kind, r.stream])).toEqual([
      ['fault', true],
      ['reply', false],
    ]);
    expect(lastResult(run.events).result).toBe('recovered');
  }, 30_000);

  test('codex reconnects after a stream that ends without response.completed', async () => {
    const run = await runCodex(server, 'codex-malformed', { cwd });
    expect(run.exitCode).toBe(0);
    expect(run.events.filter((e) => e.type === 'error').map((e) => e.message)).toEqual([
      'Reconnecting... 1/5 (stream disconnected before completion: stream closed before response.completed)',
    ]);
    expect(servedTo('codex-malformed')).toEqual(['malformed:200', 'reply']);
  }, 30_000);
});
