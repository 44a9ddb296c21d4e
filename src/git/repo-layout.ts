/**
 * Where a working repository keeps its git data, and what its HEAD points at, read WITHOUT git:
 * a repository a peer can write may carry configuration that runs code in any git process that
 * opens it, so the observer (observer.ts) never runs git there. Every file is read no-follow and
 * size-capped, every directory on the way is checked not to be a symlink, and every ref name and
 * object id is validated before use.
 */
import { lstatSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { MiB, readTextCapped } from '../fs/safe-read.ts';

export type RepoLayout = {
  /** The working tree. */
  workDir: string;
  /** The per-worktree git dir (HEAD, index); `.git` itself unless this is a `git worktree`. */
  gitDir: string;
  /** The shared git dir (refs, objects, config). */
  commonDir: string;
  objectsDir: string;
};

export class RepoLayoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RepoLayoutError';
  }
}

const SMALL_FILE = 4096;
/** packed-refs of a repository with very many tags can be large; beyond this we refuse. */
const PACKED_REFS_LIMIT = 256 * MiB;
const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** Refs git keeps per worktree (in the worktree's git dir), not in the shared one. */
const PER_WORKTREE = /^refs\/(?:bisect|worktree|rewritten)\//;

export function isObjectId(s: string): boolean {
  return OBJECT_ID.test(s);
}

/**
 * A ref name we are willing to look up: what git itself accepts (`git check-ref-format`: no control
 * character, space, ~ ^ : ? * [ or backslash, no "..", "@{", component starting with "." or ending
 * with ".lock", no trailing "."), and so nothing that escapes the git dir. Branch names like
 * `fix/#42` or `feature/ünï` are a user's own and must be read (they made `up` fail with exit 70).
 */
export function isSafeRefName(name: string): boolean {
  if (name.length > 1024 || !name.startsWith('refs/') || name.endsWith('.')) return false;
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  return name.split('/').every((part) => part.length > 0 && !part.startsWith('.') && !part.endsWith('.lock') && !part.includes('..') && !part.includes('@{'));
}

function kind(path: string): 'dir' | 'file' | 'symlink' | 'other' | 'missing' {
  try {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return 'symlink';
    if (st.isDirectory()) return 'dir';
    if (st.isFile()) return 'file';
    return 'other';
  } catch {
    return 'missing';
  }
}

/** Every directory from `root` (exclusive) down to `path`'s parent must be a real directory. */
function assertPlainDirs(root: string, path: string): void {
  const rel = relative(root, path);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new RepoLayoutError(`${path} is outside ${root}`);
  const parts = rel.split('/').slice(0, -1);
  let cur = root;
  for (const p of parts) {
    cur = join(cur, p);
    const k = kind(cur);
    if (k !== 'dir') throw new RepoLayoutError(`${cur} is ${k === 'missing' ? 'missing' : `a ${k}, not a directory`}`);
  }
}

function readSmall(path: string, limit = SMALL_FILE): string {
  try {
    return readTextCapped(path, limit);
  } catch (error) {
    throw new RepoLayoutError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/**
 * The git layout of `workDir`. A `.git` FILE (a `git worktree` or a submodule checkout) is followed
 * only when `allowGitFile`: the run clone always has a real `.git` directory, so anything else
 * there means a peer replaced it.
 */
export function resolveRepoLayout(workDir: string, opts: { allowGitFile: boolean }): RepoLayout {
  const dotGit = join(workDir, '.git');
  const k = kind(dotGit);
  let gitDir: string;
  if (k === 'dir') gitDir = dotGit;
  else if (k === 'file' && opts.allowGitFile) {
    const m = /^gitdir: (.+)$/m.exec(readSmall(dotGit));
    if (!m) throw new RepoLayoutError(`${dotGit} is not a gitdir link`);
    gitDir = resolve(workDir, m[1]!.trim());
  } else {
    throw new RepoLayoutError(k === 'missing' ? `${workDir} has no .git` : `${dotGit} is a ${k}, not a git directory`);
  }
  if (kind(gitDir) !== 'dir') throw new RepoLayoutError(`${gitDir} is not a directory`);
  let commonDir = gitDir;
  const commondir = kind(join(gitDir, 'commondir'));
  // Only a `git worktree`'s git dir names a shared one. In a repository that must have a plain
  // `.git` (the run clone) the file is a peer's redirect: the loop would read refs, and sweep lock
  // files (stale-locks.ts), wherever it points (SECURITY.md, "A git lock file cannot stop a run").
  if (commondir !== 'missing' && !opts.allowGitFile) throw new RepoLayoutError(`${join(gitDir, 'commondir')} redirects the git directory, which the run clone never does`);
  if (commondir === 'file') commonDir = resolve(gitDir, readSmall(join(gitDir, 'commondir')).trim());
  if (kind(commonDir) !== 'dir') throw new RepoLayoutError(`${commonDir} is not a directory`);
  if (kind(join(commonDir, 'reftable')) !== 'missing') throw new RepoLayoutError(`${commonDir} uses the reftable ref format, which peers does not read`);
  const objectsDir = join(commonDir, 'objects');
  if (kind(objectsDir) !== 'dir') throw new RepoLayoutError(`${objectsDir} is not a directory`);
  return { workDir, gitDir, commonDir, objectsDir };
}

function lookupPacked(commonDir: string, name: string): string | undefined {
  const path = join(commonDir, 'packed-refs');
  const k = kind(path);
  if (k === 'missing') return undefined;
  if (k !== 'file') throw new RepoLayoutError(`${path} is a ${k}, not a file`);
  let text: string;
  try {
    text = readTextCapped(path, PACKED_REFS_LIMIT);
  } catch (error) {
    throw new RepoLayoutError(`cannot read ${path}: ${(error as Error).message}`);
  }
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.startsWith('^')) continue;
    const sp = line.indexOf(' ');
    if (sp > 0 && line.slice(sp + 1) === name) return line.slice(0, sp);
  }
  return undefined;
}

/** The object a ref names, following symrefs (at most 5); undefined when the ref does not exist. */
export function resolveRef(layout: RepoLayout, name: string, depth = 0): string | undefined {
  if (depth > 5) throw new RepoLayoutError(`${name}: symbolic refs nested too deep`);
  if (!isSafeRefName(name)) throw new RepoLayoutError(`refusing the ref name ${JSON.stringify(name.slice(0, 200))}`);
  const root = PER_WORKTREE.test(name) ? layout.gitDir : layout.commonDir;
  const path = join(root, name);
  assertPlainDirsOrMissing(root, path);
  const k = kind(path);
  let value: string | undefined;
  if (k === 'file') value = readSmall(path).trim();
  else if (k === 'missing' || k === 'dir') value = lookupPacked(layout.commonDir, name);
  else throw new RepoLayoutError(`${path} is a ${k}, not a ref file`);
  if (value === undefined) return undefined;
  if (value.startsWith('ref: ')) return resolveRef(layout, value.slice(5).trim(), depth + 1);
  if (!isObjectId(value)) throw new RepoLayoutError(`${name} does not hold an object id`);
  return value;
}

/** Like assertPlainDirs, but a missing directory only means the ref is not loose. */
function assertPlainDirsOrMissing(root: string, path: string): void {
  try {
    assertPlainDirs(root, path);
  } catch (error) {
    if (!/is missing$/.test((error as Error).message)) throw error;
  }
}

export type HeadState = { sha: string | null; ref: string | null };

/** HEAD of the working repository: the branch it is on (null when detached) and its commit (null when unborn). */
export function readHead(layout: RepoLayout): HeadState {
  const path = join(layout.gitDir, 'HEAD');
  if (kind(path) !== 'file') throw new RepoLayoutError(`${path} is not a regular file`);
  const text = readSmall(path).trim();
  if (text.startsWith('ref: ')) {
    const ref = text.slice(5).trim();
    return { ref, sha: resolveRef(layout, ref) ?? null };
  }
  if (!isObjectId(text)) throw new RepoLayoutError(`${path} holds neither a ref nor an object id`);
  return { ref: null, sha: text };
}

/** Alternates the object store declares (a peer could point them anywhere the reader can see). */
export function declaredAlternates(layout: RepoLayout): string[] {
  return ['alternates', 'http-alternates'].filter((n) => kind(join(layout.objectsDir, 'info', n)) !== 'missing');
}

/**
 * The top of the working tree containing `start` (the nearest directory with a `.git` entry),
 * found without running git; undefined outside any repository.
 */
export function findWorkTreeRoot(start: string): string | undefined {
  return findUpwards(start, (dir) => {
    const k = kind(join(dir, '.git'));
    return k === 'dir' || k === 'file';
  });
}

/** The nearest of `start` (real path) and its parents that `is`, without running git; undefined when none is. */
function findUpwards(start: string, is: (dir: string) => boolean): string | undefined {
  let dir: string;
  try {
    dir = realpathSync(start);
  } catch {
    return undefined;
  }
  for (;;) {
    if (is(dir)) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * The bare repository containing `start` (a directory with HEAD, objects/ and refs/ and no `.git`),
 * found without running git; undefined when there is none. peers needs a working tree (the user's
 * checkout is what `up` clones and fingerprints), so a bare clone gets its own message.
 */
export function findBareRepo(start: string): string | undefined {
  return findUpwards(start, (dir) => kind(join(dir, 'HEAD')) === 'file' && kind(join(dir, 'objects')) === 'dir' && kind(join(dir, 'refs')) === 'dir');
}

/**
 * Whether the repository at `workDir` names its objects with SHA-256 (`git init
 * --object-format=sha256`), read from its config file without running git. peers' mirror, run
 * clone and checkouts are SHA-1 repositories, and git will not fetch across the two formats.
 */
export function usesSha256(workDir: string): boolean {
  let layout: RepoLayout;
  try {
    layout = resolveRepoLayout(workDir, { allowGitFile: true });
  } catch {
    return false; // a layout problem is reported by whatever reads the repository next
  }
  let config = '';
  try {
    config = readTextCapped(join(layout.commonDir, 'config'), CONFIG_LIMIT);
  } catch {
    return false;
  }
  return /^\s*objectformat\s*=\s*"?sha256"?\s*$/im.test(config);
}
const CONFIG_LIMIT = 4 * MiB;

/** The error for a command run in a bare repository, with the checkout to make instead. */
export function bareRepoMessage(bare: string): { message: string; hint: string } {
  const name = bare.replace(/\/+$/, '').split('/').pop()!.replace(/\.git$/, '') || 'checkout';
  return {
    message: `${bare} is a bare repository (no working tree): peers works on a checkout`,
    hint: `make one and run peers there: \`git clone ${bare} ${name} && cd ${name} && peers init\` (or \`git -C ${bare} worktree add ../${name}\`)`,
  };
}
