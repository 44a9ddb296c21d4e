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
 * each of them shown. Pure over `git diff` text.
 */
import { diffGitNames } from '../git/diff-header.ts';
import { isDocumentPath } from './turn-diff.ts';

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
 * The files' diffs that fit in `budget` bytes, chosen in review order (see above) and shown in
 * git's order, with how many files there are in all.
 */
export function excerptForReview(patch: string, budget: number): { text: string; shown: string[]; total: number } {
  const files = splitPatch(patch);
  const order = files.map((f, i) => ({ f, i, size: utf8(f.text) + 1 })).sort((x, y) => rank(x.f) - rank(y.f) || x.size - y.size || x.i - y.i);
  const picked = new Set<number>();
  let left = budget;
  for (const o of order) {
    if (o.size > left) continue;
    picked.add(o.i);
    left -= o.size;
  }
  const shown = files.filter((_, i) => picked.has(i));
  return { text: shown.map((f) => f.text).join('\n'), shown: shown.map((f) => f.path), total: files.length };
}
