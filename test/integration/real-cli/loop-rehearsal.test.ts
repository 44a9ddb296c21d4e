/**
 * The happy path end to end, offline: `peers loop` drives the real claude and codex CLIs against
 * the scripted model server playing the documented rehearsal scenario. They alternate for four
 * ticks, each making a real commit with the handoff trailers through its own tools (claude waits
 * out a 429 on its way), until the gates converge; the loop's token and USD totals equal what
 * the server served.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadScenarioFile } from '../../../src/model-server/load-scenario.ts';
import { startModelServer, type ModelServerHandle } from '../../../src/model-server/server.ts';
import { parseTrailers } from '../../../src/git/trailers.ts';
import { ensureTestUser, gitAsUser, makeLoopProject, runLoopAsUser, type LoopProject } from './harness.ts';
import { requires } from '../../requirements.ts';

/** Skipped, with the reason printed, where claude or codex is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('claude', 'codex');

const REHEARSAL = resolve(import.meta.dir, '../../fixtures/scenarios/rehearsal.yaml');

let server: ModelServerHandle;
let project: LoopProject;

beforeAll(() => {
  if (!need.ok) return;
  ensureTestUser();
  server = startModelServer({ scenario: loadScenarioFile(REHEARSAL), port: 0 });
  project = makeLoopProject(server, {
    goals: [{ id: 'first-note', type: 'hard', cmd: 'test -f notes/rehearsal-claude-1.md', pass_when: 'exit_code == 0' }],
    goalsSettings: { convergence_n: 4 },
  });
});

afterAll(async () => {
  if (!need.ok) return;
  await server.stop();
  project.cleanup();
});

test.skipIf(!need.ok)('claude and codex alternate through peers loop until the gates converge; totals match the server', async () => {
  const run = await runLoopAsUser(project, ['--no-skeptic', '--max-ticks', '8']);
  expect(`${run.stdout}\n${run.stderr}`).toContain('Stopped: complete');
  expect(run.exitCode).toBe(0);
  expect(run.stopReason).toBe('complete');
  const repo = project.repo;

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

  const state = JSON.parse(readFileSync(join(project.stateDir, 'state.json'), 'utf8')) as { budget: { spent_tokens: number; spent_usd: number } };
  const claude = server.log.totals('claude');
  const codex = server.log.totals('codex');
  // Claude reports all four token kinds; Codex reports input (cached included) and output.
  const claudeTokens = claude.input_tokens + claude.output_tokens + claude.cache_read_tokens + claude.cache_write_tokens;
  const codexTokens = codex.input_tokens + codex.cache_read_tokens + codex.output_tokens;
  expect(state.budget.spent_tokens).toBe(claudeTokens + codexTokens);
  // Only Claude Code reports cost; its price table matches the scenario's, so the USD agree exactly.
  expect(state.budget.spent_usd).toBeCloseTo(claude.cost_usd, 9);
}, 180_000);
