/**
 * Tamper evidence through the real loop with shell-script peers: test markers named with
 * file:line, committed `.peers/` edits that change nothing, and reviews that die with a reverted turn.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRunSummary } from '../../../src/report/run-summary.ts';
import { reportMarkdown } from '../../../src/report/run-report.ts';
import { loop, makeProject, promptOf, state, ticks, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

const warningsOf = (t: Record<string, unknown>, key = 'warnings_emitted') => (t[key] as string[] | undefined) ?? [];

describe('test markers', () => {
  test('a new skip and a deleted test are named with file and line in runs.jsonl, the next prompts and the report', async () => {
    p = makeProject({ peers: { alice: 'skips-tests', bob: 'always-handoff' } });
    await loop(p, { maxTicks: 3 });
    const t = ticks(p);
    const skip = "test-marker: test/calc.test.js:2: skip: test.skip('divides', () => {});";
    expect(warningsOf(t[0]!)).toContain(skip);
    expect(warningsOf(t[0]!, 'warnings_for_peer')).toContain(skip);
    // the counterpart sees it in the very next prompt, the peer itself in its own next turn
    expect(promptOf(p, t[1]!)).toContain(skip);
    expect(promptOf(p, t[2]!)).toContain(skip);
    expect(warningsOf(t[2]!)).toContain("test-marker: test/calc.test.js:1: deleted-test: removed test('adds', () => {});");
    // bob's clean turn reports nothing of the kind
    expect(warningsOf(t[1]!).filter((w) => w.startsWith('test-marker:'))).toEqual([]);
    const report = reportMarkdown(readRunSummary(p.stateDir), 'demo');
    expect(report).toContain('| test markers (skip/xfail/only, disabled or deleted tests) | 2 |');
  });
});

describe('control plane', () => {
  test('goals committed to .peers/ by a peer change nothing the loop enforces; the edit is logged, shown next and counted', async () => {
    const impossible = { id: 'never-green', type: 'hard', cmd: 'test -f never-there.txt', pass_when: 'exit_code == 0' };
    p = makeProject({ peers: { alice: 'edits-goals', bob: 'always-handoff' }, goals: [impossible], goalsSettings: { convergence_n: 1 } });
    const out = await loop(p, { maxTicks: 3 });
    // With goals: [] the run would have converged; the snapshot still holds the failing gate.
    expect(out.reason).toBe('max_ticks');
    const t = ticks(p);
    expect(readFileSync(join(p.repo, '.peers', 'goals.yaml'), 'utf8')).toBe('goals: []\n');
    expect(readFileSync(join(p.stateDir, 'snapshot', 'goals.yaml'), 'utf8')).toContain('never-green');
    expect(t.map((x) => (x.gates as { hard: Record<string, string> }).hard['never-green'])).toEqual(['fail', 'fail', 'fail']);
    // the committed edit is found in the tick's commit range (the file was not tracked before: "added")
    const edit = warningsOf(t[0]!).find((w) => w.startsWith('control-plane edit detected'));
    expect(edit).toContain('.peers/goals.yaml added');
    expect(promptOf(p, t[1]!)).toContain('control-plane edit detected (.peers/goals.yaml added)');
    // reported once, not on every later tick while the live file still differs
    expect(t.slice(1).flatMap((x) => warningsOf(x)).filter((w) => w.startsWith('control-plane edit'))).toEqual([]);
    const report = reportMarkdown(readRunSummary(p.stateDir), 'demo');
    expect(report).toContain('| control-plane (.peers/) edits detected | 1 |');
  });
});

describe('anti-cheat revert and soft reviews', () => {
  test("a reverted turn's reviews do not count toward consensus", async () => {
    const soft = { id: 'docs-clear', type: 'soft', prompt: 'Is the README clear?', reviewer: 'other', consensus_needed: 3 };
    p = makeProject({ peers: { alice: 'reviews-then-games-tests', bob: 'reviews-as' }, goals: [soft] });
    await loop(p, { maxTicks: 3 });
    const t = ticks(p);
    expect(t.map((x) => [x.peer, (x.anti_cheat as { action: string } | null)?.action ?? 'none', x.soft_reviews_ingested])).toEqual([
      ['alice', 'warn', 1],
      ['bob', 'none', 1],
      ['alice', 'revert', 0],
    ]);
    expect(warningsOf(t[2]!)).toContain('1 soft review(s) by alice not counted: they were part of the reverted turn');
    const st = state(p).soft_status['docs-clear'] as { consensusCount: number; history: Array<{ reviewer: string; stale?: boolean }> };
    // alice's first vote came before her own test change in the same turn, which voided it (a pass
    // vote counts only for the code it read); bob's stands, and the reverted turn's adds nothing.
    expect(st.consensusCount).toBe(1);
    expect(st.history.map((h) => [h.reviewer, h.stale ?? false])).toEqual([['alice', true], ['bob', false]]);
    expect((t[2]!.gates as { soft: Record<string, string> }).soft['docs-clear']).toBe('1/3');
    const report = reportMarkdown(readRunSummary(p.stateDir), 'demo');
    expect(report).toContain('| anti-cheat warnings / reverts / justified test-only turns | 1 / 1 / 0 |');
  });
});

describe('justified test-only turns', () => {
  test("JUSTIFIED-TEST-ONLY in the author's own commit does not count: warned, then reverted", async () => {
    p = makeProject({ peers: { alice: 'justified-test-only', bob: 'always-handoff' } });
    await loop(p, { maxTicks: 3 });
    const t = ticks(p);
    expect(t.map((x) => [x.peer, x.success, (x.anti_cheat as { action: string } | null)?.action ?? 'none'])).toEqual([
      ['alice', true, 'warn'],
      ['bob', true, 'none'],
      ['alice', false, 'revert'],
    ]);
    expect(promptOf(p, t[1]!)).toContain('Its own JUSTIFIED-TEST-ONLY does not count: only another peer can justify a test-only turn.');
    const report = reportMarkdown(readRunSummary(p.stateDir), 'demo');
    expect(report).toContain('| anti-cheat warnings / reverts / justified test-only turns | 1 / 1 / 0 |');
    expect(report).toContain('| self-attested-escape |');
  });

  test('JUSTIFIED-TEST-ONLY written by the other peer is honoured, and every peer is asked to audit it', async () => {
    p = makeProject({ peers: { alice: 'test-only', bob: 'authorises-test-only' } });
    await loop(p, { maxTicks: 3 });
    const t = ticks(p);
    expect(t.map((x) => [x.peer, x.success, (x.anti_cheat as { action: string } | null)?.action ?? 'none'])).toEqual([
      ['alice', true, 'warn'], // nobody has vouched for it yet
      ['bob', true, 'none'],
      ['alice', true, 'accept-justified'], // bob's line since alice's last turn
    ]);
    expect(warningsOf(t[2]!)).toContain("anti-cheating: accepted alice's test-only handoff because bob wrote JUSTIFIED-TEST-ONLY. Audit it: the empty-input class has no test; add tests only");
    expect(state(p).peers.alice!.state).toBe('healthy');
    const report = reportMarkdown(readRunSummary(p.stateDir), 'demo');
    expect(report).toContain('| anti-cheat warnings / reverts / justified test-only turns | 1 / 0 / 1 |');
  });
});
