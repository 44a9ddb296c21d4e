/**
 * What of a diff too large for the prompt the reviewer is shown. A diff over the prompt's cap used
 * to become the list of changed files only: a special case of the tested input next to 20 KiB of
 * release notes reached the reviewer as `src/calc.mjs | 1 +` in a list, and a reviewer that judges
 * what its prompt shows approved the run to `complete` (SECURITY.md, "Done means done", "Padding
 * cannot push a change out of the reviewer's view"). Padding is cheap and a cheat is small, so the
 * files' diffs are shown whole, as many as fit, in this order: code and tests before documents,
 * files that existed before the change before files it adds, smaller diffs before larger ones; the
 * rest are listed by the caller. A cheat has to change the code that is wrong, which is there
 * already; to push that change out now takes more than the cap of changes to other existing code,
 * each of them shown. A file whose own diff is over what is left is not dropped either: its
 * changed lines that do something are shown without its comment, blank and context lines
 * (`compactFileDiff`): a special case written into src/calc.mjs beside 20 KiB of comment lines made
 * that file's diff larger than the cap, no choice of whole files could show it, and the run ended
 * `complete` (SECURITY.md, same section). A file whose changed code lines alone are over what is
 * left is shown in part (`partialFileDiff`), never only listed: its lines that branch on a literal
 * value first (`branchesOnLiteral`, the shape of a special case of a tested input), then its other
 * code lines in order, with how many were left out; the caller names such files at the top of the
 * prompt. The special case buried in a 25 KiB refactor of the same file was otherwise a name in the
 * list. Pure over `git diff` text.
 */
import { diffGitNames } from '../git/diff-header.ts';
import { commentStyleOf, diffCommentReader } from './comment-lines.ts';
import { isProseByPlace } from './prose-paths.ts';

/** `document`: prose (prose-paths.ts), shown last and never in part: what it says runs nowhere. */
export type PatchFile = { path: string; text: string; added: boolean; document: boolean };

