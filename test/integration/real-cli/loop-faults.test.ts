/**
 * API failures seen through `peers loop` with the real CLIs: a 401 makes the peer unavailable and
 * halts the run; a 429 the CLI gives up on takes the loop's rate-limit backoff path and the next
 * peer's turn; a stalled stream ends in the loop's idle timeout and the next peer's turn.
 * CLAUDE_CODE_MAX_RETRIES=0 keeps Claude Code from retrying 401/429 itself (it would retry up to
 * 10 times with exponential backoff, minutes of waiting).
 */
import { expect, test } from 'bun:test';
import { ensureTestUser, handoffCommitCommand, makeLoopProject, runLoopAsUser, startServer } from './harness.ts';
import { requires } from '../../requirements.ts';

/** Skipped, with the reason printed, where claude or codex is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('claude', 'codex');

const commitTick = (peer: string, n: number) => ({
  replies: [{ tool_calls: [{ write: { path: `notes/${peer}-${n}.md`, content: `${peer} ${n}\n` } }] }, { tool_calls: [{ shell: handoffCommitCommand(peer, `Add note ${n} of ${peer}`) }] }, { text: 'Handed off.' }],
});
const GOALS = [{ id: 'notes', type: 'hard', cmd: 'test -d notes', pass_when: 'exit_code == 0' }];

async function loopWith(claudeFirstTick: unknown, health: Record<string, unknown>, args: string[]) {
  ensureTestUser();
  const server = startServer({
    version: 1,
    peers: { claude: { api: 'anthropic', ticks: [claudeFirstTick, commitTick('claude', 2)] }, codex: { api: 'responses', ticks: [commitTick('codex', 1)] } },
  });
  const project = makeLoopProject(server, { goals: GOALS, health, claudeEnv: { CLAUDE_CODE_MAX_RETRIES: '0' } });
  try {
    const run = await runLoopAsUser(project, ['--no-skeptic', ...args]);
    const ticks = run.runs.filter((r) => r.event === 'tick');
    return { run, ticks, served: server.log.records.map((r) => `${r.peer}:${r.kind}${r.fault ? `:${r.fault}` : ''}`) };
  } finally {
    await server.stop();
    project.cleanup();
  }
}

test.skipIf(!need.ok)('a 401 for claude halts the run as peer-unavailable:claude', async () => {
  const { run, ticks, served } = await loopWith({ replies: [{ fault: { kind: 'unauthorized', times: 5 } }] }, {}, ['--max-ticks', '4']);
  expect(run.exitCode).toBe(1);
  expect(run.stopReason).toBe('peer-unavailable:claude');
  expect(ticks).toHaveLength(1);
  expect(ticks[0]).toMatchObject({ peer: 'claude', classification: 'api-error', halt: { pattern: 'structured:claude:invalid-api-key' } });
  expect(served).toEqual(['claude:fault:unauthorized']);
}, 180_000);

test.skipIf(!need.ok)('a 429 claude gives up on takes the rate-limit backoff path, then it is codex\'s turn', async () => {
  const { run, ticks, served } = await loopWith({ replies: [{ fault: { kind: 'rate_limit', retry_after_s: 0, times: 5 } }] }, {}, ['--max-ticks', '2', '--backoff-base-ms', '200']);
  expect(run.stopReason).toBe('max_ticks');
  expect(run.stderr).toMatch(/peer=claude rate-limited \(streak=1\); backing off/);
  expect(ticks.map((t) => [t.peer, t.classification, t.success])).toEqual([
    ['claude', 'rate-limited', false],
    ['codex', 'success', true],
  ]);
  expect(served).toEqual(['claude:fault:rate_limit', 'codex:reply', 'codex:reply', 'codex:reply']);
}, 180_000);

test.skipIf(!need.ok)('a stalled stream ends in the idle timeout, then it is codex\'s turn', async () => {
  // 6 s, not less: Claude Code's start-up is silent too, and a loaded CI machine can make it slow.
  const { run, ticks, served } = await loopWith({ replies: [{ fault: { kind: 'stall' } }] }, { idle_timeout_s: 6, max_retries: 0 }, ['--max-ticks', '2']);
  expect(run.stopReason).toBe('max_ticks');
  expect(ticks.map((t) => [t.peer, t.ended_by, t.classification, t.success])).toEqual([
    ['claude', 'idle-timeout', 'idle-timeout', false],
    ['codex', 'exit', 'success', true],
  ]);
  expect(ticks[0]!.duration_ms as number).toBeGreaterThanOrEqual(6000);
  expect(served).toEqual(['claude:fault:stall', 'codex:reply', 'codex:reply', 'codex:reply']);
}, 180_000);
