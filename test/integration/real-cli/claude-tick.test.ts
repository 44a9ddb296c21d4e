/**
 * The real Claude Code CLI takes a whole tick against the scripted model server: it writes a file
 * with its Write tool, commits with its Bash tool using the handoff trailers, and its stream-json
 * result envelope reports exactly the tokens and cost the server served.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseUsage } from '../../../src/peer-output/usage.ts';
import { parseTrailers } from '../../../src/git/trailers.ts';
import type { ModelServerHandle } from '../../../src/model-server/server.ts';
import { CLAUDE_OPUS_PRICES, ensureTestUser, gitAsUser, handoffCommitCommand, makeRepo, removeDir, runClaude, startServer } from './harness.ts';
import { requires } from '../../requirements.ts';

/** Skipped, with the reason printed, where claude is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('claude');

const MODEL = 'claude-opus-5-5';
let server: ModelServerHandle;
let repo: string;

beforeAll(() => {
  if (!need.ok) return;
  ensureTestUser();
  repo = makeRepo();
  server = startServer({
    version: 1,
    prices: { [MODEL]: CLAUDE_OPUS_PRICES },
    peers: {
      claude: {
        api: 'anthropic',
        ticks: [
          {
            name: 'add greeting',
            replies: [
              { tool_calls: [{ write: { path: 'src/greeting.txt', content: 'hello from claude\n' } }], usage: { input_tokens: 1500, output_tokens: 120, cache_read_tokens: 800, cache_write_tokens: 300 } },
              { tool_calls: [{ shell: handoffCommitCommand('claude', 'Add the greeting') }], usage: { input_tokens: 1700, output_tokens: 90, cache_read_tokens: 900 } },
              { text: 'Committed the greeting and handed off.', usage: { input_tokens: 1800, output_tokens: 25 } },
            ],
          },
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

test.skipIf(!need.ok)('claude commits through its Write and Bash tools and reports exactly the usage served', async () => {
  const run = await runClaude(server, 'claude', { cwd: repo, extraArgs: ['--model', MODEL] });
  expect(run.endedBy).toBe('exit');
  expect(run.exitCode).toBe(0);

  // The file came from the Write tool (relative path resolved against claude's working directory).
  expect(readFileSync(join(repo, 'src/greeting.txt'), 'utf8')).toBe('hello from claude\n');
  const message = gitAsUser(repo, ['log', '-1', '--format=%B']);
  const trailers = parseTrailers(message);
  expect(trailers.get('Peer')).toBe('claude');
  expect(trailers.get('Peer-Status')).toBe('handoff');
  expect(trailers.get('Self-Review')).toBe('pass');
  expect(message).toContain('## Self-Review');
  expect(gitAsUser(repo, ['status', '--porcelain'])).toBe('');

  const served = server.log.records;
  expect(served.map((r) => [r.kind, r.step, r.tool_calls])).toEqual([
    ['reply', 0, ['Write']],
    ['reply', 1, ['Bash']],
    ['reply', 2, []],
  ]);
  expect(new Set(served.map((r) => r.session)).size).toBe(1);
  expect(served.every((r) => r.model === MODEL)).toBe(true);

  const result = run.events.findLast((e) => e.type === 'result')!;
  expect(result.is_error).toBe(false);
  expect(result.result).toBe('Committed the greeting and handed off.');
  const usage = result.usage as Record<string, number>;
  const totals = server.log.totals('claude');
  expect({ input: usage.input_tokens, output: usage.output_tokens, cacheRead: usage.cache_read_input_tokens, cacheWrite: usage.cache_creation_input_tokens }).toEqual({
    input: totals.input_tokens,
    output: totals.output_tokens,
    cacheRead: totals.cache_read_tokens,
    cacheWrite: totals.cache_write_tokens,
  });
  expect(totals).toMatchObject({ input_tokens: 5000, output_tokens: 235, cache_read_tokens: 1700, cache_write_tokens: 300 });
  expect(result.total_cost_usd as number).toBeCloseTo(totals.cost_usd, 9);

  // The loop's own usage parser reads the same figures from this output.
  const parsed = parseUsage('claude', run.stdout, run.stderr);
  expect(parsed.tokens).toBe(totals.input_tokens + totals.output_tokens + totals.cache_read_tokens + totals.cache_write_tokens);
  expect(parsed.usd).toBeCloseTo(totals.cost_usd, 9);
}, 30_000);
