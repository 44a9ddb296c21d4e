/**
 * `peers init`: puts the control plane into a git repository. Writes `.peers/config.yaml`,
 * `.peers/goals.yaml` (with the gates, setup and egress it proposes from the project it finds:
 * detect-project.ts) and their JSON Schemas, keeps `.peers/` out of git (a commit by
 * `peers-init` touching only `.gitignore`), tags the starting point `peers-baseline` (checks
 * compare `peers-baseline..HEAD`), and registers the project for `peers doctor`.
 * Every refusal happens before the first write, so a refused init leaves the tree untouched.
 */
import { refuseUnsupportedRepository } from '../git/project-dir.ts';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import configTemplate from '../../templates/config.yaml' with { type: 'text' };
import goalsTemplate from '../../templates/goals.yaml' with { type: 'text' };
import { InputError, PeersError } from '../cli/errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { MiB, readTextIfExists } from '../fs/safe-read.ts';
import { commitOnTop, committedAndStaged, outsideSparseCheckout, stageOnTop, type FileOnTop } from '../git/commit-on-top.ts';
import { git, gitOk, headSha, isGitRepo, repoRoot } from '../git/git.ts';
import { bareRepoMessage, findBareRepo, findWorkTreeRoot } from '../git/repo-layout.ts';
import { detectProject, type ProjectFiles, type ProjectProposal } from '../config/detect-project.ts';
import { jsonSchemaText } from '../config/json-schema.ts';
import { renderConfig, renderGoals, withResultsBranch } from '../config/render-init.ts';
import { worktreeResultsBranch } from '../config/worktree-results-branch.ts';
import { registerProject } from '../config/project-registry.ts';
import { installModeFiles, type InstalledModes } from './init-modes.ts';
import { checkInitWritable, removeControlDir } from './init-writable.ts';
import { ignoredPaths, projectFilesAtHead, uncommittedProposalNote, type IgnoredPaths } from './uncommitted-proposal.ts';
import type { ModeInstallRequest } from './mode-install.ts';

export { BASELINE_TAG } from '../protocol/run-baseline.ts';
import { BASELINE_TAG } from '../protocol/run-baseline.ts';
import { shellCommand, shellWord } from '../cli/shell-word.ts';
export const INIT_AUTHOR = { name: 'peers-init', email: 'peers-init@local' };
export const GITIGNORE_COMMIT_MESSAGE = 'peers init: add .peers/ to .gitignore\n\nPeer: peers-init\n';

export { configTemplate, goalsTemplate };

export type InitResult = {
  repo: string;
  files: string[];
  gitignoreCommit?: string;
  /** Paths init staged instead of committing (the user signs their commits: they commit them). */
  staged?: string[];
  baselineTag?: string;
  /** What init found in the project and wrote into the control files. */
  proposal: ProjectProposal;
  /** Things that did not stop init but the user should know. */
  notes: string[];
  /** What `--modes` installed (absent for a plain init). */
  modes?: InstalledModes;
  /** `peers new`: the suite gate that is red until the project's first test (the skeleton has none). */
  redUntilFirstTest?: string;
};

/**
 * The project's own files as detect-project.ts reads them: regular files only, at most 1 MiB.
 * `ignored` (ignoredPaths) leaves out what git ignores, which no commit holds.
 */
export function projectFilesAt(repo: string, ignored?: IgnoredPaths): ProjectFiles {
  // A path through a file (`src/shapes.py/__init__.py`), a link loop or an over-long name is no file.
  const found = (rel: string) => {
    try {
      return lstatSync(join(repo, rel), { throwIfNoEntry: false });
    } catch {
      return undefined;
    }
  };
  const regular = (rel: string) => (ignored?.has(rel) ? undefined : found(rel));
  return {
    read(rel) {
      const st = regular(rel);
      if (!st?.isFile() || st.size > MiB) return undefined;
      try {
        return readTextIfExists(join(repo, rel), MiB);
      } catch {
        return undefined;
      }
    },
    exists: (rel) => regular(rel) !== undefined,
    list(rel) {
      if (!regular(rel || '.')?.isDirectory()) return [];
      try {
        return readdirSync(join(repo, rel)).filter((n) => !ignored?.has(rel ? `${rel}/${n}` : n));
      } catch {
        return [];
      }
    },
  };
}

const PEERS_IGNORE_LINE = /^\/?\.peers\/?\s*$/m;

