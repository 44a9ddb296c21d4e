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
import { parseRawDiffZ } from '../git/tree-changes.ts';
import { makeScratchDir } from '../proc/scratch-dir.ts';
import { SUBSTRATE_GIT_ENV, SUBSTRATE_PEER } from './approvals.ts';
import { isTestPath } from './test-paths.ts';

export type TestSide = {
  paths: string[];
  /** Those of `paths` the change deletes (their record is a removal). */
  deleted: string[];
  indexInfo: string;
};

/**
 * The test-path entries of `git diff --raw -z --no-renames` output, as the records
 * `git update-index -z --index-info` takes (a deletion is mode 0). Without rename detection a test
 * moved out of the tests is its deletion (test side) and an addition elsewhere (not).
 */
export function testSideEntries(rawZ: string): TestSide {
  const paths: string[] = [];
  const deleted: string[] = [];
  const records: string[] = [];
  for (const c of parseRawDiffZ(rawZ)) {
    if (!c.path || !isTestPath(c.path)) continue;
    paths.push(c.path);
    const gone = c.deleted || /^0+$/.test(c.mode);
    if (gone) deleted.push(c.path);
    records.push(gone ? `0 ${'0'.repeat(c.sha.length)}\t${c.path}` : `${c.mode} ${c.sha}\t${c.path}`);
  }
  return { paths, deleted, indexInfo: records.map((r) => `${r}\0`).join('') };
}

/**
 * A commit in `mirror` whose parent is `from` and whose tree is `from`'s with the test changes of
 * `from..to` applied (test-paths.ts decides what a test is), or null when `from..to` changed no
 * test. Throws when git cannot build it. The same operation serves both directions: a turn's
 * tests on the code it started from (here), and the tests a run started with on its HEAD's code
 * (baseline-tests.ts, with `to` the run's start). `extraIndexInfo`: more records of the same form
 * (baseline-tests.ts's renamed product files at their old paths, Rust files with their unit tests
 * put back); `alwaysBuild`: those records are test changes of their own (the commit is built even
 * when no test path changed).
 */
export function commitWithTestChangesOf(mirror: string, from: string, to: string, message: string, extraIndexInfo = '', alwaysBuild = false): { sha: string; side: TestSide } | null {
  const ok = (res: { code: number; stdout: string; stderr: string }, what: string): string => {
    if (res.code !== 0) throw new Error(`git ${what} failed (exit ${res.code}): ${res.stderr.trim().slice(-300)}`);
    return res.stdout;
  };
  const raw = ok(git(mirror, ['diff', '--raw', '-z', '--no-renames', '--no-abbrev', '--no-ext-diff', '--no-textconv', from, to], { maxBuffer: 256 * 1024 * 1024 }), 'diff --raw');
  const side = testSideEntries(raw);
  if (side.paths.length === 0 && !alwaysBuild) return null;
  // Beside the mirror, on disk: an index of a large tree would not fit the pod's small /tmp.
  const scratch = makeScratchDir('peers-test-side-', mirror);
  try {
    const env = { GIT_INDEX_FILE: join(scratch, 'index') };
    ok(git(mirror, ['read-tree', from], { env }), 'read-tree');
    ok(git(mirror, ['update-index', '--replace', '-z', '--index-info'], { env, input: side.indexInfo + extraIndexInfo }), 'update-index');
    const tree = ok(git(mirror, ['write-tree'], { env }), 'write-tree').trim();
    const sha = ok(git(mirror, ['commit-tree', tree, '-p', from], { env: SUBSTRATE_GIT_ENV, input: `${message}\n\nPeer: ${SUBSTRATE_PEER}\n` }), 'commit-tree').trim();
    return { sha, side };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * A commit whose parent is `before` and whose tree is `before`'s with the test changes of
 * `before..after` applied; undefined when the turn changed no test, or git could not build it
 * (the caller then has nothing to measure, as before this check existed). `inSource`: the
 * records giving `before`'s product files the turn's tests inside them (in-source-test-edits.ts).
 */
export function testsAloneCommit(mirror: string, before: string, after: string, inSource?: { indexInfo: string; paths: string[] }): { sha: string; paths: string[] } | undefined {
  try {
    const extra = inSource?.paths.length ? inSource : undefined;
    const made = commitWithTestChangesOf(mirror, before, after, `Tests alone: the test changes of ${before}..${after} on ${before}`, extra?.indexInfo ?? '', extra !== undefined);
    return made ? { sha: made.sha, paths: [...made.side.paths, ...(extra?.paths ?? [])] } : undefined;
  } catch {
    return undefined;
  }
}
