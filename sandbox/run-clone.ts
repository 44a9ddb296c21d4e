/**
 * The run clone (docs/ARCHITECTURE.md, "The run clone"): `peers up` gives the peers their own
 * repository in the state dir, made from the user's HEAD, sharing nothing writable with the
 * user's `.git` (objects are copied, never hardlinked or borrowed). The trusted mirror is made
 * first, from the user's repository (one pack, hashes verified); the clone is a copy of the
 * mirror's object files made with hermetic git, so no filter, hook or template of anyone's
 * configuration runs. A later `up`
 * reuses both: the run continues on its own history.
 *
 * The clone's config holds nothing of the user's: who the peers commit as reaches each peer
 * process in its environment (src/config/git-identity.ts), read from the user's repository by `up`.
 *
 * Supported: ordinary repositories, `git worktree` checkouts, dirty working trees (what is not
 * committed is not in the run, and `up` says so), shallow repositories. Submodules: the run gets
 * the superproject only — submodule directories are empty in the clone and in the gates' checkout.
 */
import { existsSync, lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { removeTree } from '../src/fs/remove-tree.ts';
import { join } from 'node:path';
import { InputError, PeersError } from '../src/cli/errors.ts';
import { shellCommand } from '../src/cli/shell-word.ts';
import { readFileCapped } from '../src/fs/safe-read.ts';
import { git, gitOk } from '../src/git/git.ts';
import { BASELINE_TAG, importTrusted, initObserverRepo, observedHead, RUN_BASE_REF, RUN_HEAD_REF } from '../src/git/observer.ts';
import { readHead, resolveRef, resolveRepoLayout } from '../src/git/repo-layout.ts';
import type { StatePaths } from '../src/state/paths.ts';

export type RunClone = {
  created: boolean;
  /** The user's HEAD the run started from, and where the run is now (as the mirror knows it). */
  base: string;
  head: string;
  /** What the user should know: uncommitted changes left out, submodules, a moved HEAD. */
  notes: string[];
};

const CLONE_TIMEOUT_MS = 30 * 60_000;

/** Uncommitted changes in the user's working tree (git status there: the user's own repository). */
export function uncommittedChanges(repo: string): string[] {
  const r = git(repo, ['status', '--porcelain=v1', '-z', '--untracked-files=normal', '--ignore-submodules=all'], { env: { GIT_OPTIONAL_LOCKS: '0' }, timeoutMs: 120_000 });
  if (r.code !== 0) return [];
  const out: string[] = [];
  const parts = r.stdout.split('\0');
  for (let i = 0; i < parts.length; i++) {
    const e = parts[i]!;
    if (e.length < 4) continue;
    const path = e.slice(3);
    if (path !== '.peers/' && !path.startsWith('.peers/')) out.push(`${e.slice(0, 2).trim() || '?'} ${path}`);
    if (e[0] === 'R' || e[0] === 'C') i++;
  }
  return out;
}

/**
 * Untracked directories that are a local environment or build output, not work left uncommitted:
 * "commit them" is the wrong advice for a `venv/` of 1,600 files (the run makes its own in setup).
 */
const LOCAL_ONLY_DIRS = new Set(['venv', '.venv', 'env', '.env', 'node_modules', '__pycache__', '.tox', '.nox', '.mypy_cache', '.pytest_cache', '.ruff_cache', 'target', 'dist', 'build', '.next', '.cache', 'coverage', '.gradle', '.idea', '.vscode']);

/**
 * What to do about the uncommitted changes (`XY path` entries) a result leaves out: commit what
 * the run needs; an untracked environment or build directory belongs in .gitignore instead.
 */
export function uncommittedAdvice(dirty: readonly string[], purpose = 'to include them'): string {
  const localOnly = dirty.filter((e) => e.startsWith('?? ') && e.endsWith('/') && LOCAL_ONLY_DIRS.has(e.slice(3, -1).split('/').pop()!));
  if (!localOnly.length) return `commit them ${purpose}`;
  const names = localOnly.map((e) => e.slice(3)).join(', ');
  return localOnly.length === dirty.length ? `add ${names} to .gitignore: ${localOnly.length > 1 ? 'they are' : 'it is'} local, and the run makes its own in setup` : `commit what the run needs ${purpose}; add ${names} to .gitignore (local: the run makes its own in setup)`;
}

/** Files a project's setup and gates are built on (what `peers init` reads to propose them), at the top of the tree. */
const PROJECT_MANIFESTS = new Set(['package.json', 'pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', 'Cargo.toml', 'go.mod', 'Makefile', 'pom.xml', 'build.gradle', 'build.gradle.kts', 'Gemfile', 'composer.json', 'mix.exs']);

/**
 * Of the uncommitted changes (`XY path` entries), the project manifests the user has and HEAD has
 * not (untracked, or added and not committed): the run starts from HEAD, so its setup and gates
 * cannot find them, and every gate is red for a reason no peer made.
 */
export function manifestsNotInHead(changes: readonly string[]): string[] {
  return changes.filter((c) => /^(\?\?|A|AM|AD) /.test(c) && PROJECT_MANIFESTS.has(c.slice(c.indexOf(' ') + 1))).map((c) => c.slice(c.indexOf(' ') + 1));
}

function listNote(what: string, items: string[], shown = 10): string {
  return `${what}: ${items.slice(0, shown).join(', ')}${items.length > shown ? `, … (${items.length - shown} more)` : ''}`;
}

function submodulePaths(mirror: string, ref: string): string[] {
  const r = git(mirror, ['ls-tree', '-r', '-z', ref], { maxBuffer: 512 * 1024 * 1024 });
  if (r.code !== 0) return [];
  return r.stdout.split('\0').filter((l) => l.startsWith('160000 ')).map((l) => l.slice(l.indexOf('\t') + 1));
}

function makeClone(paths: StatePaths, branch: string, tracksPeersDir: boolean, exclude: Buffer | undefined): void {
  const clone = paths.clone;
  const template = join(paths.run, '.empty-template');
  mkdirSync(template, { recursive: true });
  const h = { hermetic: true, timeoutMs: CLONE_TIMEOUT_MS };
  // A local clone of the mirror COPYING its object files (--no-hardlinks): nothing of the clone is
  // linked to the mirror, whose objects the loop trusts, and the mirror was verified on import.
  gitOk(paths.run, ['clone', '--quiet', '--no-hardlinks', '--no-checkout', `--template=${template}`, paths.mirror, clone], h);
  const base = gitOk(paths.mirror, ['rev-parse', '--verify', `${RUN_BASE_REF}^{commit}`], h).trim();
  gitOk(clone, ['update-ref', `refs/heads/${branch}`, base], h);
  gitOk(clone, ['symbolic-ref', 'HEAD', `refs/heads/${branch}`], h);
  gitOk(clone, ['remote', 'remove', 'origin'], h);
  mkdirSync(join(clone, '.git', 'info'), { recursive: true });
  // The user's private ignore rules (build output, editor files) hold for the peers too.
  if (exclude) writeFileSync(join(clone, '.git', 'info', 'exclude'), exclude);
  if (tracksPeersDir) {
    // The operator's .peers/ stays out of the peers' tree (it is masked in the workspace too).
    gitOk(clone, ['config', 'core.sparseCheckout', 'true'], h);
    writeFileSync(join(clone, '.git', 'info', 'sparse-checkout'), '/*\n!/.peers/\n');
  }
  gitOk(clone, ['reset', '--quiet', '--hard'], h);
}

function readExclude(commonDir: string): Buffer | undefined {
  try {
    return readFileCapped(join(commonDir, 'info', 'exclude'), 1024 * 1024);
  } catch {
    return undefined;
  }
}

/** History from this size on takes seconds to copy: `up` says so before it starts (MiB). */
const ANNOUNCED_HISTORY_MIB = 20;

/** The size of the repository's object store in MiB (loose and packed), 0 when git cannot say. */
function historyMiB(repo: string): number {
  const res = git(repo, ['count-objects', '-v']);
  if (res.code !== 0) return 0;
  const kib = (key: string) => Number(new RegExp(`^${key}: (\\d+)$`, 'm').exec(res.stdout)?.[1] ?? 0);
  return (kib('size') + kib('size-pack')) / 1024;
}

/**
 * Makes the run clone and the mirror, or reuses them (resume). `progress` hears, before the copy
 * starts, that a large history is being copied (and how large), so seconds of work are not silent.
 */
export function prepareRunClone(repo: string, paths: StatePaths, progress: (line: string) => void = () => {}): RunClone {
  const layout = resolveRepoLayout(repo, { allowGitFile: true });
  const userHead = readHead(layout);
  // The mirror (the loop's, out of the peers' reach) says whether a run exists, never the clone: a
  // peer that removed or replaced the clone's `.git` made `up` throw the run's history away and
  // start again from the user's HEAD. A clone without its own `.git` directory is refused. (No
  // clone directory at all is an `up` cut short before it made one: the peers never ran.)
  if (existsSync(join(paths.mirror, 'HEAD')) && existsSync(paths.clone)) {
    if (!lstatSync(join(paths.clone, '.git'), { throwIfNoEntry: false })?.isDirectory()) {
      throw new PeersError(`the run clone ${paths.clone} is no longer a git repository (its .git directory is gone or replaced); the run's history is safe in ${paths.mirror}`, {
        hint: `move ${paths.run} away to start a new run from your HEAD (\`peers down\` puts the run's commits on your results branch)`,
        exitCode: 2,
      });
    }
    const base = observedHead(paths.mirror, RUN_BASE_REF);
    const head = observedHead(paths.mirror);
    if (!base || !head) throw new PeersError(`the run's mirror at ${paths.mirror} is incomplete`, { hint: `move ${paths.run} away to start a new run from your HEAD` });
    // A run that never started (an up that stopped before the pod ran, `--clone-only`) has nothing
    // to continue: made again from the user's HEAD, it takes the commits made since.
    if (!neverStarted(paths, base, head) || !userHead.sha || userHead.sha === base) return continued(paths, base, head, userHead.sha);
  }
  return makeRunClone(repo, paths, layout, userHead, progress);
}

/**
 * No loop ever ran in it (no run state) and nothing was committed in the clone or the mirror since
 * its base. The clone's HEAD is read from its files, never by running git in it (a peer's clone).
 */
function neverStarted(paths: StatePaths, base: string, head: string): boolean {
  if (existsSync(paths.state) || head !== base) return false;
  try {
    return readHead(resolveRepoLayout(paths.clone, { allowGitFile: false })).sha === base;
  } catch {
    return false;
  }
}

/** A partial clone: a remote it may fetch missing objects from (`remote.<name>.promisor`, or `extensions.partialClone` of older git). */
function isPartialClone(repo: string): boolean {
  const promisors = git(repo, ['config', '--type=bool', '--get-regexp', '^remote\\..*\\.promisor$']).stdout;
  return /\strue$/m.test(promisors) || git(repo, ['config', '--get', 'extensions.partialClone']).stdout.trim() !== '';
}

/**
 * An import from a partial clone that still lacks an object it needs (HEAD's own files outside a
 * sparse checkout, a baseline tag on an older commit): what to do, not git's "repository corruption".
 */
function importPartial(importRef: () => string, partial: boolean, ref: string): string {
  try {
    return importRef();
  } catch (error) {
    const untrusted = /detected dubious ownership in repository at '([^']*)'/.exec((error as Error).message);
    if (untrusted) {
      throw new InputError(`git refuses to read your repository: ${untrusted[1]} belongs to another user, and your git configuration does not say you trust it ("detected dubious ownership")`, {
        hint: `if you trust it: \`git config --global --add safe.directory ${untrusted[1]!.replace(/\/\.git$/, '')}\`, then \`peers up\` again`,
      });
    }
    if (!partial) throw error;
    const fetchAll = ref === BASELINE_TAG ? `move the tag to a commit whose files you have (\`git tag -f ${BASELINE_TAG} HEAD\`), or fetch what the clone left out` : 'fetch what the clone left out';
    throw new InputError(`your repository is a partial clone and lacks objects of ${ref} that the run needs (git: ${(error as Error).message.split('\n')[0]!.slice(-200)})`, {
      hint: `${fetchAll}: \`git -c remote.origin.partialclonefilter= fetch --refetch origin\` (git 2.36 or later), or run peers on a full clone`,
    });
  }
}

