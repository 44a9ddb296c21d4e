/**
 * The tick protocol end to end with the real CLIs: codex files a bug against claude's change,
 * claude fixes it, both review the soft goal (each blind to the other's self-review), the gates
 * converge, and the loop runs its skeptic tick before declaring the run complete.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelServerHandle } from '../../../src/model-server/server.ts';
import { ensureTestUser, gitAsUser, makeLoopProject, runLoopAsUser, startServer, type LoopProject } from './harness.ts';
import { requires } from '../../requirements.ts';

/** Skipped, with the reason printed, where claude or codex is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('claude', 'codex');

/** A commit through the CLI's shell tool: subject, body sections, trailers (handoff ones included). */
function commit(peer: string, subject: string, body: string[], trailers: string[]): { shell: string } {
  const message = [subject, '', ...body, '', `Peer: ${peer}`, 'Peer-Status: handoff', 'Self-Review: pass', ...trailers].join('\n');
  return { shell: `git add -A && git commit -q --allow-empty -F - <<'MSG'\n${message}\nMSG` };
}
const selfReview = (peer: string) => ['## Self-Review', `SELF-REVIEW-OF-${peer.toUpperCase()}: I checked my change.`];
const review = (pass: boolean) => ['## Review', JSON.stringify({ pass, notes: 'Read answer.txt; it is one clear line.' })];

const scenario = {
  version: 1,
  peers: {
    claude: {
      api: 'anthropic',
      ticks: [
        { name: 'implement', replies: [{ tool_calls: [{ write: { path: 'answer.txt', content: 'answer: 41\n' } }] }, { tool_calls: [commit('claude', 'Add the answer', selfReview('claude'), [])] }, { text: 'Done.' }] },
        {
          name: 'fix B1',
          replies: [
            { tool_calls: [{ read: 'answer.txt' }] },
            { tool_calls: [{ edit: { path: 'answer.txt', old: 'answer: 41', new: 'answer: 42' } }] },
            { tool_calls: [commit('claude', 'Fix the off-by-one answer', [...selfReview('claude'), '', JSON.stringify({ id: 'B1', status: 'fixed', note: 'now 42' })], ['Bug-Resolves: B1'])] },
            { text: 'Fixed B1.' },
          ],
        },
        { name: 'review', replies: [{ tool_calls: [commit('claude', 'Review: readable', [...review(true), '', ...selfReview('claude')], ['Peer-Review-Of: readable'])] }, { text: 'Reviewed.' }] },
      ],
    },
    codex: {
      api: 'responses',
      ticks: [
        {
          name: 'file B1',
          replies: [
            { tool_calls: [commit('codex', 'Bug: the answer is off by one', [JSON.stringify({ id: 'B1', severity: 'high', fix_by: 'claude', location: 'answer.txt:1', description: 'answer.txt says 41; the spec says 42' }), '', ...selfReview('codex')], ['Bug-Report: B1'])] },
            { text: 'Filed B1.' },
          ],
        },
        { name: 'review', replies: [{ tool_calls: [commit('codex', 'Review: readable', [...review(true), '', ...selfReview('codex')], ['Peer-Review-Of: readable'])] }, { text: 'Reviewed.' }] },
        {
          name: 'skeptic',
          replies: [{ tool_calls: [{ write: { path: 'AUDIT.md', content: 'Ruled out: empty file, trailing spaces, CRLF, wrong number, missing newline.\n' } }] }, { tool_calls: [commit('codex', 'Skeptic re-audit: nothing new', selfReview('codex'), [])] }, { text: 'No new findings.' }],
        },
      ],
    },
  },
};

let server: ModelServerHandle;
let project: LoopProject;

beforeAll(() => {
  if (!need.ok) return;
  ensureTestUser();
  server = startServer(scenario);
  project = makeLoopProject(server, {
    goals: [
      { id: 'answer-is-42', type: 'hard', cmd: 'grep -qx "answer: 42" answer.txt', pass_when: 'exit_code == 0' },
      { id: 'readable', type: 'soft', prompt: 'answer.txt is one clear line', reviewer: 'other', consensus_needed: 2 },
    ],
    goalsSettings: { convergence_n: 2 },
  });
});

afterAll(async () => {
  if (!need.ok) return;
  await server.stop();
  project.cleanup();
});

test.skipIf(!need.ok)('bug filed by codex, fixed by claude, blind reviews by both, then the skeptic tick and complete', async () => {
  const run = await runLoopAsUser(project, ['--max-ticks', '10']);
  expect(run.stopReason).toBe('complete');
  expect(run.exitCode).toBe(0);
  const ticks = run.runs.filter((r) => r.event === 'tick');
  expect(ticks.map((t) => [t.peer, t.skeptic, t.new_blocking_bugs, t.success])).toEqual([
    ['claude', false, 0, true], // implements (gate red: 41)
    ['codex', false, 1, true], // files B1 (high): clean-tick count resets
    ['claude', false, 0, true], // fixes B1 (gate green)
    ['codex', false, 0, true], // reviews the soft goal: pass
    ['claude', false, 0, true], // reviews too: consensus of two different reviewers
    ['codex', true, 0, true], // the skeptic re-audit finds nothing new → complete
  ]);
  expect(server.log.records.filter((r) => r.kind !== 'reply')).toEqual([]);

  const subjects = gitAsUser(project.repo, ['log', '--format=%s|%(trailers:key=Bug-Report,key=Bug-Resolves,key=Peer-Review-Of,valueonly,separator=%x2C)', 'HEAD~6..HEAD']).trim().split('\n').reverse();
  expect(subjects).toEqual(['Add the answer|', 'Bug: the answer is off by one|B1', 'Fix the off-by-one answer|B1', 'Review: readable|readable', 'Review: readable|readable', 'Skeptic re-audit: nothing new|']);
  expect(readFileSync(join(project.repo, 'answer.txt'), 'utf8')).toBe('answer: 42\n');

  // Blind review. The implementer's self-review notes are in the repository (commit bodies), so a
  // prompt that carried commit text would carry them; the reviewer's prompt carries the diff, the
  // goal and the commit subjects, never those notes.
  const bodies = gitAsUser(project.repo, ['log', '--format=%B', 'HEAD~6..HEAD']);
  expect(bodies).toContain('SELF-REVIEW-OF-CLAUDE: I checked my change.');
  const prompts = readdirSync(join(project.stateDir, 'prompts')).sort().map((f) => readFileSync(join(project.stateDir, 'prompts', f), 'utf8'));
  expect(prompts).toHaveLength(6);
  const codexReview = prompts[3]!; // tick 4: codex reviews `readable` after claude's fix
  expect(codexReview).toContain('SOFT REVIEWS REQUESTED');
  expect(codexReview).toContain('answer.txt is one clear line'); // the goal under review
  expect(codexReview).toContain('[claude] Fix the off-by-one answer'); // commit subjects do reach the prompt
  expect(codexReview).toContain('CHANGES TO REVIEW');
  // ...and so does the diff itself: since claude closed codex's bug, the whole run's, from the baseline
  // (src/protocol/fix-review.ts), so codex checks that what it filed is gone.
  expect(codexReview).toContain('another peer closed a bug as fixed');
  expect(codexReview).toContain('+answer: 42');
  expect(codexReview).not.toContain('-answer: 41');
  expect(prompts.filter((p) => p.includes('SELF-REVIEW-OF-') || p.includes('I checked my change'))).toEqual([]);
  expect(prompts.map((p) => p.includes('POST-CONVERGENCE SKEPTIC RE-AUDIT'))).toEqual([false, false, false, false, false, true]);
}, 180_000);
