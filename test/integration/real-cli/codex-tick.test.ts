/**
 * The real Codex CLI takes a whole tick against the scripted model server: it creates a file with
 * its apply_patch tool (a freeform custom tool in this version), edits it with apply_patch again,
 * commits through exec_command with the handoff trailers, and its `--json` turn.completed usage
 * is exactly what the server served.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseUsage } from '../../../src/peer-output/usage.ts';
import { parseTrailers } from '../../../src/git/trailers.ts';
import type { ModelServerHandle } from '../../../src/model-server/server.ts';
import { ensureTestUser, gitAsUser, handoffCommitCommand, makeRepo, removeDir, runCodex, startServer } from './harness.ts';
import { requires } from '../../requirements.ts';

/** Skipped, with the reason printed, where codex is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('codex');

let server: ModelServerHandle;
let repo: string;

beforeAll(() => {
  if (!need.ok) return;
  ensureTestUser();
  repo = makeRepo();
  server = startServer({
    version: 1,
    peers: {
      codex: {
        api: 'responses',
        ticks: [
          {
            replies: [
              { tool_calls: [{ write: { path: 'src/answer.txt', content: 'answer: 41\n' } }], usage: { input_tokens: 2000, output_tokens: 150, cache_read_tokens: 600, reasoning_tokens: 40 } },
              { tool_calls: [{ edit: { path: 'src/answer.txt', old: 'answer: 41', new: 'answer: 42' } }], usage: { input_tokens: 2100, output_tokens: 60 } },
              { tool_calls: [{ shell: handoffCommitCommand('codex', 'Fix the answer') }], usage: { input_tokens: 2200, output_tokens: 80, cache_read_tokens: 1000 } },
              { text: 'Committed and handed off.', usage: { input_tokens: 2300, output_tokens: 20 } },
            ],
          },
          { name: 'configured by config.toml', replies: [{ tool_calls: [{ read: 'src/answer.txt' }] }, { text: 'The answer is 42.' }] },
        ],
      },
    },
  });
});

afterAll(async () => {
  if (!need.ok) return;
  await server.stop();
  removeDir(repo);
});

test.skipIf(!need.ok)('codex commits through apply_patch and exec_command and reports exactly the usage served', async () => {
  const run = await runCodex(server, 'codex', { cwd: repo });
  expect(run.endedBy).toBe('exit');
  expect(run.exitCode).toBe(0);

  expect(readFileSync(join(repo, 'src/answer.txt'), 'utf8')).toBe('answer: 42\n');
  const message = gitAsUser(repo, ['log', '-1', '--format=%B']);
  const trailers = parseTrailers(message);
  expect([trailers.get('Peer'), trailers.get('Peer-Status'), trailers.get('Self-Review')]).toEqual(['codex', 'handoff', 'pass']);
  expect(message).toContain('## Self-Review');

  expect(server.log.records.map((r) => [r.kind, r.step, r.tool_calls])).toEqual([
    ['reply', 0, ['apply_patch']],
    ['reply', 1, ['apply_patch']],
    ['reply', 2, ['exec_command']],
    ['reply', 3, []],
  ]);
  // Codex shows each tool call as an item: the two patches as file changes, the commit as a command.
  const items = run.events.filter((e) => e.type === 'item.completed').map((e) => (e.item as { type: string }).type);
  expect(items).toEqual(['file_change', 'file_change', 'command_execution', 'agent_message']);

  const completed = run.events.filter((e) => e.type === 'turn.completed');
  expect(completed).toHaveLength(1);
  const totals = server.log.totals('codex');
  // Responses input_tokens include cached tokens; Codex reports them that way too.
  expect(completed[0]!.usage).toEqual({
    input_tokens: totals.input_tokens + totals.cache_read_tokens,
    cached_input_tokens: totals.cache_read_tokens,
    cache_write_input_tokens: 0,
    output_tokens: totals.output_tokens,
    reasoning_output_tokens: totals.reasoning_tokens,
  });
  expect(totals).toMatchObject({ input_tokens: 8600, cache_read_tokens: 1600, output_tokens: 310, reasoning_tokens: 40 });
  expect(parseUsage('codex', run.stdout, run.stderr).tokens).toBe(totals.input_tokens + totals.cache_read_tokens + totals.output_tokens);
}, 30_000);

test.skipIf(!need.ok)('a CODEX_HOME config.toml written by cli-wiring selects the server just as well (second tick, new session)', async () => {
  const run = await runCodex(server, 'codex', { cwd: repo, viaConfigToml: true });
  expect(run.exitCode).toBe(0);
  const second = server.log.records.filter((r) => r.tick === 1);
  expect(second.map((r) => [r.step, r.tool_calls])).toEqual([
    [0, ['exec_command']],
    [1, []],
  ]);
  const read = run.events.find((e) => e.type === 'item.completed' && (e.item as { type: string }).type === 'command_execution')!.item as Record<string, unknown>;
  expect(read.aggregated_output).toBe('answer: 42\n');
  expect(run.events.findLast((e) => e.type === 'item.completed')?.item).toMatchObject({ type: 'agent_message', text: 'The answer is 42.' });
}, 30_000);
