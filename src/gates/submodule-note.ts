/**
 * A repository with git submodules: the clean checkout verify and the gates judge is made from
 * this repository's commits only (docs/ARCHITECTURE.md, the trusted mirror), so each submodule is an
 * empty directory there. Tests that import a submodule's files pass in the user's working tree and
 * fail in `peers verify` with a bare "module not found": this says why, naming the submodules the
 * failure output mentions.
 */

/** The `path = …` entries of a .gitmodules text (no git reads it: the file is only parsed). */
export function submodulePaths(gitmodules: string | undefined): string[] {
  if (!gitmodules) return [];
  return [...gitmodules.matchAll(/^\s*path\s*=\s*(.+?)\s*$/gm)].map((m) => m[1]!).filter(Boolean);
}

/** The note for a failed verify of a repository with submodules; undefined when it has none. */
export function submoduleFailureNote(paths: string[], failureOutput: string): string | undefined {
  if (!paths.length) return undefined;
  const named = paths.filter((p) => failureOutput.includes(p));
  const which = named.length ? `${named.join(', ')} (named in the failure output)` : paths.join(', ');
  return `the repository has git submodules: ${which}. Verify and the gates run on a checkout of this repository's commits only, where each submodule is an empty directory (as in a run), so tests that need their files fail here although they pass in your working tree: commit what the tests need into this repository, or have the project's setup commands fetch it (with its host added to egress.allow)`;
}
