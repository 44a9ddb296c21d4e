/**
 * HistoryFacts.authorsOfVote in a real repository: who wrote what a `reviewer: other` vote reads
 * (SECURITY.md, "No vote on your own change"). The vote's own commit counts when it changes code,
 * and a merge's every side is read, not its first parent's history alone.
 */
import { afterAll, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { HistoryFacts } from '../../../src/loop/shell/history-facts.ts';
import { makeAttestationView } from '../../../src/protocol/approvals.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);

const ident = ['-c', 'user.name=t', '-c', 'user.email=t@example.com'];

function commit(repo: string, files: Record<string, string>, message: string): string {
  for (const [p, text] of Object.entries(files)) writeFileSync(join(repo, p), text);
  gitOk(repo, ['add', '-A']);
  gitOk(repo, [...ident, 'commit', '-q', '--allow-empty', '-m', message]);
  return gitOk(repo, ['rev-parse', 'HEAD']).trim();
}

test("a vote's own commit, when it changes code, and every side of a merge are the voter's change under review; prose beside a vote is not", () => {
  const repo = tempDir('vote-authors-');
  gitOk(repo, ['init', '-q', '-b', 'main']);
  const base = commit(repo, { 'calc.mjs': 'return a - b;\n' }, 'start');
  const bobVote = commit(repo, {}, 'bob: Peer-Review-Of: code-review, pass');
  // alice special-cases the tested input and votes pass in the same commit.
  const sameCommit = commit(repo, { 'calc.mjs': 'if (a === 2) return 5;\nreturn a - b;\n' }, 'alice: special case and vote');
  // A notes file at the top beside a vote is prose: the vote still reads only others' code.
  const notesVote = commit(repo, { 'REVIEW-NOTES.md': 'read it\n' }, 'carol: notes and vote');
  // alice's special case on one side, an empty first parent, and the vote in the merge.
  gitOk(repo, ['checkout', '-q', '-b', 'side', bobVote]);
  const side = commit(repo, { 'calc.mjs': 'if (b === 3) return 5;\nreturn a - b;\n' }, 'alice: special case on a side');
  gitOk(repo, ['checkout', '-q', '-b', 'main2', bobVote]);
  commit(repo, {}, 'alice: empty first parent');
  gitOk(repo, [...ident, 'merge', '-q', '--no-ff', '-m', 'alice: merge and vote', 'side']);
  const mergeVote = gitOk(repo, ['rev-parse', 'HEAD']).trim();
  const peers = new Map<string, string>([[bobVote, 'bob'], [sameCommit, 'alice'], [notesVote, 'carol'], [side, 'alice']]);
  const view = makeAttestationView((sha) => peers.get(sha) ?? (sha === base ? 'operator' : 'alice'), []);
  const facts = new HistoryFacts(repo);
  expect([...facts.authorsOfVote(bobVote, sameCommit, view)]).toEqual(['alice']);
  expect([...facts.authorsOfVote(sameCommit, notesVote, view)]).toEqual([]);
  expect([...facts.authorsOfVote(bobVote, mergeVote, view)]).toEqual(['alice']);
  // A range that cannot be read names the voter.
  expect([...facts.authorsOfVote('0'.repeat(40), sameCommit, view)]).toEqual(['alice']);
});
