/**
 * The loop's only way to run git in the peers' repository: through the workspace runner, so in the
 * pod it runs inside the workspace container (where the peers' own config, hooks and filters may
 * run: they can run anything there anyway), never in the loop container or on the host.
 *
 * Changes the loop makes to the run clone (the anti-cheat revert, restoring HEAD after a rewrite)
 * are built in the trusted mirror and shipped as a pack: `moveHeadTo(sha)` sends the objects the
 * clone may lack, moves HEAD there, and checks through the observer that it really did.
 * docs/ARCHITECTURE.md, "Changing the run clone".
 */
import type { PeerRunner } from '../proc/peer-runner.ts';
import { PEER_REPLACEMENTS_OFF } from './git-env.ts';
import { gitBytes, WORKSPACE_GIT_FLAGS } from './git.ts';
import { type RunObserver } from './run-observer.ts';
import { underControlDir } from './control-dir.ts';
import { diffGitNames, patchLineName, renameLineName } from './diff-header.ts';

export type MoveHeadResult = { ok: true } | { ok: false; error: string };

export interface WorkspaceGit {
  /**
   * Paths `git status` reports in the workspace (uncommitted or untracked), `.peers/` excluded, and
   * `.git/<name>` for each merge, cherry-pick, revert or rebase file left (PENDING_OPERATION_FILES).
   */
  dirtyPaths(): Promise<string[]>;
  /**
   * Removes what a turn left uncommitted (staged, modified, deleted and untracked files; ignored
   * files and `.peers/` stay) and returns the paths still dirty afterwards (empty when clean).
   */
  discardUncommitted(): Promise<string[]>;
  /**
   * What a turn left uncommitted, as one patch against HEAD (`git apply --index` takes it back):
   * staged, modified, deleted and untracked files, ignored files and `.peers/` left out. Null when
   * it cannot be read whole (git failed, or it is over MAX_LEFTOVER_PATCH_BYTES).
   */
  uncommittedPatch(): Promise<string | null>;
  /** Makes the clone's HEAD `sha` (a commit in the mirror), working tree included. */
  moveHeadTo(sha: string, why: string): Promise<MoveHeadResult>;
  /**
   * Disables hooks and code-running config a peer planted (git-hook-guard.ts): unless `keepHooks`
   * is null, every entry of the hooks directory but those it names and `*.sample` is moved to
   * `.git/peers-disabled-hooks/tick-N/hooks/` (a hooks directory replaced by a link or a file is moved
   * there itself); the config `keys` are unset. Returns what went wrong, for the log: the caller
   * reads the git dir again to see what is left.
   */
  disableGitExec(planted: { keepHooks: string[] | null; keys: string[] }, tick: number): Promise<string[]>;
}

/** The runner protocol carries stdin as text: the pack goes base64-encoded, at most this big. */
export const MAX_PACK_BYTES = 12 * 1024 * 1024;
const STATUS_TIMEOUT_MS = 120_000;
/** Config keys unset in one go (a git process each); more wait for the next turn's pass. */
const MAX_KEYS_UNSET = 256;
const MOVE_TIMEOUT_MS = 600_000;
/** Hooks and fsmonitor off even here, with the flags of every git call (git.ts): the loop's request must do what it says. */
const WS_GIT = ['git', ...WORKSPACE_GIT_FLAGS].join(' ');
/**
 * First in every script: git here reads the commits as they are, never through a replacement
 * (`refs/replace/`) or a graft a peer planted (PEER_REPLACEMENTS_OFF, git-env.ts). Through
 * one, the status compared the index with a tree the commit does not have, and called a special
 * case staged against the real HEAD clean.
 */
const WS_ENV = Object.entries(PEER_REPLACEMENTS_OFF).map(([k, v]) => `export ${k}=${v}`).join('; ');
const MOVE_SCRIPT = `${WS_ENV}
set -e
base64 -d | ${WS_GIT} unpack-objects -q
${WS_GIT} reset -q --hard "$1"
`;

