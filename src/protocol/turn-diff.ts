/**
 * What kind of change a turn made, for the test-only rule (anti-cheat.ts): how many changed lines
 * are in tests, and how many are SUBSTANTIVE changes elsewhere. A comment, a blank line, a
 * whitespace-only edit or a documentation file cannot change what the product does, so they do not
 * make a turn "not test-only" (editing the failing assertion plus one comment line in a source
 * file is still a test-only turn). A test renamed or moved where the runner does not look counts
 * as a change to that test, whatever its new name. Pure over `git diff -U0 -w -M` text;
 * `turnDiff` is the git adapter.
 */
import { gitLines } from '../git/git.ts';
import { diffGitNames, patchLineName, READABLE_DIFF_FLAGS, renameLineName } from '../git/diff-header.ts';
import { commentStyleOf, diffCommentReader } from './comment-lines.ts';
import { isTestPath, movesTestOutOfReach } from './test-paths.ts';

export type TurnDiff = {
  testLines: number;
  /** Changed lines outside tests that can change behaviour. */
  srcLines: number;
  /** Changed lines that cannot: comments, blank lines, documentation. */
  cosmeticLines: number;
  testFiles: string[];
  srcFiles: string[];
  cosmeticFiles: string[];
};

const DOC_EXT = new Set('md markdown txt rst adoc org png jpg jpeg gif svg ico webp pdf'.split(' '));
const DOC_NAME = /^(LICEN[CS]E|COPYING|CHANGELOG|CHANGES|AUTHORS|CONTRIBUTORS|NOTICE)(\.|$)/i;

type FileClass = { kind: 'test' } | { kind: 'doc' } | { kind: 'code'; comments: ReturnType<typeof diffCommentReader> };

function classify(path: string, renamedFromTest: boolean): FileClass {
  if (renamedFromTest || isTestPath(path)) return { kind: 'test' };
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  const style = commentStyleOf(path);
  // `LICENSE`, `COPYING.GPL` are documents; `src/license.ts` is code that happens to share the name.
  if (DOC_EXT.has(ext) || (DOC_NAME.test(name) && style === null)) return { kind: 'doc' };
  return { kind: 'code', comments: diffCommentReader(style) };
}

/** A document (`README.md`, `LICENSE`, an image), not code a program runs: what classify() calls 'doc'. */
export function isDocumentPath(path: string): boolean {
  return classify(path, false).kind === 'doc';
}

/** Classifies `git diff -U0 -w --ignore-blank-lines -M --no-color` output. */
export function classifyTurnPatch(patch: string): TurnDiff {
  const classifier = turnPatchClassifier();
  for (const raw of patch.split('\n')) classifier.line(raw);
  return classifier.result;
}

/** classifyTurnPatch fed one diff line at a time (a diff is never held whole); `result` grows as it reads. */
export function turnPatchClassifier(): { line(raw: string): void; result: TurnDiff; srcLinesOf: Record<string, number> } {
  const d: TurnDiff = { testLines: 0, srcLines: 0, cosmeticLines: 0, testFiles: [], srcFiles: [], cosmeticFiles: [] };
  // Substantive lines per source file: moved to the tests when a file's change is its tests inside (withInSourceTests).
  const srcLinesOf: Record<string, number> = {};
  let file: FileClass | null = null;
  let path = '';
  let renameFrom = '';
  let fileCounted = { test: false, src: false, cosmetic: false };
  const note = (bucket: 'test' | 'src' | 'cosmetic', lines: number) => {
    if (bucket === 'test') d.testLines += lines;
    else if (bucket === 'src') (d.srcLines += lines), (srcLinesOf[path] = (srcLinesOf[path] ?? 0) + lines);
    else d.cosmeticLines += lines;
    if (!fileCounted[bucket]) {
      fileCounted[bucket] = true;
      (bucket === 'test' ? d.testFiles : bucket === 'src' ? d.srcFiles : d.cosmeticFiles).push(path);
    }
  };
  const startFile = (p: string) => {
    path = p;
    const fromTest = renameFrom !== '' && isTestPath(renameFrom);
    file = classify(p, fromTest);
    fileCounted = { test: false, src: false, cosmetic: false };
    // A test moved where the runner no longer finds it is changed even when no line differs.
    if (renameFrom !== '' && movesTestOutOfReach(renameFrom, p)) note('test', 1);
  };
  let inHeader = false;
  const line = (raw: string): void => {
    if (raw.startsWith('diff --git ')) {
      renameFrom = '';
      file = null;
      path = diffGitNames(raw)?.to ?? '';
      inHeader = true;
      return;
    }
    if (raw.startsWith('@@')) {
      if (!file) startFile(path);
      const f = file as FileClass;
      if (f.kind === 'code') f.comments.hunk();
      inHeader = false;
      return;
    }
    if (!inHeader) {
      if (!file || !(raw.startsWith('+') || raw.startsWith('-'))) return;
      const f = file as FileClass;
      if (f.kind === 'test') note('test', 1);
      else if (f.kind === 'doc') note('cosmetic', 1);
      else note(f.comments.cosmetic(raw) ? 'cosmetic' : 'src', 1);
      return;
    }
    if (raw.startsWith('rename from ')) {
      renameFrom = renameLineName(raw, 'rename from ') ?? '';
      return;
    }
    if (raw.startsWith('rename to ')) {
      startFile(renameLineName(raw, 'rename to ') ?? '');
      return;
    }
    if (raw.startsWith('Binary files ')) {
      if (!file) startFile(path);
      const f = file as FileClass | null;
      note(f?.kind === 'test' ? 'test' : f?.kind === 'doc' ? 'cosmetic' : 'src', 1);
      return;
    }
    if (raw.startsWith('+++ ') || raw.startsWith('--- ')) {
      // Quoted names, and the tab git ends a name with a space with, are read by diff-header.ts.
      if (raw.startsWith('+++ ') && !file) startFile(patchLineName(raw) ?? path);
      return;
    }
  };
  return { line, result: d, srcLinesOf };
}