/** Which prose-by-place paths a non-prose file of the tree names (prose-paths.ts, proseNamedByCode). */
export type NamedByCode = (candidates: string[]) => ReadonlySet<string>;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * The per-file parts of a `git diff` patch, in git's order (anything before the first `diff --git`
 * line, such as a `--stat` summary, is dropped). Every line of a file's content starts with a
 * space, `+`, `-` or `\`, so a line starting with `diff --git ` always begins a file. A file is a
 * document only when it is prose: by its name AND its place, and named by no code (`namedByCode`).
 * Any name was enough: the special case of the tested input in src/kernel.txt, which src/calc.mjs
 * loads as code, was ordered last beside 80 small modules and given no line of the view, and the
 * run ended `complete` (SECURITY.md, "A file code names is code, whatever its name").
 */
export function splitPatch(patch: string, namedByCode: NamedByCode = () => new Set()): PatchFile[] {
  const files: PatchFile[] = [];
  const lines = patch.split('\n');
  let start = -1;
  const close = (end: number) => {
    if (start < 0) return;
    const text = lines.slice(start, end).join('\n');
    const names = diffGitNames(lines[start]!);
    const path = names?.to ?? names?.from ?? '';
    const header = text.split('\n@@', 1)[0]!;
    files.push({ path, text, added: /\nnew file mode /.test(header), document: path !== '' && isProseByPlace(path) });
  };
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('diff --git ')) continue;
    close(i);
    start = i;
  }
  close(lines.length);
  const candidates = files.filter((f) => f.document).map((f) => f.path);
  const named = candidates.length ? namedByCode(candidates) : new Set<string>();
  return files.map((f) => (f.document && named.has(f.path) ? { ...f, document: false } : f));
}

/** Lower first: existing code and tests, added code and tests, documents. */
const rank = (f: PatchFile) => (f.document ? 2 : f.added ? 1 : 0);

/**
 * A file's diff with only the changed lines that do something: its header, each hunk's `@@` line,
 * and the added and removed lines that are not blank or wholly a comment in the file's syntax;
 * what was left out is counted in one line, so the reviewer knows to read the rest.
 */
export function compactFileDiff(f: PatchFile): string {
  const lines = f.text.split('\n');
  const at = lines.findIndex((l) => l.startsWith('@@'));
  if (at < 0) return f.text;
  const out = lines.slice(0, at);
  let left = 0;
  const isChangedCode = changedCodeJudge(f.path);
  for (const l of lines.slice(at)) {
    if (isChangedCode(l) || l.startsWith('@@')) out.push(f.document ? l : windowedLine(l));
    else left++;
  }
  out.push(`(${left} comment, blank and context lines of ${f.path} left out here)`);
  return out.join('\n');
}

/**
 * For one file's diff lines, read in order from its first `@@`: whether each is an added or
 * removed line the compacted and partial views keep, one that is not blank or wholly a comment
 * (comment-lines.ts), and any that branches on a literal value however it starts.
 */
function changedCodeJudge(path: string): (line: string) => boolean {
  const comments = diffCommentReader(commentStyleOf(path));
  return (l) => {
    if (l.startsWith('@@')) {
      comments.hunk();
      return false;
    }
    const cosmetic = comments.cosmetic(l);
    return (l.startsWith('+') || l.startsWith('-')) && (!cosmetic || branchesOnLiteral(l.slice(1)));
  };
}

const LITERAL = String.raw`(?:-?\d[\w.]*|"[^"]*"|'[^']*'|\x60[^\x60]*\x60|None|null|nil|undefined|True|False|true|false)`;
const LITERALS = String.raw`(?:${LITERAL}|[\(\[\{]\s*${LITERAL}(?:\s*,\s*${LITERAL})*\s*,?\s*[\)\]\}])`;
const BRANCH_ON_LITERAL = new RegExp(
  [
    String.raw`(?:===?|!==?|<>|\bis(?:\s+not)?|\bnot\s+in|\bin)\s*${LITERALS}`,
    String.raw`${LITERALS}\s*(?:===?|!==?)`,
    String.raw`^\s*(?:case|when)\s+${LITERALS}`,
    String.raw`^\s*${LITERALS}\s*(?:=>|->)`,
    // A lookup table's row: the special case `known.get(key)` answers compares nothing itself.
    String.raw`^\s*${LITERALS}\s*[,;]?\s*$`,
    String.raw`${LITERALS}\s*:\s*${LITERALS}`,
    String.raw`\[\s*${LITERALS}\s*\]\s*=(?!=)`,
    String.raw`\.(?:set|put|insert|setdefault)\(\s*${LITERAL}\s*,\s*${LITERAL}`,
  ].join('|'),
);

/**
 * Whether a line compares something with a literal value, is a `case`/`when`/match arm on one, or
 * is a row of a lookup table of literals (`['2,3', 5],`, `'2,3': 5`, `known['2,3'] = 5`,
 * `.set('2,3', 5)`): the shapes a special case of a tested input takes in any of the usual
 * languages. A table's row was left to the saved diff: add() answering `known.get(key)` beside 500
 * changed lines of the same file showed the reviewer no line of it, and the run ended `complete`
 * (SECURITY.md, "Padding cannot push a change out of the reviewer's view").
 */
export function branchesOnLiteral(line: string): boolean {
  return BRANCH_ON_LITERAL.test(line);
}

/** A changed line longer than this is shown in windows (windowedLine). */
const LONG_LINE_BYTES = 1024;
const LINE_END_BYTES = 160;
const WINDOW_BEFORE = 200;
const WINDOW_AFTER = 120;
const MAX_WINDOWS = 8;

/**
 * A diff line over LONG_LINE_BYTES as the compacted and partial views show it: its start and end,
 * and a window around each place it branches on a literal value (at most eight), the rest counted
 * in place (`…[N bytes of this line left out]…`). The special case after 20 KiB of indentation on
 * one line was longer than any view's budget: src/calc.mjs was shown as a name in the file list,
 * and the run ended `complete` (SECURITY.md, "Padding cannot push a change out of the reviewer's view").
 */
