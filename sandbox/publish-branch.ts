/**
 * Results come back as a branch (docs/ARCHITECTURE.md, "Results as a branch"): host commands
 * (`up`, `status`, `report`, `down`) fetch the run's head from the trusted mirror into the user's
 * repository as `refs/heads/<branch>` (default `peers/<project>`), so `git log peers/app` and
 * `git merge peers/app` work in the morning even if the pod died. The loop container cannot write
 * the user's repository; the mirror is updated by the loop after every tick.
 *
 * The fetch runs upload-pack in the mirror (peers' own config), never in the run clone, and
 * touches only that one ref in the user's repository: never the checked-out branch, the index,
 * the working tree, the config or the hooks. A branch the user moved since peers last wrote it is
 * not overwritten.
 */
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../src/fs/atomic-write.ts';
import { MiB, readTextIfExists } from '../src/fs/safe-read.ts';
import { git } from '../src/git/git.ts';
import { checkoutRisks, configuredDrivers, DRIVER_CONFIG_REGEXP } from '../src/git/checkout-risks.ts';
import { controlWords, firstCommitWithControls, firstPathWithControls } from '../src/git/history-controls.ts';
import { userHooksDir, userHooksOf, type HooksDir } from '../src/git/user-hooks.ts';
import { userTreeReferences } from '../src/git/user-tree-references.ts';
import { userSafeDirectoryEnv } from '../src/git/safe-directory.ts';
import { observedHead, RUN_BASE_REF, RUN_HEAD_REF } from '../src/git/observer.ts';
import { isSafeRefName, resolveRepoLayout } from '../src/git/repo-layout.ts';
import type { StatePaths } from '../src/state/paths.ts';
import { readableName } from '../src/state/readable-name.ts';
import { committedControlPlane } from '../src/protocol/committed-control-plane.ts';
import { shellCommand } from '../src/cli/shell-word.ts';

export type PublishResult = {
  branch: string;
  /** The run's head, now at refs/heads/<branch> when `updated` or already there. */
  sha: string | null;
  /** Commits on the branch since the user's HEAD the run started from. */
  ahead: number;
  updated: boolean;
  /** Why it was not updated, when it was not. */
  note?: string;
  /** The run's commits are already in the user's HEAD (they merged the branch). */
  merged?: boolean;
};

/** `peers/<name>` from the project key (`app-1a2b3c4d` → `peers/app`): what runs published to before readable names. */
export function defaultRunBranch(projectKey: string): string {
  const name = projectKey.replace(/-[0-9a-f]{8}$/, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+|[.]+$/g, '') || 'run';
  return `peers/${name}`;
}

/**
 * The default results branch: `peers/<readable directory name>` ("clamp lib é" → peers/clamp-lib-e,
 * where the key gave peers/clamp-lib-). A project whose runs already published to the key's
 * branch keeps it, so an upgrade never moves a run's results to a second branch.
 */
export function defaultResultsBranch(repo: string, projectKey: string, paths: StatePaths): string {
  const legacy = defaultRunBranch(projectKey);
  if (lastPublished(paths)?.branch === legacy) return legacy;
  return `peers/${readableName(basename(repo))}`;
}

function publishedPath(paths: StatePaths): string {
  return join(paths.run, 'published.json');
}

/** What the archived run had published, for the first run after a reset (sandbox/reset.ts writes it). */
export function publishedBeforeResetPath(paths: StatePaths): string {
  return join(paths.dir, 'published-before-reset.json');
}

/** What peers last wrote to the branch: this run's record, else the archived run's before a reset. */
export function lastPublished(paths: StatePaths): { branch: string; sha: string } | undefined {
  for (const file of [publishedPath(paths), publishedBeforeResetPath(paths)]) {
    try {
      const text = readTextIfExists(file, 1 * MiB);
      if (text !== undefined) return JSON.parse(text) as { branch: string; sha: string };
    } catch {
      // unreadable: as if peers had never written the branch (it is then left alone)
    }
  }
  return undefined;
}

/** Git in the user's repository: their own config (it is theirs), no hooks, no auto-gc, no submodules. */
const USER_REPO_FLAGS = ['-c', 'gc.auto=0', '-c', 'maintenance.auto=false', '-c', 'fetch.recurseSubmodules=false'];

export function publishRunBranch(repo: string, paths: StatePaths, branch: string): PublishResult {
  return publishOnce(repo, paths, branch, false);
}

