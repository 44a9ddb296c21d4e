/**
 * The git side of in-source-tests.ts: the index records that give `head`'s tree the tests inside
 * product files as `base` has them. Two directions, one operation: the counterfactual of "Green
 * with the tests the run started with" (HEAD's code, the run's start's tests: baseline-tests-run.ts)
 * and a turn's tests on the code it started from (base the turn's end, head its start:
 * tests-alone.ts, peer-turn.ts). Rust reads every `.rs` file of both trees once (test modules are
 * declared by files the run may not have changed); other languages only the changed files. The
 * merged texts are written as blobs of the trusted mirror that no ref names. Throws when a file
 * cannot be read or split: the caller holds (fail closed).
 */
import { blobTexts, commitTree, type TreeEntry } from '../../git/commit-files.ts';
import { git, gitOk } from '../../git/git.ts';
import { parseRawDiffZ } from '../../git/tree-changes.ts';
import { inSourceChange, mayHoldInSourceTests, UNREADABLE_NAME, withStartTestsOf } from '../../protocol/in-source-tests.ts';
import { isTestOnlyFile, testModuleFiles } from '../../protocol/rust-unit-tests.ts';
import { isTestPath } from '../../protocol/test-paths.ts';

export type InSourceTestEdits = {
  indexInfo: string;
  /** Files whose tests were put back as `base` has them. */
  paths: string[];
  /** Those of `paths` whose product code (all but the tests inside) is the same in both trees. */
  testsOnly: string[];
};

const isRust = (e: { path: string; mode: string }) => e.path.endsWith('.rs') && e.mode !== '120000' && !isTestPath(e.path);

/**
 * `candidates`: the only files that may have changed tests inside (inSourceCandidatesReader, from a
 * diff the caller read anyway); none, and no git process starts. Without it every changed file of
 * a language that can hold them is read.
 */
export function inSourceTestEdits(mirror: string, base: string, head: string, candidates?: readonly string[]): InSourceTestEdits {
  if (candidates && candidates.length === 0) return { indexInfo: '', paths: [], testsOnly: [] };
  const only = candidates && !candidates.includes(UNREADABLE_NAME) ? new Set(candidates) : undefined;
  const raw = git(mirror, ['diff', '--raw', '-z', '--no-renames', '--no-abbrev', '--no-ext-diff', '--no-textconv', base, head], { maxBuffer: 256 * 1024 * 1024 });
  if (raw.code !== 0) throw new Error(`git diff --raw failed (exit ${raw.code}): ${raw.stderr.trim().slice(-300)}`);
  // Symlinks and submodules hold no code of their own here.
  const changed = parseRawDiffZ(raw.stdout).filter((c) => mayHoldInSourceTests(c.path) && (!only || only.has(c.path)) && c.mode !== '120000' && c.mode !== '160000');
  if (!changed.length) return { indexInfo: '', paths: [], testsOnly: [] };
  const rustChanged = changed.some((c) => c.path.endsWith('.rs'));
  // Rust reads both whole trees (a test module is declared by a file the run may not have changed);
  // other languages only the changed files, whose blobs the raw diff names.
  let startFiles: Map<string, TreeEntry>;
  let headFiles: Map<string, TreeEntry>;
  if (rustChanged) {
    const wanted = new Set(changed.map((c) => c.path));
    const pick = (tree: TreeEntry[]) => new Map(tree.filter((e) => wanted.has(e.path) || isRust(e)).filter((e) => e.mode !== '120000').map((e) => [e.path, e]));
    startFiles = pick(commitTree(mirror, base));
    headFiles = pick(commitTree(mirror, head));
  } else {
    const side = (mode: string | undefined, blob: string | undefined, path: string): [string, TreeEntry][] =>
      mode && blob && !/^0+$/.test(mode) && mode !== '120000' && mode !== '160000' ? [[path, { mode, blob, path }]] : [];
    startFiles = new Map(changed.flatMap((c) => side(c.oldMode, c.oldSha, c.path)));
    headFiles = new Map(changed.flatMap((c) => (c.deleted ? [] : side(c.mode, c.sha, c.path))));
  }
  const texts = blobTexts(mirror, [...startFiles.values(), ...headFiles.values()].map((e) => e.blob));
  const textOf = (e: TreeEntry | undefined) => {
    if (!e) return undefined;
    const t = texts.get(e.blob);
    if (t === undefined) throw new Error(`${e.path} could not be read`);
    return t;
  };
  const testFiles = new Set<string>();
  const testDirs: string[] = [];
  const unsplit = new Map<string, string>();
  for (const e of [...startFiles.values(), ...headFiles.values()].filter(isRust)) {
    try {
      const text = textOf(e)!;
      const declared = testModuleFiles(e.path, text);
      for (const f of declared.files) testFiles.add(f);
      testDirs.push(...declared.dirs);
      if (isTestOnlyFile(text)) testFiles.add(e.path);
    } catch (error) {
      unsplit.set(e.path, (error as Error).message);
    }
  }
  const isTestModule = (p: string) => p.endsWith('.rs') && (testFiles.has(p) || testDirs.some((d) => p.startsWith(`${d}/`)));
  // A file rustc never reads (a template, a fixture) may be no Rust at all: only one the run changed
  // outside a test module can hide a test module's declaration, and that one holds the run.
  for (const c of changed) {
    const why = unsplit.get(c.path);
    if (why && !isTestModule(c.path)) throw new Error(`${c.path} could not be split into items: ${why}`);
  }
  const records: string[] = [];
  const paths: string[] = [];
  const testsOnly: string[] = [];
  for (const c of changed) {
    const before = startFiles.get(c.path);
    const after = headFiles.get(c.path);
    if (isTestModule(c.path)) {
      // A Rust test module's file is a test file: put back as it was, or removed when `base` lacks it.
      records.push(before ? `${before.mode} ${before.blob}\t${c.path}` : `0 ${'0'.repeat(c.sha.length)}\t${c.path}`);
      paths.push(c.path);
      testsOnly.push(c.path);
      continue;
    }
    if (!after) continue;
    const text = textOf(after)!;
    const startText = textOf(before);
    let merged: string;
    try {
      merged = withStartTestsOf(c.path, text, startText);
    } catch (error) {
      throw new Error(`${c.path}: ${(error as Error).message}`);
    }
    if (merged === text) continue;
    const blob = gitOk(mirror, ['hash-object', '-w', '--no-filters', '--stdin'], { input: merged }).trim();
    records.push(`${after.mode} ${blob}\t${c.path}`);
    paths.push(c.path);
    if (!inSourceChange(c.path, startText, text).product) testsOnly.push(c.path);
  }
  return { indexInfo: records.map((r) => `${r}\0`).join(''), paths, testsOnly };
}

/**
 * A turn's changes to the tests inside product files: the records giving the code the turn started
 * from (`before`) the tests its end (`after`) has, and which files changed only those tests (the
 * test-only and tests-alone rules, anti-cheat.ts). Undefined when unreadable: the turn is judged
 * by paths, and the convergence measure, which fails closed, still holds the run.
 */
export function turnInSourceTests(mirror: string, before: string, after: string, candidates?: readonly string[]): InSourceTestEdits | undefined {
  try {
    return inSourceTestEdits(mirror, after, before, candidates);
  } catch {
    return undefined;
  }
}
