/**
 * Proof that a run left the user's repository alone: at `peers up` we record a fingerprint of
 * what a run must never change — HEAD and its branch, what the index stages, `.git/config` (and a worktree's
 * `config.worktree`), `.git/info/attributes`, the hooks, and `.peers/` — and `peers down` compares.
 * Read with plain no-follow file reads: no git runs for it.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/fs/atomic-write.ts';
import { MiB, readFileCapped, readTextIfExists } from '../src/fs/safe-read.ts';
import { readHead, resolveRepoLayout } from '../src/git/repo-layout.ts';
import { indexContentDigest } from './index-content-digest.ts';

export type RepoFingerprint = Record<'head' | 'index' | 'config' | 'attributes' | 'hooks' | 'peers', string>;

/** What each part means to the user, for the `down` message. */
export const FINGERPRINT_PARTS: Record<keyof RepoFingerprint, string> = {
  head: 'HEAD and its branch',
  index: 'the index (staged changes)',
  config: '.git/config',
  attributes: '.git/info/attributes',
  hooks: '.git/hooks',
  peers: '.peers/',
};

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function digestFile(path: string, limit = 256 * MiB, digest: (bytes: Buffer) => string = sha256): string {
  try {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return 'symlink';
    if (!st.isFile()) return `other:${st.mode}`;
    return digest(readFileCapped(path, limit));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : `unreadable:${(error as Error).message}`;
  }
}

/** Digest over every file below `dir` (names and contents, no links followed). */
function digestTree(dir: string): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    } catch {
      h.update(`${rel}:unreadable\0`);
      return;
    }
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else h.update(`${p}\0${digestFile(join(dir, p), 64 * MiB)}\0`);
    }
  };
  walk('');
  return h.digest('hex');
}

export function fingerprintRepo(repo: string): RepoFingerprint {
  const layout = resolveRepoLayout(repo, { allowGitFile: true });
  const head = readHead(layout);
  return {
    head: `${head.ref ?? '(detached)'} ${head.sha ?? '(unborn)'}`,
    // What is staged, not the file's bytes: git rewrites them whenever it refreshes its caches.
    index: digestFile(join(layout.gitDir, 'index'), 256 * MiB, indexContentDigest),
    config: `${digestFile(join(layout.commonDir, 'config'))} ${digestFile(join(layout.gitDir, 'config.worktree'))}`,
    attributes: digestFile(join(layout.commonDir, 'info', 'attributes')),
    hooks: digestTree(join(layout.commonDir, 'hooks')),
    peers: digestTree(join(repo, '.peers')),
  };
}

export function saveFingerprint(path: string, fp: RepoFingerprint): void {
  writeFileAtomic(path, `${JSON.stringify(fp, null, 2)}\n`);
}

export function loadFingerprint(path: string): RepoFingerprint | undefined {
  try {
    const text = readTextIfExists(path, 1 * MiB);
    return text === undefined ? undefined : (JSON.parse(text) as RepoFingerprint);
  } catch {
    return undefined;
  }
}

/** The parts that differ (in FINGERPRINT_PARTS order). */
export function changedParts(before: RepoFingerprint, after: RepoFingerprint): (keyof RepoFingerprint)[] {
  return (Object.keys(FINGERPRINT_PARTS) as (keyof RepoFingerprint)[]).filter((k) => before[k] !== after[k]);
}