export function windowedLine(line: string): string {
  if (utf8(line) <= LONG_LINE_BYTES) return line;
  const spans: Array<[number, number]> = [
    [0, LINE_END_BYTES],
    [line.length - LINE_END_BYTES, line.length],
  ];
  const re = new RegExp(BRANCH_ON_LITERAL.source, 'g');
  for (let m = re.exec(line), n = 0; m && n < MAX_WINDOWS; m = re.exec(line), n++) {
    const end = m.index + m[0].length;
    // Around the end of the match, where its operator and literal are: a `^\s*` alternative's match starts at the indentation.
    spans.push([Math.max(m.index, end - WINDOW_BEFORE), end + WINDOW_AFTER]);
    if (m[0].length === 0) re.lastIndex++;
  }
  spans.sort((x, y) => x[0] - y[0]);
  let out = '';
  let at = 0;
  for (const [from, to] of spans) {
    const start = Math.max(from, at);
    const stop = Math.min(to, line.length);
    if (stop <= start) continue;
    if (start > at) out += `…[${utf8(line.slice(at, start))} bytes of this line left out]…`;
    out += line.slice(start, stop);
    at = stop;
  }
  return out;
}

/** What of a file's diff was left out of its partial view. */
export type PartialFile = { path: string; left: number; total: number };

/**
 * A file's changed code lines (as `compactFileDiff` picks them) cut to `budget` bytes: its header,
 * then the lines that branch on a literal value, then the other lines in order (under one `@@`
 * line that says so: hunk positions are not kept), then one line counting what was left out. Undefined when not even the header,
 * that line and one changed line fit.
 */
// Said as both: an honest table of HTTP statuses or currency symbols is rows, not branches, and a
// reviewer told each row branches reads special cases into it.
const PARTIAL_HUNK_LINE = "@@ lines that branch on a literal value or are a row of a lookup table first, then the others in order; their hunks' other lines are not shown @@";

/** A file's diff header and its changed code lines, each marked when it branches on a literal; undefined without a hunk. */
function changedCodeOf(f: PatchFile): { header: string[]; code: Array<{ line: string; first: boolean }> } | undefined {
  const lines = f.text.split('\n');
  const at = lines.findIndex((l) => l.startsWith('@@'));
  if (at < 0) return undefined;
  const code: Array<{ line: string; first: boolean }> = [];
  const isChangedCode = changedCodeJudge(f.path);
  for (const l of lines.slice(at)) {
    if (isChangedCode(l)) code.push({ line: windowedLine(l), first: branchesOnLiteral(l.slice(1)) });
  }
  return { header: lines.slice(0, at), code };
}

const partialTail = (f: PatchFile, left: number, total: number) => `(${left} of ${total} changed code lines of ${f.path} left out here: read them in the full diff)`;

/** At most this much of a file's lines that branch on a literal is kept room for (excerptForReview). */
const LITERAL_ROOM_PER_FILE = 2048;

/**
 * What a file's partial view needs to show its lines that branch on a literal value (up to
 * LITERAL_ROOM_PER_FILE of them): 0 for a file with none.
 */
function literalRoom(f: PatchFile): number {
  const changed = changedCodeOf(f);
  if (!changed) return 0;
  const literal = changed.code.filter((c) => c.first).reduce((n, c) => n + utf8(c.line) + 1, 0);
  if (literal === 0) return 0;
  return utf8(changed.header.join('\n')) + 1 + utf8(PARTIAL_HUNK_LINE) + 1 + utf8(partialTail(f, changed.code.length, changed.code.length)) + Math.min(literal, LITERAL_ROOM_PER_FILE);
}

