/**
 * The happy path end to end, offline: `peers loop` drives the real claude and codex CLIs against
 * the scripted model server playing the documented rehearsal scenario. They alternate for four
 * ticks, each making a real commit with the handoff trailers through its own tools (claude waits
 * out a 429 on its way), until the gates converge; the loop's token and USD totals equal what
 * the server served.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { loadScenarioFile } from '../../../src/model-server/load-scenario.ts';
import { CLAUDE_PRINT_ARGV, CODEX_EXEC_ARGV, claudeEnv, codexEnv, codexProviderArgs } from '../../../src/model-server/cli-wiring.ts';
import { startModelServer, type ModelServerHandle } from '../../../src/model-server/server.ts';
import { supervise } from '../../../src/proc/supervise.ts';
import { parseTrailers } from '../../../src/protocol/trailers.ts';
import { CLAUDE_BIN, CODEX_BIN, IS_ROOT, TEST_USER, ensureTestUser, giveToTestUser, gitAsUser, makeRepo, removeDir, userDir } from './harness.ts';

const REHEARSAL = resolve(import.meta.dir, '../../fixtures/scenarios/rehearsal.yaml');
const MAIN = resolve(import.meta.dir, '../../../src/main.ts');

let server: ModelServerHandle;
let repo: string;
let root: string;

beforeAll(() => {
  ensureTestUser();
  server = startModelServer({ scenario: loadScenarioFile(REHEARSAL), port: 0 });
  repo = makeRepo();
  root = userDir('loop');
  for (const d of ['claude-home', 'codex-home', 'state']) mkdirSync(join(root, d));
  giveToTestUser(root);
  const serverUrl = server.url!;
  mkdirSync(join(repo, '.peers'));
  writeFileSync(join(repo, '.gitignore'), '.peers/\n');
  writeFileSync(
    join(repo, '.peers', 'config.yaml'),
    stringify({
      peers: [
        { name: 'claude', tool: 'claude', argv: [CLAUDE_BIN, ...CLAUDE_PRINT_ARGV], model: 'claude-opus-5-5', env: claudeEnv({ serverUrl, peer: 'claude', home: join(root, 'claude-home') }) },
        {
          name: 'codex',
          tool: 'codex',
          argv: [CODEX_BIN, ...CODEX_EXEC_ARGV, ...codexProviderArgs({ serverUrl, peer: 'codex' })],
          model: 'gpt-5.5',
          env: { ...codexEnv(join(root, 'codex-home')), HOME: join(root, 'codex-home') },
        },
      ],
      health: { idle_timeout_s: 30, absolute_max_runtime_s: 60, kill_grace_s: 2 },
      goals: { convergence_n: 4 },
    }),
  );
  writeFileSync(join(repo, '.peers', 'goals.yaml'), stringify({ goals: [{ id: 'first-note', type: 'hard', cmd: 'test -f notes/rehearsal-claude-1.md', pass_when: 'exit_code == 0' }] }));
  giveToTestUser(repo);
  gitAsUser(repo, ['add', '.gitignore']);
  gitAsUser(repo, ['commit', '-q', '-m', 'Ignore the control plane']);
});

afterAll(async () => {
  await server.stop();
  removeDir(repo);
  removeDir(root);
});

test('claude and codex alternate through peers loop until the gates converge; totals match the server', async () => {
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: join(root, 'claude-home'), LANG: 'C.UTF-8' };
  const loopArgv = [process.execPath, MAIN, 'loop', repo, '--state-dir', join(root, 'state'), '--no-skeptic', '--max-ticks', '8'];
  const envArgs = ['env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
  const run = await supervise({
    argv: IS_ROOT ? ['runuser', '-u', TEST_USER, '--', ...envArgs, ...loopArgv] : [...envArgs, ...loopArgv],
    cwd: repo,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    absoluteTimeoutMs: 50_000,
  });
  expect(`${run.stdout}\n${run.stderr}`).toContain('Stopped: complete');
  expect(run.exitCode).toBe(0);

  // Four real commits, alternating, each with the tick protocol's trailers.
  const log = gitAsUser(repo, ['log', '--format=%H', 'HEAD~4..HEAD']).trim().split('\n');
  const authors = log.reverse().map((sha) => {
    const t = parseTrailers(gitAsUser(repo, ['log', '-1', '--format=%B', sha]));
    expect([t.get('Peer-Status'), t.get('Self-Review')]).toEqual(['handoff', 'pass']);
    return t.get('Peer');
  });
  expect(authors).toEqual(['claude', 'codex', 'claude', 'codex']);
  expect(readFileSync(join(repo, 'notes/rehearsal-codex-1.md'), 'utf8')).toBe('codex was here (ticks 2 and 4).\n');

  const served = server.log.records;
  expect(served.filter((r) => r.kind === 'fault').map((r) => [r.peer, r.tick, r.fault])).toEqual([['claude', 1, 'rate_limit']]);
  expect(served.filter((r) => r.kind === 'exhausted' || r.kind === 'error')).toEqual([]);

  const state = JSON.parse(readFileSync(join(root, 'state', 'state.json'), 'utf8')) as { budget: { spent_tokens: number; spent_usd: number } };
  const claude = server.log.totals('claude');
  const codex = server.log.totals('codex');
  // Claude reports all four token kinds; Codex reports input (cached included) and output.
  const claudeTokens = claude.input_tokens + claude.output_tokens + claude.cache_read_tokens + claude.cache_write_tokens;
  const codexTokens = codex.input_tokens + codex.cache_read_tokens + codex.output_tokens;
  expect(state.budget.spent_tokens).toBe(claudeTokens + codexTokens);
  // Only Claude Code reports cost; its price table matches the scenario's, so the USD agree exactly.
  expect(state.budget.spent_usd).toBeCloseTo(claude.cost_usd, 9);
}, 55_000);