const SPARSE_NOTE = "this is a sparse checkout: init read the project from HEAD, all of it, since `peers verify` and the run check out all of HEAD, not only the directories on your disk; remove from .peers/goals.yaml the gates of projects you do not want the run to work on";

/** The repository init sets up (the real path of its top), or the bad-input error that says why `target` is none. */
export function checkTarget(target: string, env: Record<string, string | undefined>): string {
  if (!existsSync(target) || !statSync(target).isDirectory()) {
    throw new InputError(`${target} is not a directory`, { hint: 'pass the path of an existing git repository: `peers init PATH`' });
  }
  const real = realpathSync(target);
  if (real === '/') throw new InputError('refusing to initialise the filesystem root', { hint: 'run `peers init` inside a git repository' });
  const home = env.HOME || homedir();
  if (existsSync(home) && real === realpathSync(home)) {
    throw new InputError('refusing to initialise your home directory', { hint: 'run `peers init` inside a project repository' });
  }
  if (!isGitRepo(real)) {
    // A .git git will not open is not a missing repository: `git init` there would nest a new one.
    const top = findWorkTreeRoot(real);
    if (top) {
      // In the C locale: the reason is matched below, and a translated git (LANGUAGE=de) words it otherwise.
      const said = git(real, ['rev-parse', '--is-inside-work-tree'], { env: { LC_ALL: 'C' } }).stderr.split('\n').find((l) => l.trim() !== '')?.replace(/^fatal: /, '') ?? 'no reason given';
      const hint = /dubious ownership/.test(said)
        ? `the repository belongs to another user: run peers as that user (or, if you trust the repository and its hooks, \`git config --global --add safe.directory ${shellWord(top)}\`)`
        : `\`git -C ${shellWord(top)} status\` says what is wrong with it`;
      throw new InputError(`git refuses the repository at ${top}: ${said}`, { hint });
    }
    const bare = findBareRepo(real);
    if (bare) throw new InputError(bareRepoMessage(bare).message, { hint: bareRepoMessage(bare).hint });
    throw new InputError(`${target} is not a git repository`, { hint: `create one first: \`git -C ${shellWord(real)} init\`` });
  }
  const root = realpathSync(repoRoot(real));
  // Refused here, before anything is written, not at the first `verify` or `up`.
  refuseUnsupportedRepository(root);
  if (root !== real) {
    // A package of a monorepo: peers works on the whole repository and runs every gate at its
    // top, so the gate for this directory's own suite has to change into it first.
    const sub = relative(root, real);
    const suite = detectProject(projectFilesAt(real)).gates.find((g) => g.id === 'tests-pass');
    const gate = suite ? ` (gates run at the top: for this directory's tests, a hard gate with cmd: "cd ${sub} && ${suite.cmd}" and pass_when: ${suite.pass_when})` : ` (gates run at the top: a gate for this directory starts with \`cd ${sub} && \`)`;
    throw new InputError(`${target} is inside a git repository but not at its top`, { hint: `run \`peers init ${shellWord(root)}\`${gate}` });
  }
  return real;
}

function checkControlDir(repo: string, force: boolean): void {
  const dir = join(repo, '.peers');
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) throw new InputError(`${dir} is a symlink; refusing to write through it`, { hint: `remove it: \`${shellCommand('rm', dir)}\`` });
  if (force) return;
  // A clone of a repository that commits its .peers/ (a team sharing its gates) needs no init.
  if (git(repo, ['ls-files', '--', '.peers']).stdout.trim()) {
    throw new InputError(`${dir} already exists, committed to this repository (a configuration shared in git)`, { hint: 'it is set up already: `peers verify`, then `peers up`; `peers init --force` would replace the committed files (this deletes .peers/ and its contents)' });
  }
  throw new InputError(`${dir} already exists`, { hint: 'run `peers init --force` to replace it (this deletes .peers/ and its contents)' });
}

function checkGitignore(repo: string): void {
  const path = join(repo, '.gitignore');
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) {
    const listed = (() => {
      try {
        // Only a regular target is read: a FIFO would block the read forever.
        return statSync(path).isFile() && PEERS_IGNORE_LINE.test(readTextIfExists(realpathSync(path), MiB) ?? '');
      } catch {
        return false;
      }
    })();
    if (!listed) throw new InputError(`${path} is a symlink; refusing to write through it`, { hint: 'add the line `.peers/` to the file it points to, then re-run `peers init`' });
    return;
  }
  if (!st.isFile()) throw new InputError(`${path} is not a regular file`, { hint: 'remove it or replace it with a regular file, then re-run `peers init`' });
  // The atomic rewrite (rename) would silently split a hard link from its other names: refuse first.
  if (st.nlink > 1 && !PEERS_IGNORE_LINE.test(readTextIfExists(path, MiB) ?? '')) {
    throw new InputError(`${path} has ${st.nlink} hard links; refusing to replace it`, { hint: 'add the line `.peers/` to it yourself, then re-run `peers init`' });
  }
}