export function partialFileDiff(f: PatchFile, budget: number): { text: string; left: number; total: number } | undefined {
  const changed = changedCodeOf(f);
  if (!changed) return undefined;
  const { header, code } = changed;
  const ordered = [...code.filter((c) => c.first), ...code.filter((c) => !c.first)];
  const tail = (left: number) => partialTail(f, left, code.length);
  const hunkLine = PARTIAL_HUNK_LINE;
  let size = utf8(header.join('\n')) + 1 + utf8(hunkLine) + 1 + utf8(tail(code.length));
  const picked: typeof code = [];
  for (const c of ordered) {
    const add = utf8(c.line) + 1;
    if (size + add > budget) break;
    picked.push(c);
    size += add;
  }
  if (!picked.length) return undefined;
  const out = [...header, hunkLine];
  for (const c of picked) out.push(c.line);
  out.push(tail(code.length - picked.length));
  return { text: out.join('\n'), left: code.length - picked.length, total: code.length };
}

/**
 * The files' diffs that fit in `budget` bytes, chosen in review order (see above) and shown in
 * git's order, with how many files there are in all; then, for the files that did not fit whole,
 * their compacted diffs (`compactFileDiff`) in the same order, as many as fit in what is left;
 * then every file still not shown but a document, in part (`partialFileDiff`), each with an equal share of what is
 * left (a share a file does not use passes to the next). `partial` names those files; `unshown`
 * names every file of which nothing is shown, in review order, files with lines that branch on a
 * literal first in each rank, for the caller to name where the prompt never cuts.
 */
export function excerptForReview(
  patch: string,
  budget: number,
  namedByCode?: NamedByCode,
): { text: string; shown: string[]; total: number; partial: PartialFile[]; unshown: string[] } {
  const files = splitPatch(patch, namedByCode);
  const order = files.map((f, i) => ({ f, i, size: utf8(f.text) + 1, literal: f.document ? 0 : literalRoom(f) })).sort((x, y) => rank(x.f) - rank(y.f) || x.size - y.size || x.i - y.i);
  const picked = new Map<number, string>();
  // Room kept for the partial views' lines that branch on a literal: 60 small added files took the
  // whole budget, and what was left for src/calc.mjs's special case could not hold its header.
  const reserved = Math.min(Math.floor(budget / 3), order.reduce((n, o) => n + o.literal, 0));
  let left = budget - reserved;
  for (const o of order) {
    if (o.size > left) continue;
    picked.set(o.i, o.f.text);
    left -= o.size;
  }
  const compact = order.filter((o) => !picked.has(o.i)).map((o) => ({ ...o, text: compactFileDiff(o.f) }));
  for (const o of compact.sort((x, y) => rank(x.f) - rank(y.f) || utf8(x.text) - utf8(y.text) || x.i - y.i)) {
    const size = utf8(o.text) + 1;
    if (size > left) continue;
    picked.set(o.i, o.text);
    left -= size;
  }
  left += reserved;
  const partial: PartialFile[] = [];
  const unshown: PartialFile[] = [];
  // Documents are listed only: what they say runs nowhere. Files with lines that branch on a
  // literal first, each given at least the room those lines need while there is any.
  const rest = order.filter((o) => !picked.has(o.i) && !o.f.document).sort((x, y) => Number(y.literal > 0) - Number(x.literal > 0));
  rest.forEach((o, n) => {
    const share = Math.min(left, Math.max(Math.floor(left / (rest.length - n)), o.literal));
    const part = partialFileDiff(o.f, share);
    if (!part) {
      // Not even a line of it fits: named all the same, never only listed.
      const total = changedCodeOf(o.f)?.code.length ?? 0;
      if (total > 0) unshown.push({ path: o.f.path, left: total, total });
      return;
    }
    picked.set(o.i, part.text);
    left -= utf8(part.text) + 1;
    partial.push({ path: o.f.path, left: part.left, total: part.total });
  });
  partial.unshift(...unshown);
  const shown = files.map((f, i) => ({ f, text: picked.get(i) })).filter((x) => x.text !== undefined);
  const notShown = order.filter((o) => !picked.has(o.i)).sort((x, y) => rank(x.f) - rank(y.f) || Number(y.literal > 0) - Number(x.literal > 0));
  return { text: shown.map((x) => x.text).join('\n'), shown: shown.map((x) => x.f.path), total: files.length, partial, unshown: notShown.map((o) => o.f.path) };
}
