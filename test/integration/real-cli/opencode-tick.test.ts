/**
 * The real opencode CLI (opencode-ai, a dev dependency) takes a whole tick against the scripted
 * model server through its Anthropic provider, offline: it writes a file with its `write` tool,
 * edits it with `edit`, commits with `bash` using the handoff trailers, and the step-finish events
 * of `opencode run --format json` — read by the loop's own usage parser — report exactly the
 * tokens and cost the server served.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPENCODE_PROVIDER_ID, OPENCODE_RUN_ARGV } from '../../../src/model-server/cli-wiring.ts';
import type { ModelServerHandle } from '../../../src/model-server/server.ts';
import { buildPeerArgv } from '../../../src/config/peer-argv.ts';
import { errorBlobs } from '../../../src/peer-output/structured-events.ts';
import { parseUsage } from '../../../src/peer-output/usage.ts';
import { parseTrailers } from '../../../src/git/trailers.ts';
import { CLAUDE_OPUS_PRICES, OPENCODE_BIN, ensureTestUser, gitAsUser, handoffCommitCommand, makeRepo, removeDir, runOpencode, startServer } from './harness.ts';
import { requires } from '../../requirements.ts';

/** Skipped, with the reason printed, where opencode is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('opencode');

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
      opencode: {
        api: 'anthropic',
        ticks: [
          {
            name: 'add greeting',
            replies: [
              { tool_calls: [{ write: { path: 'src/greeting.txt', content: 'hello from opencode\n' } }], usage: { input_tokens: 1500, output_tokens: 120, cache_read_tokens: 800, cache_write_tokens: 300 } },
              { tool_calls: [{ edit: { path: 'src/greeting.txt', old: 'hello', new: 'hi' } }], usage: { input_tokens: 1600, output_tokens: 60, cache_read_tokens: 850 } },
              { tool_calls: [{ shell: handoffCommitCommand('opencode', 'Add the greeting') }], usage: { input_tokens: 1700, output_tokens: 90, cache_read_tokens: 900 } },
              { text: 'Committed the greeting and handed off.', usage: { input_tokens: 1800, output_tokens: 25 } },
            ],
          },
        ],
      },
      'opencode-faults': {
        api: 'anthropic',
        ticks: [
          { name: 'dead key', replies: [{ fault: { kind: 'unauthorized' } }] },
          { name: 'rate limited once', replies: [{ fault: { kind: 'rate_limit', retry_after_s: 1 } }, { text: 'Done after the 429.', usage: { input_tokens: 40, output_tokens: 4 } }] },
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

test.skipIf(!need.ok)('opencode commits through its write, edit and bash tools and reports exactly the usage served', async () => {
  // The argv the loop builds for a config.yaml peer (model → -m, reasoning → --variant, prompt on stdin).
  const built = buildPeerArgv({ name: 'opencode', tool: 'opencode', argv: [OPENCODE_BIN, ...OPENCODE_RUN_ARGV], prompt_mode: 'stdin', model: `${OPENCODE_PROVIDER_ID}/${MODEL}`, reasoning: 'high' }, 'Take your tick.');
  expect(built.argv.slice(1)).toEqual([...OPENCODE_RUN_ARGV, '-m', `${OPENCODE_PROVIDER_ID}/${MODEL}`, '--variant', 'high']);
  const run = await runOpencode(server, 'opencode', { cwd: repo, model: MODEL, price: CLAUDE_OPUS_PRICES, args: built.argv.slice(1), prompt: built.stdin });
  expect(run.endedBy).toBe('exit');
  expect(run.exitCode).toBe(0);
  expect(errorBlobs('opencode', run.stdout)).toEqual([]);

  // write then edit, both on the absolute path resolved from opencode's own working directory.
  expect(readFileSync(join(repo, 'src/greeting.txt'), 'utf8')).toBe('hi from opencode\n');
  const message = gitAsUser(repo, ['log', '-1', '--format=%B']);
  const trailers = parseTrailers(message);
  expect(trailers.get('Peer')).toBe('opencode');
  expect(trailers.get('Peer-Status')).toBe('handoff');
  expect(trailers.get('Self-Review')).toBe('pass');
  expect(message).toContain('## Self-Review');
  expect(gitAsUser(repo, ['status', '--porcelain'])).toBe('');

  // The title request (no tools) is answered aside and never consumes a scripted step.
  const served = server.log.records.filter((r) => r.kind !== 'auxiliary');
  expect(served.map((r) => [r.kind, r.step, r.tool_calls])).toEqual([
    ['reply', 0, ['write']],
    ['reply', 1, ['edit']],
    ['reply', 2, ['bash']],
    ['reply', 3, []],
  ]);
  expect(new Set(served.map((r) => r.session)).size).toBe(1);
  expect(served[0]!.session).toMatch(/^ses_/);
  expect(served.every((r) => r.model === MODEL)).toBe(true);

  // Each model reply is one opencode step; its step-finish carries that reply's figures.
  const tools = run.events.filter((e) => e.type === 'tool_use').map((e) => (e.part as { tool: string; state: { status: string } }));
  expect(tools.map((t) => [t.tool, t.state.status])).toEqual([['write', 'completed'], ['edit', 'completed'], ['bash', 'completed']]);
  const finishes = run.events.filter((e) => e.type === 'step_finish');
  expect(finishes).toHaveLength(4);

  const totals = server.log.totals('opencode');
  expect(totals).toMatchObject({ input_tokens: 6600, output_tokens: 295, cache_read_tokens: 2550, cache_write_tokens: 300 });
  const parsed = parseUsage('opencode', run.stdout, run.stderr);
  expect(parsed.tokens).toBe(totals.input_tokens + totals.output_tokens + totals.cache_read_tokens + totals.cache_write_tokens);
  expect(parsed.usd).toBeCloseTo(totals.cost_usd, 9);
}, 50_000);

test.skipIf(!need.ok)('every opencode flag the loop relies on is in the installed `opencode run --help`', () => {
  // Its yargs accepts unknown flags silently, so a renamed flag would not fail loudly at run time.
  const help = Bun.spawnSync([OPENCODE_BIN, 'run', '--help'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent' } });
  const text = `${help.stdout.toString()}${help.stderr.toString()}`;
  for (const flag of ['--format', '--auto', '-m, --model', '--variant']) expect(text).toContain(flag);
}, 30_000);

test.skipIf(!need.ok)('opencode reports a 401 as an `error` event and exit 1, and retries a 429 by itself after retry-after', async () => {
  const dead = await runOpencode(server, 'opencode-faults', { cwd: repo, model: MODEL });
  expect(dead.endedBy).toBe('exit');
  expect(dead.exitCode).toBe(1);
  const blobs = errorBlobs('opencode', dead.stdout);
  expect(blobs).toHaveLength(1);
  expect(blobs[0]!.text).toBe('APIError invalid x-api-key');
  const error = dead.events.find((e) => e.type === 'error')!.error as { data: { statusCode: number } };
  expect(error.data.statusCode).toBe(401);

  const limited = await runOpencode(server, 'opencode-faults', { cwd: repo, model: MODEL });
  expect(limited.exitCode).toBe(0);
  expect(limited.events.find((e) => e.type === 'text')?.part).toMatchObject({ text: 'Done after the 429.' });
  const faults = server.log.records.filter((r) => r.peer === 'opencode-faults' && r.kind !== 'auxiliary');
  expect(faults.map((r) => [r.tick, r.kind, r.status])).toEqual([
    [0, 'fault', 401],
    [1, 'fault', 429],
    [1, 'reply', 200],
  ]);
  expect(parseUsage('opencode', limited.stdout, limited.stderr)).toEqual({ tokens: 44, usd: 0 });
}, 50_000);