/**
 * `text` with the line `.peers/` added (unchanged when it already ignores .peers), ended as the
 * text's lines are: a working tree checked out with CRLF (`eol=crlf`, `core.autocrlf`) gets no
 * lone LF line.
 */
function withControlDirIgnored(text: string): string {
  if (PEERS_IGNORE_LINE.test(text)) return text;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return `${text}${text && !text.endsWith('\n') ? eol : ''}.peers/${eol}`;
}

/** Appends `.peers/` to the working tree's .gitignore, the user's uncommitted lines kept. */
function ignoreControlDir(repo: string): void {
  const path = join(repo, '.gitignore');
  if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) return; // already lists .peers (checked)
  // Kept off the disk by a sparse checkout: git reads it from the index, which the commit updates;
  // a file written here would hold only the new line and show the user's lines as deleted.
  if (outsideSparseCheckout(repo, ['.gitignore']).length) return;
  const current = readTextIfExists(path, MiB) ?? '';
  const next = withControlDirIgnored(current);
  if (next !== current) writeFileAtomic(path, next, 0o644);
}

/**
 * The .gitignore of the init commit: HEAD's own with `.peers/` added, never the working tree's, so
 * a line the user has not committed yet is not committed under peers-init's name. Their staged
 * version (if any) gets the line too and stays staged. Undefined when HEAD already ignores .peers
 * (or .gitignore is a symlink, checked to list it).
 */
function gitignoreOnTop(repo: string): FileOnTop | undefined {
  if (lstatSync(join(repo, '.gitignore'), { throwIfNoEntry: false })?.isSymbolicLink()) return undefined;
  const { head, index } = committedAndStaged(repo, '.gitignore');
  const committed = withControlDirIgnored(head ?? '');
  if (committed === head) return undefined;
  return { path: '.gitignore', committed, staged: index === head ? committed : withControlDirIgnored(index ?? '') };
}

/** The repository's effective commit.gpgSign (its own config, the user's global one, the system's). */
function signsCommits(repo: string): boolean {
  return git(repo, ['config', '--type=bool', '--get', 'commit.gpgSign']).stdout.trim() === 'true';
}

/** A file peers itself has just written: committed and staged as it is on disk. */
export function writtenFile(repo: string, path: string): FileOnTop {
  const full = join(repo, path);
  const text = readFileSync(full, 'utf8');
  return { path, committed: text, staged: text, executable: (statSync(full).mode & 0o111) !== 0 };
}

/** Commits exactly `files` as peers-init on top of HEAD (the user's staged and unstaged work stays theirs); returns the commit. */
export function commitInitFiles(repo: string, files: FileOnTop[], message: string): string | undefined {
  return commitOnTop(repo, files, message, INIT_AUTHOR);
}

/**
 * Tags are shared by every worktree of a repository: init moving the baseline in one moves it for
 * the others, whose `peers check` and reviews (`git diff peers-baseline..HEAD`) then count from
 * here. Said when it happens; a run keeps the baseline it started from either way (state.json).
 */
function sharedBaselineMoved(repo: string, before: string, after: string): string | undefined {
  if (!before || before === after) return undefined;
  const others = git(repo, ['worktree', 'list', '--porcelain']).stdout.split('\n').filter((l) => l.startsWith('worktree ')).length - 1;
  if (others < 1) return undefined;
  return `${BASELINE_TAG} moved from ${before.slice(0, 12)} to ${after.slice(0, 12)}, and tags are shared by every worktree of this repository: in the ${others === 1 ? 'other one' : `${others} others`} (\`git worktree list\`), \`peers check\` and the reviews' \`git diff ${BASELINE_TAG}..HEAD\` now count from here too (a run keeps the baseline it started from); to put it back: \`git tag -f ${BASELINE_TAG} ${before.slice(0, 12)}\``;
}

export type InitOptions = { target?: string; force?: boolean; env?: Record<string, string | undefined> } & Partial<ModeInstallRequest>;