/**
 * What a merge, cherry-pick, revert or rebase in progress keeps in the git dir, which the next
 * `git commit` in the clone reads: MERGE_HEAD makes the commit it names a parent (git drops it as
 * redundant when its parent is HEAD, so history stays one line), the *_HEAD and *_MSG files give
 * the author and message. A peer that left a commit of its own there after its handoff had it come
 * into history in the next peer's turn, credited to that peer by the attestation (SECURITY.md,
 * "Done means done", "Work left uncommitted never reaches another peer's commit"). Left after a
 * turn, each is leftover work: reported, and removed by the discard.
 */
export const PENDING_OPERATION_FILES = ['MERGE_HEAD', 'MERGE_MSG', 'MERGE_MODE', 'AUTO_MERGE', 'SQUASH_MSG', 'CHERRY_PICK_HEAD', 'REVERT_HEAD', 'sequencer', 'rebase-merge', 'rebase-apply'] as const;

/** The prefix of a pending-operation entry in the status output (no `git status` code uses `P`). */
const PENDING_ENTRY = 'P  .git/';

/** Between the status entries and `git ls-files -v -z` in the status script's output. */
const FLAGS_SEPARATOR = '\u0001peers-index-flags\u0001';

/**
 * Sets `d` to the workspace's git dir, read by the shell itself where it can be (a clone's `.git`,
 * a worktree's `.git` file), else asked of git: a git process per tick fewer (BENCHMARKS.md, "Loop
 * processes per tick"). Both scripts that look at the pending-operation files find them so.
 */
const GIT_DIR_SNIPPET = `if [ -d .git ] && [ ! -L .git ]; then d=.git
elif [ -f .git ] && [ ! -L .git ] && IFS= read -r l < .git && [ "\${l#gitdir: }" != "$l" ]; then d=\${l#gitdir: }
else d=$(${WS_GIT} rev-parse --git-dir) || exit 1
fi`;

/**
 * `git status`, then a `P  .git/<name>` entry (NUL-ended, as status's) for each pending-operation
 * file, then FLAGS_SEPARATOR and `git ls-files -v -z` (the index flags: hiddenByIndexFlags).
 */
const STATUS_SCRIPT = `${WS_ENV}
${WS_GIT} --no-optional-locks status --porcelain=v1 -z --untracked-files=all || exit 1
${GIT_DIR_SNIPPET}
for f in ${PENDING_OPERATION_FILES.join(' ')}; do
  if [ -e "$d/$f" ] || [ -L "$d/$f" ]; then printf '${PENDING_ENTRY}%s (left in progress)\\0' "$f"; fi
done
printf '\\001peers-index-flags\\001'
${WS_GIT} --no-optional-locks ls-files -v -z || exit 1
`;

/**
 * Tracked files `git status` and `git add` no longer look at: `assume-unchanged` (ls-files tag in
 * lower case) or `skip-worktree` (`S`), set with `git update-index`. A file so flagged can differ
 * from HEAD in the working tree with `git status` clean, so a reviewer opening it reads code no
 * commit holds, and the next peer's edits to it are never committed. Named as leftover work and
 * cleared by the discard. `.peers/` is the operator's.
 */
export function hiddenByIndexFlags(lsFilesVZ: string): string[] {
  const out: string[] = [];
  for (const entry of lsFilesVZ.split('\0')) {
    if (entry.length < 3 || entry[1] !== ' ') continue;
    const tag = entry[0]!;
    const path = entry.slice(2);
    if (path === '.peers' || path.startsWith('.peers/')) continue;
    if (tag === 'S' || tag === 's') out.push(`${path} (skip-worktree: hidden from git status)`);
    else if (tag !== tag.toUpperCase()) out.push(`${path} (assume-unchanged: hidden from git status)`);
  }
  return out;
}

/**
 * Index and tracked files back to HEAD, untracked files removed, outside `.peers/` (the operator's,
 * enforced apart) and ignored files (dependencies a setup installed), and no merge, cherry-pick,
 * revert or rebase left in progress (PENDING_OPERATION_FILES). Runs in an unborn repository too.
 */
