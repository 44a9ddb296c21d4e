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

/**
 * `prefixes`: what starts a comment that runs to the end of the line (and `*`, a block comment's
 * inner line); `blocks`: the delimiters of a comment that may end within the line, after which
 * the line may go on with code (`/* fast path *\/ if (a === 2) return 5;`); `code`: prefixes of
 * code that a comment prefix would take (PHP's `#[Attribute]`).
 */
type CommentStyle = { prefixes: string[]; blocks?: Array<[string, string]>; code?: string[] };
const SLASH: CommentStyle = { prefixes: ['//', '*'], blocks: [['/*', '*/']] };
const HASH: CommentStyle = { prefixes: ['#'] };
const DASH: CommentStyle = { prefixes: ['--'], blocks: [['--[[', ']]'], ['--[=[', ']=]'], ['{-', '-}']] };
const SEMI: CommentStyle = { prefixes: [';'] };
const MARKUP: CommentStyle = { prefixes: [], blocks: [['<!--', '-->']] };
const PHP: CommentStyle = { prefixes: ['//', '*', '#'], blocks: [['/*', '*/']], code: ['#['] };

const STYLE_BY_EXT: Record<string, CommentStyle> = {};
for (const e of 'js jsx mjs cjs ts tsx mts cts go rs c h cc cpp hpp cxx java kt kts swift cs scala dart groovy zig proto css scss less sol v'.split(' ')) STYLE_BY_EXT[e] = SLASH;
for (const e of 'py pyi sh bash zsh rb pl r yaml yml toml cfg ini conf mk ex exs nim cr tcl ps1'.split(' ')) STYLE_BY_EXT[e] = HASH;
for (const e of 'sql lua hs elm ada'.split(' ')) STYLE_BY_EXT[e] = DASH;
for (const e of 'lisp clj el scm asm s'.split(' ')) STYLE_BY_EXT[e] = SEMI;
for (const e of 'html htm xml vue svelte'.split(' ')) STYLE_BY_EXT[e] = MARKUP;
STYLE_BY_EXT.php = PHP;
const STYLE_BY_NAME: Record<string, CommentStyle> = { Makefile: HASH, GNUmakefile: HASH, Dockerfile: HASH, Containerfile: HASH, Rakefile: HASH, Gemfile: HASH };

const DOC_EXT = new Set('md markdown txt rst adoc org png jpg jpeg gif svg ico webp pdf'.split(' '));
const DOC_NAME = /^(LICEN[CS]E|COPYING|CHANGELOG|CHANGES|AUTHORS|CONTRIBUTORS|NOTICE)(\.|$)/i;

type FileClass = { kind: 'test' } | { kind: 'doc' } | { kind: 'code'; style: CommentStyle | null };

function classify(path: string, renamedFromTest: boolean): FileClass {
  if (renamedFromTest || isTestPath(path)) return { kind: 'test' };
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  const style = STYLE_BY_EXT[ext];
  // `LICENSE`, `COPYING.GPL` are documents; `src/license.ts` is code that happens to share the name.
  if (DOC_EXT.has(ext) || (DOC_NAME.test(name) && style === undefined)) return { kind: 'doc' };
  return { kind: 'code', style: style ?? STYLE_BY_NAME[name] ?? null };
}

/** A document (`README.md`, `LICENSE`, an image), not code a program runs: what classify() calls 'doc'. */
export function isDocumentPath(path: string): boolean {
  return classify(path, false).kind === 'doc';
}

/** The comment syntax of a file by its name (tests and documents included), null when unknown. */
export function commentStyleOf(path: string): CommentStyle | null {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return STYLE_BY_EXT[dot > 0 ? name.slice(dot + 1).toLowerCase() : ''] ?? STYLE_BY_NAME[name] ?? null;
}

/**
 * A line break a language honours that a diff shows inside one line (a lone CR, a line or paragraph
 * separator, NEL), raw or as visible-hidden.ts shows it: `# note<CR>if a == 2: return 5` is code to
 * Python and JavaScript, so a line holding one is never only a comment.
 */
const INNER_LINE_BREAK = /\r(?!$)|[\u2028\u2029\u0085]|<U\+(000D|2028|2029|0085)>/;

/** A line that changes nothing a program does: blank, or wholly a comment in its file's syntax. */
export function isCosmeticLine(text: string, style: CommentStyle | null): boolean {
  if (INNER_LINE_BREAK.test(text)) return false;
  const t = text.trim();
  if (t === '') return true;
  return style !== null && whollyComment(t, style);
}

/**
 * Whether trimmed `t` is comments only. A block comment that closes within the line leaves what
 * follows it to be judged again, as does the end of one opened on an earlier line: a line is not
 * a comment because it starts like one (`*\/ return 5;`, `/* x *\/ if (a === 2) return 5;`).
 */
function whollyComment(t: string, style: CommentStyle): boolean {
  if (t === '') return true;
  if (style.code?.some((c) => t.startsWith(c))) return false;
  for (const [open, close] of style.blocks ?? []) {
    if (t.startsWith(open)) {
      const end = t.indexOf(close, open.length);
      return end < 0 || whollyComment(t.slice(end + close.length).trim(), style);
    }
  }
  for (const [, close] of style.blocks ?? []) if (t.startsWith(close)) return whollyComment(t.slice(close.length).trim(), style);
  return style.prefixes.some((p) => t.startsWith(p));
}

/** Classifies `git diff -U0 -w --ignore-blank-lines -M --no-color` output. */
export function classifyTurnPatch(patch: string): TurnDiff {
  const classifier = turnPatchClassifier();
  for (const raw of patch.split('\n')) classifier.line(raw);
  return classifier.result;
}

/** classifyTurnPatch fed one diff line at a time (a diff is never held whole); `result` grows as it reads. */
export function turnPatchClassifier(): { line(raw: string): void; result: TurnDiff } {
  const d: TurnDiff = { testLines: 0, srcLines: 0, cosmeticLines: 0, testFiles: [], srcFiles: [], cosmeticFiles: [] };
  let file: FileClass | null = null;
  let path = '';
  let renameFrom = '';
  let fileCounted = { test: false, src: false, cosmetic: false };
  const note = (bucket: 'test' | 'src' | 'cosmetic', lines: number) => {
    if (bucket === 'test') d.testLines += lines;
    else if (bucket === 'src') d.srcLines += lines;
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
      inHeader = false;
      return;
    }
    if (!inHeader) {
      if (!file || !(raw.startsWith('+') || raw.startsWith('-'))) return;
      const f = file as FileClass;
      if (f.kind === 'test') note('test', 1);
      else if (f.kind === 'doc') note('cosmetic', 1);
      else note(isCosmeticLine(raw.slice(1), f.style) ? 'cosmetic' : 'src', 1);
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
  return { line, result: d };
}

/** The classified diff of `before..after`; undefined when git cannot compare them. */
export function turnDiff(repo: string, before: string, after: string): TurnDiff | undefined {
  // Streamed: a turn that commits a huge generated file is classified, not a buffer overflow.
  const classifier = turnPatchClassifier();
  const res = gitLines(repo, ['diff', '-U0', '-w', '--ignore-blank-lines', '-M', ...READABLE_DIFF_FLAGS, `${before}..${after}`, '--', '.', ':(exclude).peers'], classifier.line);
  return res.code === 0 ? classifier.result : undefined;
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

/** Test lines changed and nothing substantive elsewhere. */
export function isTestOnly(d: TurnDiff | undefined): boolean {
  return d !== undefined && d.testLines > 0 && d.srcLines === 0;
}
