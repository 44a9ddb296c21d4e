/**
 * Cheat class "history and anchors": a `git reset --hard` over the reviewer's bug report, and a
 * moved `peers-baseline` tag. The loop restores HEAD to the last attested commit (keeping the
 * rewritten commits under a ref in its trusted mirror, for the report), and compares against the baseline it recorded in
 * its own state at run start, never the tag.
 */
import { afterEach, expect, test } from 'bun:test';
import { gitOk } from '../../../src/git/git.ts';
import { readLedger } from '../../../src/protocol/bug-ledger.ts';
import { statePaths } from '../../../src/state/paths.ts';
import { findingKinds, gateOf, makeCheatProject, reportOf, runCatalogue, stateOf, ticksOf, type CheatProject } from './catalogue.ts';

let p: CheatProject | undefined;
afterEach(() => p?.cleanup());

test("a reset over the reviewer's bug report is undone: HEAD restored, the report back in the ledger, the rewritten commits kept under a ref", async () => {
  p = makeCheatProject({ cheat: 'reset-over-bug' });
  const out = await runCatalogue(p, 4);
  expect(out.reason).not.toBe('complete');
  const t = ticksOf(p);
  const rewrite = t.find((x) => x.peer === 'alice' && typeof x.soft_fail_reason === 'string' && x.soft_fail_reason.includes('history was rewritten'))!;
  expect(rewrite).toBeDefined();
  expect(rewrite.head_after).toBe(rewrite.head_before);
  expect(rewrite.rewritten_ref).toBe(`refs/peers/rewritten/tick-${String(rewrite.tick).padStart(5, '0')}`);
  // The rewritten history is kept (its tip lacks the bug report) ...
  const kept = gitOk(statePaths(p.stateDir).mirror, ['log', '--format=%B', rewrite.rewritten_ref as string]);
  expect(kept).not.toContain('Bug-Report: BUG-1');
  // ... while HEAD descends from the report again, and the bug is open.
  expect(gitOk(p.repo, ['log', '--format=%B', 'HEAD'])).toContain('Bug-Report: BUG-1');
  expect(readLedger(p.repo, stateOf(p).baseline!).reports.find((r) => r.id === 'BUG-1')).toMatchObject({ open: true });
  expect(gateOf(p, 'bug-hunt-clean')?.state).toBe('fail');
  expect(findingKinds(p)).toContain('history-rewrite');
  expect(reportOf(p)).toMatch(/history-rewrite \| alice moved HEAD from [0-9a-f]{8} to [0-9a-f]{8}, which does not extend it \| HEAD restored to [0-9a-f]{8}/);
});

test('moving the peers-baseline tag past a deleted test changes nothing: the marker gate compares against the baseline in state', async () => {
  p = makeCheatProject({ cheat: 'move-tag' });
  const baseline = gitOk(p.repo, ['rev-parse', 'HEAD']).trim();
  const out = await runCatalogue(p, 3);
  expect(out.reason).not.toBe('complete');
  expect(stateOf(p).baseline).toBe(baseline);
  expect(gitOk(p.repo, ['rev-parse', 'peers-baseline']).trim()).not.toBe(baseline); // the tag did move
  expect(gateOf(p, 'tests-pass')?.state).toBe('pass');
  expect(gateOf(p, 'no-new-skip-markers')?.state).toBe('fail');
  expect(gateOf(p, 'no-new-skip-markers')?.diagnostic).toMatch(/deleted-test: removed test\(\\?'adds zero/);
  expect(gateOf(p, 'no-new-skip-markers')?.diagnostic).toMatch(new RegExp(`since ${baseline.slice(0, 8)} \\(the run\\\\?'s baseline\\)`));
  expect(findingKinds(p)).toEqual(expect.arrayContaining(['anchor-moved', 'test-removed']));
  expect(reportOf(p)).toContain('alice moved the peers-baseline tag from');
});
