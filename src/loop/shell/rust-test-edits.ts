/**
 * The git side of rust-unit-tests.ts: the index records that give a counterfactual tree the unit
 * tests the run's Rust files started with (baseline-tests-run.ts). Reads every `.rs` file of both
 * trees once (test modules are declared by files the run may not have changed), and writes the
 * merged texts as blobs of the trusted mirror that no ref names. Throws when a file cannot be read
 * or split: the caller holds (fail closed).
 */
import { blobTexts, commitTree, type TreeEntry } from '../../git/commit-files.ts';
import { git, gitOk } from '../../git/git.ts';
import { parseRawDiffZ } from '../../git/tree-changes.ts';
import { isTestOnlyFile, testModuleFiles, withStartTests } from '../../protocol/rust-unit-tests.ts';
import { isTestPath } from '../../protocol/test-paths.ts';

export type RustTestEdits = { indexInfo: string; paths: string[] };

const isRust = (e: { path: string; mode: string }) => e.path.endsWith('.rs') && e.mode !== '120000' && !isTestPath(e.path);

export function rustTestEdits(mirror: string, base: string, head: string): RustTestEdits {
  const raw = git(mirror, ['diff', '--raw', '-z', '--no-renames', '--no-abbrev', '--no-ext-diff', '--no-textconv', base, head], { maxBuffer: 256 * 1024 * 1024 });
  if (raw.code !== 0) throw new Error(`git diff --raw failed (exit ${raw.code}): ${raw.stderr.trim().slice(-300)}`);
  const changed = parseRawDiffZ(raw.stdout).filter((c) => c.path.endsWith('.rs') && !isTestPath(c.path));
  if (!changed.length) return { indexInfo: '', paths: [] };
  const startFiles = new Map(commitTree(mirror, base).filter(isRust).map((e) => [e.path, e]));
  const headFiles = new Map(commitTree(mirror, head).filter(isRust).map((e) => [e.path, e]));
  const texts = blobTexts(mirror, [...startFiles.values(), ...headFiles.values()].map((e) => e.blob));
  const textOf = (e: TreeEntry) => {
    const t = texts.get(e.blob);
    if (t === undefined) throw new Error(`${e.path} could not be read`);
    return t;
  };
  const testFiles = new Set<string>();
  const testDirs: string[] = [];
  const unsplit = new Map<string, string>();
  for (const e of [...startFiles.values(), ...headFiles.values()]) {
    try {
      const text = textOf(e);
      const declared = testModuleFiles(e.path, text);
      for (const f of declared.files) testFiles.add(f);
      testDirs.push(...declared.dirs);
      if (isTestOnlyFile(text)) testFiles.add(e.path);
    } catch (error) {
      unsplit.set(e.path, (error as Error).message);
    }
  }
  const isTestModule = (p: string) => testFiles.has(p) || testDirs.some((d) => p.startsWith(`${d}/`));
  // A file rustc never reads (a template, a fixture) may be no Rust at all: only one the run changed
  // outside a test module can hide a test module's declaration, and that one holds the run.
  for (const c of changed) {
    const why = unsplit.get(c.path);
    if (why && !isTestModule(c.path)) throw new Error(`${c.path} could not be split into items: ${why}`);
  }
  const records: string[] = [];
  const paths: string[] = [];
  for (const c of changed) {
    const before = startFiles.get(c.path);
    const after = headFiles.get(c.path);
    if (isTestModule(c.path)) {
      // A test module's file is a test file: put back as it was, or removed when the run added it.
      records.push(before ? `${before.mode} ${before.blob}\t${c.path}` : `0 ${'0'.repeat(c.sha.length)}\t${c.path}`);
      paths.push(c.path);
      continue;
    }
    if (!after) continue;
    const text = textOf(after);
    const merged = withStartTests(text, before ? textOf(before) : undefined);
    if (merged === text) continue;
    const blob = gitOk(mirror, ['hash-object', '-w', '--no-filters', '--stdin'], { input: merged }).trim();
    records.push(`${after.mode} ${blob}\t${c.path}`);
    paths.push(c.path);
  }
  return { indexInfo: records.map((r) => `${r}\0`).join(''), paths };
}
