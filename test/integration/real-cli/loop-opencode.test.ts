/**
 * `peers loop` with opencode as a peer, offline: claude and the real opencode CLI alternate
 * against the scripted model server, each committing with the handoff trailers through its own
 * tools, until the gate converges; the loop's token and USD totals (read from claude's result
 * envelope and opencode's step-finish events) equal what the server served to both.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelServerHandle } from '../../../src/model-server/server.ts';
import { parseTrailers } from '../../../src/git/trailers.ts';
import { CLAUDE_OPUS_PRICES, ensureTestUser, gitAsUser, handoffCommitCommand, makeLoopProject, runLoopAsUser, startServer, type LoopProject } from './harness.ts';
import { requires } from '../../requirements.ts';

/** Skipped, with the reason printed, where claude or opencode is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('claude', 'opencode');

const MODEL = 'claude-opus-5-5';
let server: ModelServerHandle;
let project: LoopProject;

function tick(peer: string, n: number) {
  return {
    name: `${peer} note ${n}`,
    replies: [
      { tool_calls: [{ write: { path: `notes/${peer}-${n}.md`, content: `${peer} was here (${n}).\n` } }], usage: { input_tokens: 1200, output_tokens: 80, cache_write_tokens: 400 } },
      { tool_calls: [{ shell: handoffCommitCommand(peer, `Add ${peer} note ${n}`) }], usage: { input_tokens: 300, output_tokens: 60, cache_read_tokens: 1600 } },
      { text: `Added ${peer} note ${n}.`, usage: { input_tokens: 100, output_tokens: 20, cache_read_tokens: 1900 } },
    ],
  };
}

beforeAll(() => {
  if (!need.ok) return;
  ensureTestUser();
  server = startServer({
    version: 1,
    prices: { [MODEL]: CLAUDE_OPUS_PRICES },
    peers: { claude: { api: 'anthropic', ticks: [tick('claude', 1), tick('claude', 2)] }, opencode: { api: 'anthropic', ticks: [tick('opencode', 1), tick('opencode', 2)] } },
  });
  project = makeLoopProject(server, {
    peers: ['claude', 'opencode'],
    opencodePrice: CLAUDE_OPUS_PRICES,
    goals: [{ id: 'first-note', type: 'hard', cmd: 'test -f notes/claude-1.md', pass_when: 'exit_code == 0' }],
    goalsSettings: { convergence_n: 4 },
  });
});

afterAll(async () => {
  if (!need.ok) return;
  await server.stop();
  project.cleanup();
});

test.skipIf(!need.ok)('claude and opencode alternate through peers loop until the gates converge; totals match the server', async () => {
  const run = await runLoopAsUser(project, ['--no-skeptic', '--max-ticks', '6']);
  expect(`${run.stdout}\n${run.stderr}`).toContain('Stopped: complete');
  expect(run.exitCode).toBe(0);
  expect(run.stopReason).toBe('complete');

  const repo = project.repo;
  const shas = gitAsUser(repo, ['log', '--format=%H', 'HEAD~4..HEAD']).trim().split('\n').reverse();
  const authors = shas.map((sha) => {
    const t = parseTrailers(gitAsUser(repo, ['log', '-1', '--format=%B', sha]));
    expect([t.get('Peer-Status'), t.get('Self-Review')]).toEqual(['handoff', 'pass']);
    return t.get('Peer');
  });
  expect(authors).toEqual(['claude', 'opencode', 'claude', 'opencode']);
  expect(readFileSync(join(repo, 'notes/opencode-2.md'), 'utf8')).toBe('opencode was here (2).\n');
  expect(server.log.records.filter((r) => r.kind === 'exhausted' || r.kind === 'error' || r.kind === 'fault')).toEqual([]);

  const state = JSON.parse(readFileSync(join(project.stateDir, 'state.json'), 'utf8')) as { budget: { spent_tokens: number; spent_usd: number } };
  const all = (t: ReturnType<typeof server.log.totals>) => t.input_tokens + t.output_tokens + t.cache_read_tokens + t.cache_write_tokens;
  const claude = server.log.totals('claude');
  const opencode = server.log.totals('opencode');
  expect(opencode.replies).toBe(6);
  expect(state.budget.spent_tokens).toBe(all(claude) + all(opencode));
  expect(state.budget.spent_usd).toBeCloseTo(claude.cost_usd + opencode.cost_usd, 9);
}, 180_000);