const DISCARD_SCRIPT = `${WS_ENV}
keep=':(exclude,top).peers'
${GIT_DIR_SNIPPET}
for f in ${PENDING_OPERATION_FILES.join(' ')}; do rm -rf -- "$d/$f" || exit 1; done
# One flag per update-index: given both, git applies only one of them.
${WS_GIT} ls-files -z | xargs -0 -r ${WS_GIT} update-index -q --no-assume-unchanged -- || exit 1
${WS_GIT} ls-files -z | xargs -0 -r ${WS_GIT} update-index -q --no-skip-worktree -- || exit 1
if ${WS_GIT} rev-parse -q --verify HEAD >/dev/null; then
  ${WS_GIT} reset -q HEAD -- . "$keep" || exit 1
  ${WS_GIT} checkout -q -- . "$keep" 2>/dev/null || ${WS_GIT} ls-files -z -- . "$keep" | xargs -0 -r ${WS_GIT} checkout -q -- || exit 1
fi
${WS_GIT} clean -q -f -d -- . "$keep"
`;

/** The largest leftover patch kept; a bigger one is named, not saved. */
export const MAX_LEFTOVER_PATCH_BYTES = 16 * 1024 * 1024;

/**
 * Stages everything (the index is reset by the discard that follows) and prints it as a patch
 * against HEAD, or against nothing in a repository without a commit yet. `.peers/` is left out of
 * the patch, not of the `add`: naming it there fails the `add` when a .gitignore lists it.
 * The a/ b/ prefixes are forced: `git apply` strips one component, so a peer's `diff.noprefix`
 * (or `diff.srcPrefix`) would make `x/.peers/goals.yaml` patch the operator's `.peers/goals.yaml`.
 */
const PATCH_SCRIPT = `${WS_ENV}
keep=':(exclude,top).peers'
${WS_GIT} add -A -- . || exit 1
${WS_GIT} -c core.quotePath=false diff --cached --binary --no-color --no-ext-diff --no-textconv --no-relative --src-prefix=a/ --dst-prefix=b/ -- . "$keep"
`;

/**
 * A patch `git apply` takes back into the right files, outside `.peers/`: every file header names
 * `a/...` and `b/...` paths (what PATCH_SCRIPT asks git for; the workspace's git is the peers' to
 * configure), and no name git apply reads in a file's header — the `diff --git` pair, `---`/`+++`,
 * `rename`/`copy` from and to — is `.peers` or under it once unquoted as git apply unquotes it
 * (`"a/\056peers/x"` is `a/.peers/x`: diff-header.ts). Checked again by the loop, which saves nothing else.
 */
export function leftoverPatchProblem(patch: string): string | null {
  let inHeader = false;
  for (const line of patch.split('\n')) {
    // Hunk and binary lines never start with `diff --git ` (hunk lines start with ' ', '+', '-' or
    // '\\', base85 lines have no space), so these are exactly the file headers.
    if (line.startsWith('diff --git ')) {
      if (!/^diff --git ("?)a\/(.*) ("?)b\/(.*)$/.test(line)) return `a file header without the a/ b/ prefixes: ${line.slice(0, 200)}`;
      const names = diffGitNames(line);
      if (!names) return `a file header git apply would read otherwise: ${line.slice(0, 200)}`;
      if (underControlDir(names.from) || underControlDir(names.to)) return `a file header in .peers/: ${line.slice(0, 200)}`;
      inHeader = true;
      continue;
    }
    if (!inHeader) continue;
    // The header ends where the hunks (or the binary data) start: a removed line `-- x` reads `--- x` there.
    if (line.startsWith('@@') || line.startsWith('GIT binary patch') || line.startsWith('Binary files ')) {
      inHeader = false;
      continue;
    }
    const name = patchLineName(line) ?? (['rename from ', 'rename to ', 'copy from ', 'copy to '] as const).map((k) => renameLineName(line, k)).find((n) => n !== undefined);
    if (name !== undefined && underControlDir(name)) return `a file header in .peers/: ${line.slice(0, 200)}`;
  }
  return null;
}

/**
 * A config key `git config --unset-all` takes as a key: never an option, one argument (Linux takes
 * at most 128 KiB in one). A code-running key always starts with its section's letter; its
 * subsection may hold anything but a newline, in any case.
 */