export function initProject(opts: InitOptions): InitResult {
  const env = opts.env ?? process.env;
  const repo = checkTarget(resolve(opts.target ?? '.'), env);
  checkControlDir(repo, opts.force ?? false);
  checkGitignore(repo);
  checkInitWritable(repo);
  // A sparse checkout has only part of HEAD on disk, and verify and the run judge all of HEAD: the
  // proposal is read from HEAD there (a suite outside the checked-out set is still the project's).
  const sparse = git(repo, ['config', '--type=bool', '--get', 'core.sparseCheckout']).stdout.trim() === 'true' && headSha(repo) !== undefined;
  // What git ignores (a lockfile a library keeps out of git) is in no commit verify or the run
  // checks out: proposing `npm ci` from it failed there, and "commit them" could not be followed.
  const projectFiles = sparse ? projectFilesAtHead(repo) : projectFilesAt(repo, ignoredPaths(repo));
  const proposal = detectProject(projectFiles);
  const uncommitted = sparse ? SPARSE_NOTE : uncommittedProposalNote(repo, proposal, detectProject(projectFilesAtHead(repo)));
  const modeRequest = opts.modes?.length ? { modes: opts.modes, lang: opts.lang, spec: opts.spec, plan: opts.plan, allowPassingAcceptance: opts.allowPassingAcceptance } : undefined;
  if (!modeRequest && (opts.lang || opts.spec || opts.plan)) {
    const flag = opts.plan ? '--plan' : opts.spec ? '--spec' : '--lang';
    const hint = opts.plan ? 'peers init --modes implement --plan PLAN.md' : opts.spec ? `peers init --modes audit,thorough --spec ${opts.spec}` : `peers init --modes audit,thorough --lang ${opts.lang}`;
    throw new InputError(`${flag} goes with --modes (it is a setting of the modes, see \`peers modes list\`)`, { hint });
  }

  const dir = join(repo, '.peers');
  // Modes decide (and may refuse) before the first write.
  const modes = modeRequest ? installModeFiles.prepare(repo, modeRequest, projectFiles, proposal) : undefined;
  // rmSync (removeControlDir) never follows symlinks inside the tree; .peers itself was checked not to be one.
  if (existsSync(dir)) removeControlDir(dir);
  mkdirSync(join(dir, 'schema'), { recursive: true, mode: 0o755 });
  const written = modes ? installModeFiles.write(repo, modes, proposal, configTemplate) : undefined;
  const resultsBranch = worktreeResultsBranch(repo);
  const files: [string, string][] = [
    ['config.yaml', withResultsBranch(written?.config ?? renderConfig(configTemplate, proposal), resultsBranch)],
    ['goals.yaml', written?.goals ?? renderGoals(goalsTemplate, proposal)],
    ['schema/config.schema.json', jsonSchemaText('config')],
    ['schema/goals.schema.json', jsonSchemaText('goals')],
  ];
  for (const [name, text] of files) writeFileAtomic(join(dir, name), text, 0o644);

  const notes: string[] = [...(uncommitted ? [uncommitted] : []), ...proposal.notes, ...(modes?.notes ?? []), ...(resultsBranch ? [`this is a git worktree: the run's results go to the branch ${resultsBranch} (results.branch in .peers/config.yaml), not one another worktree's run could share`] : [])];
  const result: InitResult = { repo, files: files.map(([name]) => join(dir, name)), proposal, notes };
  const gitignore = gitignoreOnTop(repo);
  ignoreControlDir(repo);
  const commitFiles = [...(gitignore ? [gitignore] : []), ...(written?.commitPaths ?? []).map((p) => writtenFile(repo, p))];
  const paths = commitFiles.map((f) => f.path);
  const message = written && written.commitPaths.length ? `peers init: modes ${written.installed.modes.join(',')}\n\nAdds ${paths.join(', ')}.\n\nPeer: peers-init\n` : GITIGNORE_COMMIT_MESSAGE;
  if (commitFiles.length && signsCommits(repo)) {
    // Their config wants every commit signed: peers never signs in the user's name (nor prompts
    // for a key), and an unsigned commit on their branch would break that policy. So the change
    // is staged and the user commits it, signed, as they commit everything.
    stageOnTop(repo, commitFiles);
    result.staged = paths;
    notes.push(`your git config signs every commit (commit.gpgSign), so peers init made no commit of its own: ${paths.join(', ')} ${paths.length > 1 ? 'are' : 'is'} staged; commit ${paths.length > 1 ? 'them' : 'it'} with your signature: \`${shellCommand('git', 'commit', '-m', message.split('\n')[0]!, '--', ...paths)}\`${written?.commitPaths.length ? `, then \`git tag --no-sign -f ${BASELINE_TAG}\` (the run's changes count from it)` : ''}`);
  } else {
    result.gitignoreCommit = commitInitFiles(repo, commitFiles, message);
    // On a detached HEAD the commit is on no branch: the next checkout would leave it behind.
    if (result.gitignoreCommit && git(repo, ['symbolic-ref', '-q', 'HEAD']).code !== 0) {
      notes.push(`HEAD is detached, so init's commit (${result.gitignoreCommit.slice(0, 12)}) is on no branch and a checkout leaves it behind: keep it with \`git switch -c NAME\` (or \`git cherry-pick ${result.gitignoreCommit.slice(0, 12)}\` on your branch)`);
    }
  }
  const head = headSha(repo);
  if (head) {
    // update-ref, not `git tag`: a user's tag.gpgSign (or tag.forceSignAnnotated) turns `git tag`
    // into a signed, annotated tag that asks for a message and a key; the baseline is a plain ref.
    const before = git(repo, ['rev-parse', '-q', '--verify', `refs/tags/${BASELINE_TAG}^{commit}`]).stdout.trim();
    gitOk(repo, ['update-ref', `refs/tags/${BASELINE_TAG}`, head]);
    result.baselineTag = BASELINE_TAG;
    const moved = sharedBaselineMoved(repo, before, head);
    if (moved) notes.push(moved);
  } else {
    notes.push(`no commit yet, so no ${BASELINE_TAG} tag; commit once, then run \`git tag -f ${BASELINE_TAG}\``);
  }
  if (written) {
    installModeFiles.finish(repo, written);
    result.modes = written.installed;
  }
  try {
    registerProject(repo, env);
  } catch (error) {
    // The error's file and hint too: the message alone ("permission denied") names neither the place nor the way out.
    const said = error instanceof PeersError ? error.format().replace(/\n\s*hint: /, '; ') : (error as Error).message;
    notes.push(`could not register the project for \`peers doctor\`: ${said}`);
  }
  return result;
}