function continued(paths: StatePaths, base: string, head: string, userSha: string | null | undefined): RunClone {
  const notes = [`continuing the run clone (${paths.clone}) at ${head.slice(0, 10)}; it started from ${base.slice(0, 10)}`];
  if (userSha && userSha !== base) notes.push(`your HEAD (${userSha.slice(0, 10)}) has moved since the run started; the run keeps working on its own history`);
  return { created: false, base, head, notes };
}

function makeRunClone(repo: string, paths: StatePaths, layout: ReturnType<typeof resolveRepoLayout>, userHead: ReturnType<typeof readHead>, progress: (line: string) => void): RunClone {
  if (!userHead.sha) throw new InputError(`${repo} has no commit yet: the run starts from your HEAD`, { hint: 'commit your work, then run `peers up` again' });
  const mib = historyMiB(repo);
  if (mib >= ANNOUNCED_HISTORY_MIB) progress(`copying your history (${Math.round(mib)} MiB) into the run's mirror, then checking out HEAD ${userHead.sha.slice(0, 10)}: this takes a while on a repository this size`);
  removeTree(paths.run);
  mkdirSync(paths.run, { recursive: true, mode: 0o700 });
  initObserverRepo(paths.mirror);
  // A partial clone (`git clone --filter=…`) lacks the contents of its older history, and git will
  // not send what it lacks: the run's history starts at HEAD (and the baseline tag), as in a
  // shallow clone. Asked of the user's own repository, which no peer can write.
  const partial = isPartialClone(repo);
  const depth = partial ? { depth: 1 } : {};
  const base = importPartial(() => importTrusted(paths.mirror, repo, 'HEAD', RUN_BASE_REF, 'commit', depth), partial, 'HEAD');
  gitOk(paths.mirror, ['update-ref', RUN_HEAD_REF, base]);
  // Where "new" test markers count from (gates read it in their checkout of the mirror).
  if (resolveRef(layout, BASELINE_TAG)) importPartial(() => importTrusted(paths.mirror, repo, BASELINE_TAG, BASELINE_TAG, 'any', depth), partial, BASELINE_TAG);
  const branch = userHead.ref?.startsWith('refs/heads/') ? userHead.ref.slice('refs/heads/'.length) : 'peers-run';
  const tracksPeersDir = git(paths.mirror, ['cat-file', '-e', `${base}:.peers`]).code === 0;
  try {
    makeClone(paths, branch, tracksPeersDir, readExclude(layout.commonDir));
  } catch (error) {
    removeTree(paths.run);
    throw new PeersError(`cannot make the run clone: ${(error as Error).message}`);
  }
  const notes: string[] = [`made the run clone ${paths.clone} from your HEAD ${base.slice(0, 10)}${userHead.ref ? ` (${branch})` : ''}`];
  if (partial) notes.push('your repository is a partial clone (`git clone --filter=…`): the run has HEAD without the history before it (the peers see one commit of it)');
  const dirty = uncommittedChanges(repo);
  const missing = manifestsNotInHead(dirty);
  if (missing.length) notes.push(`WARNING: your HEAD has no ${missing.join(', ')}, which your working tree has: the run starts from HEAD, so its setup and gates will not find ${missing.length > 1 ? 'them' : 'it'}. Commit ${missing.length > 1 ? 'them' : 'it'} (\`${shellCommand('git', 'add', ...missing)} && git commit\`), then \`peers up --fresh\``);
  if (dirty.length) notes.push(listNote(`${dirty.length} uncommitted change(s) are NOT in the run (${uncommittedAdvice(dirty, 'and start a new run to include them')})`, dirty));
  const subs = submodulePaths(paths.mirror, base);
  if (subs.length) notes.push(listNote(`submodules are not part of the run (their directories are empty for the peers and the gates)`, subs));
  return { created: true, base, head: base, notes };
}
