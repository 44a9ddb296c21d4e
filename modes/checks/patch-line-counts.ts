/**
 * Lines added and deleted in one file's `git diff --text -U0` patch, for the files `--numstat`
 * gives no count for: git prints `-\t-` for a file it calls binary, `--text` or not, and one NUL
 * byte in a comment is enough for that (check-repo.ts, numstat).
 */

/** Counts the `+` and `-` lines of the hunks (after each `@@`), never the `---`/`+++` file headers. */
export function patchLineCounts(patch: string): { added: number; deleted: number } {
  let added = 0;
  let deleted = 0;
  let inHunk = false;
  for (const line of patch.split('\n')) {
    if (line.startsWith('diff --git ')) inHunk = false;
    else if (line.startsWith('@@')) inHunk = true;
    else if (inHunk && line.startsWith('+')) added++;
    else if (inHunk && line.startsWith('-')) deleted++;
  }
  return { added, deleted };
}
