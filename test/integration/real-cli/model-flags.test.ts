/**
 * The model and reasoning settings of config.yaml, turned into argv by buildPeerArgv, are accepted
 * by the installed CLI versions: each documented level appears in the CLI's own --help, the CLI
 * runs with it, and the model server sees the model and effort in the request it receives.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { execFileSync } from 'node:child_process';
import { PeerSpecSchema, REASONING_BY_TOOL } from '../../../src/config/config-schema.ts';
import { buildPeerArgv } from '../../../src/config/peer-argv.ts';
import { CLAUDE_PRINT_ARGV, CODEX_EXEC_ARGV } from '../../../src/model-server/cli-wiring.ts';
import type { ModelServerHandle } from '../../../src/model-server/server.ts';
import { CLAUDE_BIN, CODEX_BIN, ensureTestUser, removeDir, runClaude, runCodex, startServer, userDir } from './harness.ts';
import { requires } from '../../requirements.ts';

/** Skipped, with the reason printed, where claude or codex is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('claude', 'codex');

const CLAUDE_MODEL = 'claude-opus-5-5';
const CODEX_MODEL = 'gpt-5.5';
const claudeLevels = REASONING_BY_TOOL.claude;
const codexLevels = REASONING_BY_TOOL.codex;

let server: ModelServerHandle;
let cwd: string;

beforeAll(() => {
  if (!need.ok) return;
  ensureTestUser();
  cwd = userDir('flags');
  const peers: Record<string, unknown> = {};
  for (const level of claudeLevels) peers[`claude-${level}`] = { api: 'anthropic', ticks: [{ replies: [{ text: `effort ${level}` }] }] };
  for (const level of codexLevels) peers[`codex-${level}`] = { api: 'responses', ticks: [{ replies: [{ text: `effort ${level}` }] }] };
  peers['claude-sonnet-xhigh'] = { api: 'anthropic', ticks: [{ replies: [{ text: 'downgraded' }] }] };
  server = startServer({ version: 1, peers });
});

afterAll(async () => {
  if (!need.ok) return;
  await server.stop();
  removeDir(cwd);
});

const help = (bin: string, args: string[]) => execFileSync(bin, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp' } }).toString();

describe.skipIf(!need.ok)('claude', () => {
  test('--help documents --model and exactly the effort levels the config accepts', () => {
    const text = help(CLAUDE_BIN, ['--help']).replace(/\s+/g, ' ');
    expect(text).toContain('--model <model>');
    expect(text).toContain(`--effort <level> Effort level for the current session (${claudeLevels.join(', ')})`);
  });

  for (const level of claudeLevels) {
    test(`model and reasoning '${level}' reach the API as model and output_config.effort`, async () => {
      const peer = PeerSpecSchema.parse({ name: 'claude', tool: 'claude', argv: ['claude', ...CLAUDE_PRINT_ARGV], model: CLAUDE_MODEL, reasoning: level });
      const built = buildPeerArgv(peer, 'Say something.');
      const run = await runClaude(server, `claude-${level}`, { cwd, args: built.argv.slice(1), prompt: built.stdin });
      expect(run.exitCode).toBe(0);
      const [req] = server.log.records.filter((r) => r.peer === `claude-${level}`);
      expect([req?.model, req?.effort]).toEqual([CLAUDE_MODEL, level]);
      expect(run.events.findLast((e) => e.type === 'result')?.result).toBe(`effort ${level}`);
    }, 30_000);
  }

  test('a model without xhigh gets the nearest level: claude-sonnet-4-6 sends effort high for --effort xhigh', async () => {
    const run = await runClaude(server, 'claude-sonnet-xhigh', { cwd, extraArgs: ['--model', 'claude-sonnet-4-6', '--effort', 'xhigh'] });
    expect(run.exitCode).toBe(0);
    const [req] = server.log.records.filter((r) => r.peer === 'claude-sonnet-xhigh');
    expect([req?.model, req?.effort]).toEqual(['claude-sonnet-4-6', 'high']);
  }, 30_000);
});

describe.skipIf(!need.ok)('codex', () => {
  test('exec --help documents -c/--config and -m/--model', () => {
    const text = help(CODEX_BIN, ['exec', '--help']);
    expect(text).toContain('-c, --config <key=value>');
    expect(text).toContain('-m, --model <MODEL>');
  });

  for (const level of codexLevels) {
    test(`model and reasoning '${level}' reach the API as model and reasoning.effort`, async () => {
      const peer = PeerSpecSchema.parse({ name: 'codex', tool: 'codex', argv: ['codex', ...CODEX_EXEC_ARGV], model: CODEX_MODEL, reasoning: level });
      const built = buildPeerArgv(peer, 'Say something.');
      expect(built.argv).toContain(`model_reasoning_effort="${level}"`);
      const run = await runCodex(server, `codex-${level}`, { cwd, args: built.argv.slice(1), prompt: built.stdin });
      expect(run.exitCode).toBe(0);
      const [req] = server.log.records.filter((r) => r.peer === `codex-${level}`);
      expect([req?.model, req?.effort]).toEqual([CODEX_MODEL, level]);
    }, 30_000);
  }
});