export function disableableKey(key: string): boolean {
  return key.length <= 100_000 && /^[A-Za-z]/.test(key) && !/[\n\0]/.test(key);
}

/**
 * Arguments: the tick, `hooks` or `-` (leave the hooks directory alone), then the hook names to
 * keep; the config keys to unset come on stdin, one a line. The whole hooks directory is moved
 * aside and made again with only the kept hooks and the samples put back: no name is ever passed
 * to a command as one (a hook named `-x`, `.x` or 255 characters long stayed, and failed every later
 * turn), and a directory of thousands of entries costs one `mv`. A hooks directory that is a link
 * or a file moves aside as it is, never followed, and nothing is put back from it.
 */
const DISABLE_SCRIPT = `${WS_ENV}
tick=$1; what=$2; shift 2
d=$(${WS_GIT} rev-parse --git-common-dir) || d=
if [ "$what" = hooks ]; then
  h="$d/hooks"; out="$d/peers-disabled-hooks/tick-$tick"
  if [ -z "$d" ] || [ -L "$d/peers-disabled-hooks" ] || [ -L "$out" ] || ! mkdir -p "$out" || [ -L "$d/peers-disabled-hooks" ] || [ -L "$out" ]; then echo "hooks: no place to move them"
  elif [ -e "$h" ] || [ -L "$h" ]; then
    rm -rf -- "$out/hooks"
    if mv -f -- "$h" "$out/hooks" && mkdir -- "$h"; then
      if [ -d "$out/hooks" ] && [ ! -L "$out/hooks" ]; then
        for k; do if [ -e "$out/hooks/$k" ] || [ -L "$out/hooks/$k" ]; then mv -- "$out/hooks/$k" "$h/$k" || echo "hooks: $k not put back"; fi; done
        for f in "$out/hooks"/*.sample; do if [ -f "$f" ] && [ ! -L "$f" ]; then mv -- "$f" "$h/"; fi; done
      fi
    else echo "hooks: the directory could not be moved"; fi
  fi
fi
while IFS= read -r k; do ${WS_GIT} config --local --unset-all "$k" || echo "config: $k"; done
`;

/** Parses `git status --porcelain=v1 -z` into paths, leaving out the operator's `.peers/`. */
export function parseStatusZ(out: string): string[] {
  const paths: string[] = [];
  const parts = out.split('\0');
  for (let i = 0; i < parts.length; i++) {
    const entry = parts[i]!;
    if (entry.length < 4) continue;
    const path = entry.slice(3);
    if (path !== '.peers/' && !path.startsWith('.peers/')) paths.push(path);
    // Renames and copies carry the source path as the next NUL field.
    if (entry[0] === 'R' || entry[0] === 'C') i++;
  }
  return paths;
}

export class RunnerWorkspaceGit implements WorkspaceGit {
  constructor(
    private readonly runner: PeerRunner,
    /** The clone as the runner sees it (`/work` in the pod). */
    private readonly cwd: string,
    private readonly observer: RunObserver,
    /** The environment the runner needs locally (PATH); the pod's runner has its own. */
    private readonly env: Record<string, string> = {},
  ) {}

  private run(argv: string[], stdin: string | undefined, timeoutMs: number) {
    return this.runner.run({
      peer: 'peers-substrate',
      argv,
      env: this.env,
      stdin,
      cwd: this.cwd,
      idleTimeoutMs: timeoutMs,
      absoluteTimeoutMs: timeoutMs,
      killGraceMs: 2000,
      maxStreamBytes: 16 * 1024 * 1024,
    });
  }

  async dirtyPaths(): Promise<string[]> {
    // `--no-optional-locks`: the status does not write the peers' index back (git would, to note
    // what it re-hashed), so the loop takes no lock a peer's git could trip over, and git spends
    // about 10% less CPU (BENCHMARKS.md, "Loop processes per tick").
    // `/bin/sh -c` alone: the supervisor's guard shell runs the script itself (parent-death-guard.ts).
    const r = await this.run(['/bin/sh', '-c', STATUS_SCRIPT], undefined, STATUS_TIMEOUT_MS);
    if (r.exitCode !== 0) return ['(git status failed in the workspace: worktree state unknown)'];
    const at = r.stdout.indexOf(FLAGS_SEPARATOR);
    if (at < 0) return ['(git ls-files failed in the workspace: worktree state unknown)'];
    return [...parseStatusZ(r.stdout.slice(0, at)), ...hiddenByIndexFlags(r.stdout.slice(at + FLAGS_SEPARATOR.length))];
  }