function publishOnce(repo: string, paths: StatePaths, branch: string, retried: boolean): PublishResult {
  const ref = `refs/heads/${branch}`;
  const head = observedHead(paths.mirror);
  if (!head) return { branch, sha: null, ahead: 0, updated: false, note: 'the run has no commit yet' };
  if (!isSafeRefName(ref)) return { branch, sha: head, ahead: 0, updated: false, note: `"${branch}" is not a usable branch name` };
  const base = observedHead(paths.mirror, RUN_BASE_REF);
  const ahead = base ? Number(git(paths.mirror, ['rev-list', '--count', `${base}..${head}`]).stdout.trim() || 0) : 0;
  const cur = git(repo, ['rev-parse', '--verify', '--quiet', ref]);
  const current = cur.code === 0 ? cur.stdout.trim() : null;
  if (current === head) {
    writeFileAtomic(publishedPath(paths), `${JSON.stringify({ branch, sha: head })}\n`);
    return { branch, sha: head, ahead, updated: false, ...mergedInto(repo, head, ahead) };
  }
  const last = lastPublished(paths);
  if (current && !(last?.branch === branch && last.sha === current)) {
    // Either the user moved it, or another peers project of this repository publishes there (a
    // worktree with the same directory name): either way it is not this run's to overwrite.
    return { branch, sha: head, ahead, updated: false, note: `${branch} was moved outside peers, or another peers project of this repository (a worktree with the same directory name) publishes there (it is at ${current.slice(0, 10)}); not overwritten. Give this project a branch of its own with results: {branch: peers/NAME} in .peers/config.yaml (\`peers up --accept-changes\` takes it). The run is at ${head.slice(0, 10)}: \`${shellCommand('git', 'fetch', paths.mirror, RUN_HEAD_REF)}\` then \`git log FETCH_HEAD\`` };
  }
  // git prints a commit's message, names and emails as they are: none of the run's may carry a
  // terminal control sequence into the user's `git log` (src/git/history-controls.ts).
  // Nor a file name git prints as it is (C1 and bidi controls, where core.quotePath is off).
  const range = base ? `${base}..${head}` : head;
  const controls = firstCommitWithControls(paths.mirror, range) ?? firstPathWithControls(paths.mirror, range);
  if (controls) {
    const why = 'error' in controls ? `the run's commits could not be read (${controls.error})` : 'field' in controls ? `commit ${controls.sha.slice(0, 10)} holds ${controlWords(controls.char)} in its ${controls.field}, which git would print to your terminal as it is` : `commit ${controls.sha.slice(0, 10)} adds a file whose file name holds ${controlWords(controls.char)}, which git prints to your terminal as it is where core.quotePath is off`;
    return { branch, sha: head, ahead, updated: false, note: `${branch} not published: ${why}. To look at the run anyway: \`${shellCommand('git', 'fetch', paths.mirror, RUN_HEAD_REF)}\` then \`git log FETCH_HEAD | cat -v\`` };
  }
  // Nor may the run's commits bring the operator's control plane: git's checkout or merge of the
  // branch overwrites the ignored `.peers/` without a word, and the next `peers up` adopts what the
  // peers wrote there (a notify command the host runs) as the operator's (committed-control-plane.ts).
  const control = committedControlPlane(paths.mirror, base ?? undefined, head, paths.snapshotDir);
  if (!control.ok || control.held.length) {
    const why = control.ok ? `the run's commits write peers' own configuration, which your checkout or merge of the branch would put in place of yours: ${control.held.map((p) => JSON.stringify(p)).join(', ')}` : `the run's changes under .peers/ could not be read (${control.error})`;
    return { branch, sha: head, ahead, updated: false, note: `${branch} not published: ${why}. To look at the run anyway: \`${shellCommand('git', 'fetch', paths.mirror, RUN_HEAD_REF)}\` then \`git log -p FETCH_HEAD\`` };
  }
  // Nor may the user's own git, at checkout or merge, fetch or produce content no one reviewed
  // (a filter the run added, .lfsconfig, .gitmodules, a submodule commit: src/git/checkout-risks.ts).
  // Nor may the run change what the user's hooks run (a hook under an in-tree core.hooksPath, a hook manager's configuration),
  // nor a file of the tree their hooks or configuration name (a linked hook, include.path, a driver's script).
  const drivers = git(repo, ['config', '--get-regexp', DRIVER_CONFIG_REGEXP]);
  const located = userHooksDir(repo);
  const files = 'error' in located ? located : userTreeReferences(located);
  const risks = drivers.code > 1 ? { error: `git config in ${repo} failed` } : 'error' in files ? files : checkoutRisks(paths.mirror, base, head, configuredDrivers(drivers.stdout), userAttributesText(repo), userHooksOf(located as HooksDir), files);
  if (!Array.isArray(risks) || risks.length) {
    const why = Array.isArray(risks) ? `the run's commits would make your git act at checkout: ${risks.join('; ')}` : risks === files && files !== located ? risks.error : `the run's changes could not be read (${risks.error})`;
    return { branch, sha: head, ahead, updated: false, note: `${branch} not published: ${why}. To look at the run anyway: \`${shellCommand('git', 'fetch', paths.mirror, RUN_HEAD_REF)}\` then \`git log -p FETCH_HEAD\`` };
  }
  const blocking = branchInTheWay(repo, branch);
  if (blocking) return { branch, sha: head, ahead, updated: false, note: `your branch "${blocking}" is in the way: git cannot have a branch ${branch} beside it. Rename yours (\`git branch -m ${blocking} NEW-NAME\`), or give the results another branch with results: {branch: NAME} in .peers/config.yaml (\`peers up --accept-changes\` takes it)` };
  const f = git(repo, [...USER_REPO_FLAGS, 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--no-recurse-submodules', paths.mirror, `+${RUN_HEAD_REF}:${ref}`], { hermetic: true, timeoutMs: 30 * 60_000, env: userSafeDirectoryEnv() });
  if (f.code !== 0) {
    // Another peers command published at the same moment (`down` beside an attached `up`, both at
    // the loop's end): git refused this fetch because the branch moved under it. Where it is now
    // decides: at the run's head, the work is done; moved elsewhere, the checks above run again.
    const now = git(repo, ['rev-parse', '--verify', '--quiet', ref]);
    const moved = now.code === 0 ? now.stdout.trim() : null;
    if (moved !== current && !retried) return publishOnce(repo, paths, branch, true);
    // git never moves a branch a worktree has checked out (the user looking at the results there).
    const checkedOut = /refusing to fetch into branch '[^']*' checked out at '([^']*)'/.exec(f.stderr);
    if (checkedOut) {
      return { branch, sha: head, ahead, updated: false, note: `${branch} is checked out in ${checkedOut[1]}, and git does not move a branch a worktree has checked out: switch that worktree to another branch (\`${shellCommand('git', '-C', checkedOut[1]!, 'switch', '--detach')}\`) and the next peers command updates it, or take the run there: \`${shellCommand('git', '-C', checkedOut[1]!, 'pull', '--ff-only', paths.mirror, RUN_HEAD_REF)}\`` };
    }
    return { branch, sha: head, ahead, updated: false, note: `could not update ${branch}: ${f.stderr.trim().split('\n').slice(-2).join(' ').slice(0, 300)}` };
  }
  writeFileAtomic(publishedPath(paths), `${JSON.stringify({ branch, sha: head })}\n`);
  return { branch, sha: head, ahead, updated: true, ...mergedInto(repo, head, ahead) };
}

/**
 * The user's own attributes files (`core.attributesFile`, else git's default under
 * XDG_CONFIG_HOME, and the repository's `info/attributes`): a macro defined there, named by a
 * line the run adds, routes files through the driver it sets (src/git/checkout-risks.ts).
 */
function userAttributesText(repo: string): string {
  const configured = git(repo, ['config', '--path', '--get', 'core.attributesFile']).stdout.trim();
  const xdg = process.env.XDG_CONFIG_HOME || (process.env.HOME ? join(process.env.HOME, '.config') : undefined);
  const files = [configured || (xdg ? join(xdg, 'git', 'attributes') : undefined)];
  try {
    files.push(join(resolveRepoLayout(repo, { allowGitFile: true }).commonDir, 'info', 'attributes'));
  } catch {}
  return files.flatMap((f) => {
    try {
      return f ? [readTextIfExists(f, 1 * MiB) ?? ''] : [];
    } catch {
      return [];
    }
  }).join('\n');
}

/**
 * A branch of the user's that git cannot have beside `branch`: one named like a folder of it
 * (`peers` for `peers/app`; refs are files and folders). Git's own refusal suggests `git remote
 * prune` of the run's mirror, which is no help.
 */
function branchInTheWay(repo: string, branch: string): string | undefined {
  const parts = branch.split('/');
  for (let i = 1; i < parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    if (git(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${prefix}`]).code === 0) return prefix;
  }
  return undefined;
}

/** `merged` when the user's HEAD already has the run's commits (a run with none has nothing to merge). */
function mergedInto(repo: string, head: string, ahead: number): { merged?: true } {
  return ahead > 0 && git(repo, ['merge-base', '--is-ancestor', head, 'HEAD']).code === 0 ? { merged: true } : {};
}

/** One line for the user: where the results are and how to take them. */
export function describePublish(r: PublishResult): string {
  if (!r.sha) return `results: none yet (${r.note})`;
  const where = `branch ${r.branch} at ${r.sha.slice(0, 10)} (${r.ahead} commit${r.ahead === 1 ? '' : 's'} by the run)`;
  if (r.note) return `results: ${r.note}`;
  if (r.ahead === 0) return `results: branch ${r.branch} at ${r.sha.slice(0, 10)} (no commits by the run yet)`;
  if (r.merged) return `results: ${where}, already in your HEAD (merged)`;
  return `results: ${where}; review with \`git log -p ${r.branch}\`, take them with \`git merge ${r.branch}\``;
}
