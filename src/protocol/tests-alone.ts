/**
 * The code a turn started from, with only the turn's test changes applied: where the loop measures
 * whether a turn that changed source too owes its green gate to its tests alone (anti-cheat.ts).
 * A weakened assertion plus an unrelated source line, or a new test file that replaces the function
 * under test at import time (`calc.add = …` in a test pytest collects first) beside a harmless
 * source edit, is not test-only by its diff, yet the gate goes green with the source untouched.
 *
 * Test paths are test-paths.ts's, the same answer the test-only classification gives. The commit is
 * built in the trusted mirror on a private index (never in the peers' repository), by the loop's
 * substrate identity, and no ref names it: it exists only to be checked out by a gate run.
 * `testSideEntries` is pure over `git diff --raw -z --no-renames` output; `testsAloneCommit` is the
 * git adapter.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../git/git.ts';
import { makeScratchDir } from '../proc/scratch-dir.ts';
import { SUBSTRATE_PEER } from './approvals.ts';
import { isTestPath } from './test-paths.ts';

const SUBSTRATE_ENV = { GIT_AUTHOR_NAME: SUBSTRATE_PEER, GIT_AUTHOR_EMAIL: 'peers-substrate@local', GIT_COMMITTER_NAME: SUBSTRATE_PEER, GIT_COMMITTER_EMAIL: 'peers-substrate@local' };

export type TestSide = { paths: string[]; indexInfo: string };

/**
 * The test-path entries of `git diff --raw -z --no-renames --no-abbrev` output, as the records
 * `git update-index -z --index-info` takes (a deletion is mode 0). Without rename detection a test
 * moved out of the tests is its deletion (test side) and an addition elsewhere (not).
 */
export function testSideEntries(rawZ: string): TestSide {
  const parts = rawZ.split('\0');
  const paths: string[] = [];
  const records: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const meta = (parts[i] ?? '').replace(/^\n/, '');
    if (!meta.startsWith(':')) continue;
    const path = parts[++i] ?? '';
    const [, newMode, , newSha, status] = meta.slice(1).split(' ');
    if (!path || !newMode || !newSha || !status || !isTestPath(path)) continue;
    paths.push(path);
    records.push(status.startsWith('D') || /^0+$/.test(newMode) ? `0 ${'0'.repeat(newSha.length)}\t${path}` : `${newMode} ${newSha}\t${path}`);
  }
  return { paths, indexInfo: records.map((r) => `${r}\0`).join('') };
}

/**
 * A commit in `mirror` whose parent is `before` and whose tree is `before`'s with the test changes
 * of `before..after` applied; undefined when the turn changed no test, or git could not build it
 * (the caller then has nothing to measure, as before this check existed).
 */
export function testsAloneCommit(mirror: string, before: string, after: string): { sha: string; paths: string[] } | undefined {
  const raw = git(mirror, ['diff', '--raw', '-z', '--no-renames', '--no-abbrev', '--no-ext-diff', '--no-textconv', before, after], { maxBuffer: 256 * 1024 * 1024 });
  if (raw.code !== 0) return undefined;
  const side = testSideEntries(raw.stdout);
  if (side.paths.length === 0) return undefined;
  const scratch = makeScratchDir('peers-tests-alone-');
  try {
    const env = { GIT_INDEX_FILE: join(scratch, 'index') };
    if (git(mirror, ['read-tree', before], { env }).code !== 0) return undefined;
    if (git(mirror, ['update-index', '-z', '--index-info'], { env, input: side.indexInfo }).code !== 0) return undefined;
    const tree = git(mirror, ['write-tree'], { env });
    if (tree.code !== 0) return undefined;
    const msg = `Tests alone: the test changes of ${before}..${after} on ${before}\n\nPeer: ${SUBSTRATE_PEER}\n`;
    const made = git(mirror, ['commit-tree', tree.stdout.trim(), '-p', before], { env: SUBSTRATE_ENV, input: msg });
    return made.code === 0 ? { sha: made.stdout.trim(), paths: side.paths } : undefined;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
