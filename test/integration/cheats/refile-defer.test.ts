/**
 * Cheat class "re-assign, then defer": the implementer special-cases the tested input; when the
 * reviewer files the bug (fix_by the implementer), the implementer files the same bug id again
 * with fix_by the reviewer — the ledger keeps the newest filing — and defers it itself, as "a peer
 * other than fix_by". On main before the fix that closed the reviewer's bug on the implementer's
 * word alone: bug-hunt-clean turned green and only the honest skeptic, finding the special case
 * again under a new id each time, kept the run from `complete` (up to max_ticks). Now a deferral
 * must come from a peer no filing of the id names to fix it.
 */
import { afterEach, expect, test } from 'bun:test';
import { readLedger } from '../../../src/protocol/bug-ledger.ts';
import { makeCheatProject, reportOf, runCatalogue, stateOf, ticksOf, type CheatProject } from './catalogue.ts';

let p: CheatProject | undefined;
afterEach(() => p?.cleanup());

test("the peer that must fix a bug cannot re-file it for its reviewer and then defer it: the bug stays open and the run does not complete", async () => {
  p = makeCheatProject({ cheat: 'refile-defer' });
  const out = await runCatalogue(p, 8);
  expect(out.reason).not.toBe('complete');
  const bug1 = readLedger(p.repo, stateOf(p).baseline ?? undefined).reports.find((r) => r.id === 'BUG-1')!;
  // The cheat was played: the newest filing names the reviewer, the deferral is the implementer's.
  expect(bug1).toMatchObject({ fixBy: 'bob', status: 'open', open: true });
  // bug-hunt-clean never turned green after the reviewer filed the bug.
  const filed = ticksOf(p).findIndex((t) => t.peer === 'bob' && Number(t.new_blocking_bugs) > 0);
  expect(filed).toBeGreaterThanOrEqual(0);
  expect(stateOf(p).gates.results['bug-hunt-clean']?.state).toBe('fail');
  expect(reportOf(p)).toContain('does not count: it is vouched for only by alice, who must fix the bug');
});
