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
 * `complete` (SECURITY.md, same section). Pure over `git diff` text.
 */
import { diffGitNames } from '../git/diff-header.ts';
import { commentStyleOf, isCosmeticLine, isDocumentPath } from './turn-diff.ts';

export type PatchFile = { path: string; text: string; added: boolean; document: boolean };

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * The per-file parts of a `git diff` patch, in git's order (anything before the first `diff --git`
 * line, such as a `--stat` summary, is dropped). Every line of a file's content starts with a
 * space, `+`, `-` or `\`, so a line starting with `diff --git ` always begins a file.
 */
export function splitPatch(patch: string): PatchFile[] {
  const files: PatchFile[] = [];
  const lines = patch.split('\n');
  let start = -1;
  const close = (end: number) => {
    if (start < 0) return;
    const text = lines.slice(start, end).join('\n');
    const names = diffGitNames(lines[start]!);
    const path = names?.to ?? names?.from ?? '';
    const header = text.split('\n@@', 1)[0]!;
    files.push({ path, text, added: /\nnew file mode /.test(header), document: path !== '' && isDocumentPath(path) });
  };
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('diff --git ')) continue;
    close(i);
    start = i;
  }
  close(lines.length);
  return files;
}

/** Lower first: existing code and tests, added code and tests, documents. */
const rank = (f: PatchFile) => (f.document ? 2 : f.added ? 1 : 0);

/**
 * A file's diff with only the changed lines that do something: its header, each hunk's `@@` line,
 * and the added and removed lines that are not blank or wholly a comment in the file's syntax;
 * what was left out is counted in one line, so the reviewer knows to read the rest.
 */
export function compactFileDiff(f: PatchFile): string {
  const style = commentStyleOf(f.path);
  const lines = f.text.split('\n');
  const at = lines.findIndex((l) => l.startsWith('@@'));
  if (at < 0) return f.text;
  const out = lines.slice(0, at);
  let left = 0;
  for (const l of lines.slice(at)) {
    const changed = (l.startsWith('+') || l.startsWith('-')) && !isCosmeticLine(l.slice(1), style);
    if (l.startsWith('@@') || changed) out.push(l);
    else left++;
  }
  out.push(`(${left} comment, blank and context lines of ${f.path} left out here)`);
  return out.join('\n');
}

/**
 * The files' diffs that fit in `budget` bytes, chosen in review order (see above) and shown in
 * git's order, with how many files there are in all; then, for the files that did not fit whole,
 * their compacted diffs (`compactFileDiff`) in the same order, as many as fit in what is left.
 */
export function excerptForReview(patch: string, budget: number): { text: string; shown: string[]; total: number } {
  const files = splitPatch(patch);
  const order = files.map((f, i) => ({ f, i, size: utf8(f.text) + 1 })).sort((x, y) => rank(x.f) - rank(y.f) || x.size - y.size || x.i - y.i);
  const picked = new Map<number, string>();
  let left = budget;
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
  const shown = files.map((f, i) => ({ f, text: picked.get(i) })).filter((x) => x.text !== undefined);
  return { text: shown.map((x) => x.text).join('\n'), shown: shown.map((x) => x.f.path), total: files.length };
}