function proposalLines(p: ProjectProposal): string[] {
  if (!p.gates.length) return ['No test suite found: goals.yaml has a placeholder gate that never passes until you replace it.'];
  return [
    `Found a ${p.kinds.join(' + ')} project; proposed:`,
    ...p.gates.map((g) => `  gate ${g.id}: ${g.cmd}   (pass_when: ${g.pass_when})`),
    ...(p.setup ? [`  setup: ${p.setup}`] : []),
    ...(p.egress.length ? [`  egress allow: ${p.egress.join(', ')}`] : []),
  ];
}

/** What init did in git: its commit (or what it staged for the user to sign), and the baseline tag. */
function gitLines(result: InitResult): string[] {
  const tagged = result.baselineTag ? `, tagged ${BASELINE_TAG}` : '';
  if (result.staged) return [`  staged ${result.staged.join(', ')} for you to commit (signed)${tagged}`];
  if (result.gitignoreCommit) return [`  committed ${result.modes?.committed.length ? ['.gitignore', ...result.modes.committed].join(', ') : '.gitignore'} (${result.gitignoreCommit.slice(0, 12)})${tagged}`];
  return result.baselineTag ? [`  tagged ${BASELINE_TAG}`] : [];
}

export function nextSteps(result: InitResult): string[] {
  return [
    `Initialized peers in ${join(result.repo, '.peers')}`,
    ...(result.modes ? [`  modes: ${result.modes.modes.join(', ')}${result.modes.lang ? ` (language ${result.modes.lang})` : ''}`] : []),
    ...gitLines(result),
    ...result.notes.map((n) => `  note: ${n}`),
    '',
    ...proposalLines(result.proposal),
    '',
    'Next steps:',
    result.proposal.gates.length
      ? '  1. Check the proposed gates in .peers/goals.yaml (add lint or others you rely on), and add your goals.'
      : '  1. Edit .peers/goals.yaml: replace placeholder-replace-me with your real gates (tests, typecheck, lint).',
    `  2. peers verify     # run every hard goal once against HEAD${result.redUntilFirstTest ? ` (${result.redUntilFirstTest} is red until the first test: see the note above)` : ''}`,
    '  3. peers info       # the exact command each peer will run, goals and budget',
    '  4. peers doctor     # check podman, the workspace image and the peer CLIs',
    '  5. peers up         # start the peers in the sandbox',
  ];
}