  async discardUncommitted(): Promise<string[]> {
    const r = await this.run(['/bin/sh', '-c', DISCARD_SCRIPT], undefined, STATUS_TIMEOUT_MS);
    const left = await this.dirtyPaths();
    if (r.exitCode !== 0 && left.length === 0) return [`(discarding failed: exit ${r.exitCode ?? r.endedBy})`];
    return left;
  }

  async uncommittedPatch(): Promise<string | null> {
    const r = await this.runner.run({
      peer: 'peers-substrate',
      argv: ['/bin/sh', '-c', PATCH_SCRIPT],
      env: this.env,
      cwd: this.cwd,
      idleTimeoutMs: STATUS_TIMEOUT_MS,
      absoluteTimeoutMs: STATUS_TIMEOUT_MS,
      killGraceMs: 2000,
      maxStreamBytes: MAX_LEFTOVER_PATCH_BYTES,
    });
    return r.exitCode === 0 && !r.stdoutTruncated ? r.stdout : null;
  }

  async moveHeadTo(sha: string, why: string): Promise<MoveHeadResult> {
    let current: string | null = null;
    try {
      current = this.observer.sync().head;
    } catch {
      // The clone cannot be read: send everything `sha` needs.
    }
    let pack: Buffer;
    try {
      pack = gitBytes(this.observer.mirror, ['pack-objects', '--stdout', '--revs', '-q'], { input: `${sha}\n${current && current !== sha ? `^${current}\n` : ''}`, maxBuffer: MAX_PACK_BYTES * 2 });
    } catch (error) {
      return { ok: false, error: `cannot pack ${sha.slice(0, 12)} in the mirror: ${(error as Error).message}` };
    }
    if (pack.length > MAX_PACK_BYTES) return { ok: false, error: `${why}: ${pack.length} bytes of objects to send, over the ${MAX_PACK_BYTES}-byte limit` };
    const r = await this.run(['sh', '-c', MOVE_SCRIPT, 'peers-move-head', sha], pack.toString('base64'), MOVE_TIMEOUT_MS);
    let now: string | null = null;
    try {
      now = this.observer.sync().head;
    } catch (error) {
      return { ok: false, error: `${why}: the clone cannot be read afterwards: ${(error as Error).message}` };
    }
    if (now === sha) return { ok: true };
    const detail = r.exitCode === 0 ? `HEAD is ${now?.slice(0, 12) ?? 'unborn'}` : `exit ${r.exitCode ?? r.endedBy}: ${(r.spawnError ?? r.stderr).trim().slice(-300)}`;
    return { ok: false, error: `${why}: moving the clone to ${sha.slice(0, 12)} failed (${detail})` };
  }

  async disableGitExec(planted: { keepHooks: string[] | null; keys: string[] }, tick: number): Promise<string[]> {
    const keys = [...new Set(planted.keys)].filter(disableableKey).slice(0, MAX_KEYS_UNSET);
    const problems = planted.keys.filter((k) => !disableableKey(k)).map((k) => `config: ${k.slice(0, 120)} cannot be named to git`);
    if (planted.keepHooks === null && !keys.length) return problems;
    const hooks = planted.keepHooks === null ? ['-'] : ['hooks', ...planted.keepHooks];
    const r = await this.run(['sh', '-c', DISABLE_SCRIPT, 'peers-disable-git-exec', String(tick), ...hooks], keys.map((k) => `${k}\n`).join(''), STATUS_TIMEOUT_MS);
    if (r.exitCode !== 0) problems.push(`the disable script failed: exit ${r.exitCode ?? r.endedBy}`);
    return [...problems, ...r.stdout.split('\n').map((l) => l.trim().slice(0, 200)).filter(Boolean).slice(0, 20)];
  }
}