/**
 * The classified diff of `before..after`; undefined when git cannot compare them. `inSource`: the
 * turn's changes to tests inside product files (withInSourceTests).
 */
export function turnDiff(repo: string, before: string, after: string, inSource?: InSourceTests): TurnDiff | undefined {
  // Streamed: a turn that commits a huge generated file is classified, not a buffer overflow.
  const classifier = turnPatchClassifier();
  const res = gitLines(repo, ['diff', '-U0', '-w', '--ignore-blank-lines', '-M', ...READABLE_DIFF_FLAGS, `${before}..${after}`, '--', '.', ':(exclude).peers'], classifier.line);
  if (res.code !== 0) return undefined;
  return inSource?.paths.length ? withInSourceTests(classifier.result, classifier.srcLinesOf, inSource) : classifier.result;
}

/**
 * Whether a whole-tree `git diff -M` of a range (read by another reader anyway: the skip-marker
 * scan) names any test path: if not, turnDiff of the same range can have no test line and no test
 * file (classify() makes a file a test only by its name or its rename source), so the turn is not
 * test-only and the loop skips that git call. Every name a header line gives counts (both halves of
 * `diff --git`, rename lines, `---`/`+++` before the first `@@`): a superset of the names turnDiff
 * reads, its `.peers` exclusion included. A header it cannot split counts as naming a test.
 */
export function testPathReader(): { line(raw: string): void; namesTests(): boolean } {
  let found = false;
  let inHeader = false;
  const see = (name: string | undefined) => {
    if (name === undefined || isTestPath(name)) found = true;
  };
  return {
    line(raw: string) {
      if (found) return;
      if (raw.startsWith('diff --git ')) {
        inHeader = true;
        const names = diffGitNames(raw);
        see(names?.from);
        see(names?.to);
      } else if (raw.startsWith('@@')) inHeader = false;
      else if (!inHeader) return;
      else if (raw.startsWith('rename from ')) see(renameLineName(raw, 'rename from '));
      else if (raw.startsWith('rename to ')) see(renameLineName(raw, 'rename to '));
      else if (raw.startsWith('--- ') || raw.startsWith('+++ ')) {
        // /dev/null (an added or deleted file) names nothing.
        if (raw.slice(4) !== '/dev/null') see(patchLineName(raw));
      }
    },
    namesTests: () => found,
  };
}

/** A turn's files whose tests inside changed, and those of them whose product code did not (in-source-test-edits.ts). */
export type InSourceTests = { paths: string[]; testsOnly: string[] };

/**
 * The diff with the tests inside product files counted as tests (in-source-tests.ts): a file
 * whose change is only its tests inside (`testsOnly`: a Rust `#[cfg(test)]` item, a docstring's
 * examples, a vitest block) has its lines moved to the tests, and every file whose tests inside
 * changed (`paths`) is a test file of the turn, so its tests are measured alone (tests-alone.ts).
 * Without this, a turn that only shadowed add() in src/lib.rs's test module was "source".
 */
export function withInSourceTests(d: TurnDiff, srcLinesOf: Record<string, number>, inSource: InSourceTests): TurnDiff {
  const out: TurnDiff = { ...d, testFiles: [...d.testFiles], srcFiles: [...d.srcFiles] };
  for (const path of inSource.paths) {
    if (inSource.testsOnly.includes(path)) {
      const lines = srcLinesOf[path] ?? 0;
      out.srcLines -= lines;
      out.testLines += Math.max(lines, 1);
      out.srcFiles = out.srcFiles.filter((f) => f !== path);
    }
    if (!out.testFiles.includes(path)) out.testFiles.push(path);
  }
  return out;
}

/** Test lines changed and nothing substantive elsewhere. */
export function isTestOnly(d: TurnDiff | undefined): boolean {
  return d !== undefined && d.testLines > 0 && d.srcLines === 0;
}
