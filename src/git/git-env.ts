/**
 * Which variables of the caller's environment a git call inherits (src/git/git.ts applies them):
 * the user's shell may point git at another repository, or bring back a program a view leaves out.
 */

/**
 * Variables that make git open another repository, index, object store or history than the one a
 * call names. A user's shell (or a git hook that runs peers) may carry them; `git(repo, …)` means the
 * repository at `repo`, so they are never inherited (SECURITY.md, "Host commands honour no
 * repository configuration").
 */
export const REDIRECTING_GIT_VARS = [
  'GIT_DIR', 'GIT_WORK_TREE', 'GIT_COMMON_DIR', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_NAMESPACE', 'GIT_QUARANTINE_PATH', 'GIT_SHALLOW_FILE', 'GIT_GRAFT_FILE', 'GIT_REPLACE_REF_BASE', 'GIT_PREFIX',
  'GIT_INTERNAL_SUPER_PREFIX', 'GIT_EXEC_PATH', 'GIT_EXTERNAL_DIFF', 'GIT_DIFF_OPTS', 'GIT_NOTES_REF', 'GIT_NOTES_DISPLAY_REF',
] as const;

/**
 * Object replacement and grafts off for every peer's git (withPeerGitOverrides, git-hook-guard.ts)
 * and the loop's in the workspace (workspace-git.ts): a peer that planted `refs/replace/<its empty
 * handoff>` naming a commit with a special case in its tree made the reviewer's own `git add -A;
 * git commit` record it, attested to the reviewer. What a commit holds is what its id names, for
 * every peer alike. (`GIT_NO_REPLACE_OBJECTS` leaves `info/grafts` on; a graft file that cannot
 * exist turns it off, where `/dev/null`, which git can open, had it print a deprecation hint on
 * every command, to every peer.)
 */
export const PEER_REPLACEMENTS_OFF = { GIT_NO_REPLACE_OBJECTS: '1', GIT_GRAFT_FILE: '/dev/null/no-grafts' } as const;

/** The caller's environment without the variables that would point git elsewhere. */
export function withoutRedirectingGitVars(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const k of REDIRECTING_GIT_VARS) delete out[k];
  return out;
}

/** Who commits: the only `GIT_*` variables of the caller a git call on the peers' data keeps. */
const IDENTITY_GIT_VAR = /^GIT_(AUTHOR|COMMITTER)_(NAME|EMAIL|DATE)$/;

/**
 * The caller's environment with no `GIT_*` variable but the identity ones: for git reading data a
 * peer wrote through a view peers owns (withObservedWorkTree), where a `GIT_CONFIG_PARAMETERS`,
 * `GIT_CONFIG_GLOBAL` or `GIT_EXTERNAL_DIFF` of the user's shell would bring back the programs the
 * view exists to leave out.
 */
export function withoutGitVars(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('GIT_') || IDENTITY_GIT_VAR.test(k)));
}
