/**
 * A commit of exact file contents on top of HEAD that leaves the rest of the user's work where it
 * was: what they staged stays staged and out of the commit, what they edited without staging stays
 * in the working tree and out of the commit. `git commit -- <paths>` cannot do that: it commits the
 * working tree's version of each path, a half-finished edit of the same file included.
 *
 * The commit is built on a private index (HEAD's tree, then the given blobs), written with
 * `commit-tree` (no hooks, no signing prompt), and HEAD moves by compare-and-swap, so a commit the
 * user makes meanwhile is never overwritten. Then the user's own index gets each path's `staged`
 * content, so `git status` shows only what the user had changed before.
 */
import { lstatSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeScratchDir } from '../proc/scratch-dir.ts';
import { git, gitOk, headSha } from './git.ts';

export type FileOnTop = {
  /** Repository-relative path. */
  path: string;
  /** The content the commit records. */
  committed: string;
  /** The content the user's index holds afterwards (their staged version, with our change). */
  staged: string;
  executable?: boolean;
};

export type CommitIdentity = { name: string; email: string };

function blobOf(repo: string, content: string): string {
  // --no-filters: the bytes given are the bytes recorded (no clean filter, no line-ending change).
  return gitOk(repo, ['hash-object', '-w', '--no-filters', '--stdin'], { input: content }).trim();
}

/** Commits `files` on top of HEAD (the first commit on an unborn branch); undefined when HEAD already has them all. */
export function commitOnTop(repo: string, files: FileOnTop[], message: string, who: CommitIdentity): string | undefined {
  if (files.length === 0) return undefined;
  const head = headSha(repo);
  const scratch = makeScratchDir('peers-index-');
  try {
    const index = { GIT_INDEX_FILE: join(scratch, 'index') };
    gitOk(repo, head ? ['read-tree', head] : ['read-tree', '--empty'], { env: index });
    const entries = files.map((f) => {
      const mode = f.executable ? '100755' : '100644';
      const committed = blobOf(repo, f.committed);
      // Most files are staged as committed: their blob is written once.
      return { path: f.path, mode, committed, staged: f.staged === f.committed ? committed : blobOf(repo, f.staged) };
    });
    for (const e of entries) gitOk(repo, ['update-index', '--add', '--cacheinfo', `${e.mode},${e.committed},${e.path}`], { env: index });
    const tree = gitOk(repo, ['write-tree'], { env: index }).trim();
    if (head && tree === gitOk(repo, ['rev-parse', `${head}^{tree}`]).trim()) return undefined;
    const messageFile = join(scratch, 'message');
    writeFileSync(messageFile, message);
    const identity = { GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email, GIT_COMMITTER_NAME: who.name, GIT_COMMITTER_EMAIL: who.email };
    const commit = gitOk(repo, ['commit-tree', '--no-gpg-sign', tree, ...(head ? ['-p', head] : []), '-F', messageFile], { env: identity }).trim();
    // Compare-and-swap: HEAD must still be what the commit was built on ('' = must not exist yet).
    gitOk(repo, ['update-ref', '-m', message.split('\n')[0] ?? 'peers', 'HEAD', commit, head ?? '']);
    const sparse = outsideSparseCheckout(repo, entries.map((e) => e.path));
    for (const e of entries) gitOk(repo, ['update-index', '--add', '--cacheinfo', `${e.mode},${e.staged},${e.path}`]);
    keepOutsideSparseCheckout(repo, sparse);
    // The entries above carry no stat data; refreshing lets plumbing (diff-files) see them as clean.
    git(repo, ['update-index', '-q', '--refresh']);
    return commit;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Stages `files` in the user's index (each path's `staged` content) without committing: for a user
 * whose commits must be signed, who commits them with their own signature.
 */
export function stageOnTop(repo: string, files: FileOnTop[]): void {
  const sparse = outsideSparseCheckout(repo, files.map((f) => f.path));
  for (const f of files) gitOk(repo, ['update-index', '--add', '--cacheinfo', `${f.executable ? '100755' : '100644'},${blobOf(repo, f.staged)},${f.path}`]);
  keepOutsideSparseCheckout(repo, sparse);
  git(repo, ['update-index', '-q', '--refresh']);
}

/**
 * The paths a sparse checkout keeps off the disk (index entries marked skip-worktree, no file):
 * `update-index --cacheinfo` clears that mark, and `git status` would then show each as deleted.
 */
export function outsideSparseCheckout(repo: string, paths: string[]): string[] {
  if (!paths.length) return [];
  const listed = git(repo, ['ls-files', '-v', '-z', '--', ...paths]);
  if (listed.code !== 0) return [];
  return listed.stdout.split('\0').filter((l) => l.startsWith('S ')).map((l) => l.slice(2)).filter((p) => !lstatSync(join(repo, p), { throwIfNoEntry: false }));
}

function keepOutsideSparseCheckout(repo: string, paths: string[]): void {
  if (paths.length) gitOk(repo, ['update-index', '--skip-worktree', '--', ...paths]);
}

/** A path's content in HEAD and in the index (stage 0); undefined where it is absent. */
export function committedAndStaged(repo: string, path: string): { head: string | undefined; index: string | undefined } {
  const read = (spec: string) => {
    const r = git(repo, ['cat-file', 'blob', spec], { maxBuffer: 16 * 1024 * 1024 });
    return r.code === 0 ? r.stdout : undefined;
  };
  return { head: headSha(repo) ? read(`HEAD:${path}`) : undefined, index: read(`:${path}`) };
}
