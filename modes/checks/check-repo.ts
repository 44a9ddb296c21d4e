/**
 * How every mode check reads the repository it judges: the ONE place where a check runs git, learns
 * where the run began (its baseline) and who made a commit (the loop's attestation). A check never
 * calls git, reads a ref or a note any other way, so pointing this module at the trusted repository
 * (docs/ARCHITECTURE.md) moves every check at once.
 *
 * - git runs through src/git/git.ts in the environment `peers check` sets up for the check
 *   (commands/check.ts, src/git/observed-view.ts `withObservedWorkTree`, src/proc/spawn-env.ts): GIT_DIR is a read-only view
 *   peers owns, so nothing of the repository's own configuration (filters, textconv, external diff,
 *   includes, pager, fsmonitor, hooks) is honoured. Only objects, trees, notes and logs are read,
 *   diffs and blame without textconv.
 * - The baseline is src/protocol/run-baseline.ts: the commit the loop names in PEERS_RUN_BASELINE
 *   inside a run; outside a run (`peers verify`, a user's own `peers check`) the `peers-baseline`
 *   tag, then the root commit.
 * - Who made a commit is src/protocol/attestation.ts: the note the loop writes after each tick;
 *   commits already in history at the baseline are the operator's. An escape valve (a Breaking-API
 *   trailer, a Dependency-Justification, a Diff-Size-Waive, a JUSTIFIED line) counts only when a
 *   peer other than the author of the change it excuses wrote it, or approved the commit carrying
 *   it (src/protocol/approvals.ts).
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { listCommits, type Commit } from '../../src/git/commits.ts';
import { blobBytes, blobTexts, commitTree, type TreeEntry } from '../../src/git/commit-files.ts';
import { READABLE_DIFF_FLAGS } from '../../src/git/diff-header.ts';
import { git, GitError, gitOk, type GitResult } from '../../src/git/git.ts';
import { OPERATOR, SUBSTRATE_PEER, type AttestationView } from '../../src/protocol/approvals.ts';
import { readAttestationView } from '../../src/protocol/attestation.ts';
import { resolveRunBaseline } from '../../src/protocol/run-baseline.ts';
import { spawnEnv } from '../../src/proc/spawn-env.ts';
import { patchLineCounts } from './patch-line-counts.ts';

export { OPERATOR };
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export type Baseline = { sha: string; source: 'run' | 'tag' | 'root' };
export type NumstatRow = { path: string; added: number; deleted: number };
export type Vouch = { counts: true; by: string } | { counts: false; writer: string | undefined };

export class CheckRepoError extends Error {
  override name = 'CheckRepoError';
}

export type CheckRepo = {
  readonly dir: string;
  git(args: string[], input?: string): GitResult;
  gitOk(args: string[], input?: string): string;
  head(): string | undefined;
  /** Where the run began; throws CheckRepoError when it cannot be found (fail closed). */
  baseline(): Baseline;
  commits(range: string, opts?: { newestFirst?: boolean; paths?: string[] }): Commit[];
  /** Every file of a commit's tree (regular files, symlinks; submodules left out). */
  tree(sha: string): TreeEntry[];
  /** Texts of blobs, keyed by blob id, read in one git process. */
  blobs(ids: string[]): Map<string, string>;
  /** The text of `path` at `sha`, undefined when absent or not a regular file. */
  fileAt(sha: string, path: string): string | undefined;
  /** Per-file line counts of a commit against its first parent, every file read as text; throws CheckRepoError when they cannot be read. */
  numstat(sha: string): NumstatRow[];
  /** Paths a commit changed against its first parent. */
  changedPaths(sha: string): string[];
  isAncestor(ancestor: string, descendant: string): boolean;
  /** The commit that last changed each line of `path` at `sha` (index 0 = line 1). */
  blame(sha: string, path: string): string[];
  /** Lines `+` of `git diff -U0 from to -- path`, with their line numbers at `to`. */
  addedLines(from: string, to: string, path: string): Array<{ line: number; text: string }>;
  /** Writes the tree of `sha` into the empty directory `dir` (files, modes and symlinks). */
  materialize(sha: string, dir: string): void;
  /** The peer whose tick made `sha` (OPERATOR before the baseline), undefined when unknown. */
  peerOf(sha: string): string | undefined;
  /** Whether text written in commit `sha` excuses a change made by `owners` (see the module comment). */
  vouched(sha: string, owners: ReadonlySet<string>): Vouch;
};

const MAX_BUFFER = 256 * 1024 * 1024;

export function openCheckRepo(dir: string, env: NodeJS.ProcessEnv = spawnEnv()): CheckRepo {
  const run = (args: string[], input?: string) => git(dir, args, { input, maxBuffer: MAX_BUFFER });
  const ok = (args: string[], input?: string) => gitOk(dir, args, { input, maxBuffer: MAX_BUFFER });
  let baseline: Baseline | undefined;
  let attestations: AttestationView | undefined;
  const view = () => (attestations ??= readAttestationView(dir, repo.baseline().sha));

  const commitOf = (rev: string): string | undefined => {
    const r = run(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  };

  const repo: CheckRepo = {
    dir,
    git: run,
    gitOk: ok,
    head: () => commitOf('HEAD'),
    baseline() {
      if (baseline) return baseline;
      // A baseline the loop named but the repository lacks is an error, never a fallback.
      const found = resolveRunBaseline(dir, env);
      if ('error' in found) throw new CheckRepoError(found.error);
      return (baseline = found);
    },
    commits: (range, opts = {}) => listCommits(dir, range, opts),
    tree: (sha) => commitTree(dir, sha),
    blobs(ids) {
      try {
        return blobTexts(dir, ids);
      } catch (error) {
        if (error instanceof GitError) throw new CheckRepoError(`git cat-file failed: ${error.message.slice(0, 200)}`);
        throw error;
      }
    },
    fileAt(sha, path) {
      const entry = run(['ls-tree', '-z', '--full-tree', sha, '--', path]).stdout.split('\0')[0] ?? '';
      const m = /^(\d{6}) blob ([0-9a-f]+)\t/.exec(entry);
      if (!m || m[1] === '120000') return undefined;
      return repo.blobs([m[2]!]).get(m[2]!);
    },
    numstat(sha) {
      const parent = commitOf(`${sha}^1`) ?? EMPTY_TREE;
      // A file git calls binary (one NUL byte is enough) gets `-\t-` whatever the flags: its lines are
      // counted from its patch read as text (READABLE_DIFF_FLAGS), as every diff peers reads, so a NUL
      // byte cannot hide a rewrite. Counts that cannot be read fail closed (CheckRepoError).
      const diffText = (args: string[]): string => {
        try {
          return ok(['diff', ...READABLE_DIFF_FLAGS, ...args]);
        } catch (error) {
          if (error instanceof GitError) throw new CheckRepoError(`git diff of ${sha.slice(0, 12)} failed: ${error.message.slice(0, 200)}`);
          throw error;
        }
      };
      const out = diffText(['--numstat', '-z', '--no-renames', parent, sha]);
      const rows: NumstatRow[] = [];
      for (const rec of out.split('\0')) {
        const text = rec.replace(/^\n/, '');
        if (text === '') continue;
        const m = /^(?:(\d+)\t(\d+)|-\t-)\t([\s\S]+)$/.exec(text);
        if (!m) throw new CheckRepoError(`the line counts of ${sha.slice(0, 12)} do not read as numstat: ${JSON.stringify(text.slice(0, 120))}`);
        const path = m[3]!;
        if (m[1] !== undefined) rows.push({ path, added: Number(m[1]), deleted: Number(m[2]) });
        else rows.push({ path, ...patchLineCounts(diffText(['-U0', '--no-renames', parent, sha, '--', `:(literal)${path}`])) });
      }
      return rows;
    },
    changedPaths(sha) {
      const parent = commitOf(`${sha}^1`) ?? EMPTY_TREE;
      return ok(['diff', '--name-only', '-z', '--no-renames', parent, sha]).split('\0').filter(Boolean);
    },
    isAncestor: (a, d) => run(['merge-base', '--is-ancestor', a, d]).code === 0,
    blame(sha, path) {
      const res = run(['blame', '--porcelain', '--no-textconv', sha, '--', path]);
      if (res.code !== 0) return [];
      const out: string[] = [];
      for (const line of res.stdout.split('\n')) {
        const m = /^([0-9a-f]{40}) \d+ (\d+)/.exec(line);
        if (m) out[Number(m[2]) - 1] = m[1]!;
      }
      return out;
    },
    addedLines(from, to, path) {
      // --text: a NUL byte in a comment must not turn the file's new stubs into "Binary files differ".
      const res = run(['diff', '-U0', '--no-color', '--no-ext-diff', '--no-textconv', '--text', '--no-renames', from, to, '--', path]);
      const out: Array<{ line: number; text: string }> = [];
      let at = 0;
      for (const l of res.stdout.split('\n')) {
        const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(l);
        if (hunk) at = Number(hunk[1]);
        else if (l.startsWith('+') && !l.startsWith('+++')) out.push({ line: at++, text: l.slice(1) });
      }
      return out;
    },
    materialize(sha, into) {
      const entries = repo.tree(sha);
      const bytes = blobBytes(dir, entries.map((e) => e.blob));
      const root = resolve(into);
      for (const e of entries) {
        const target = resolve(root, e.path);
        if (!target.startsWith(`${root}/`)) continue; // git refuses such paths; never write outside
        mkdirSync(dirname(target), { recursive: true });
        const data = bytes.get(e.blob) ?? Buffer.alloc(0);
        if (e.mode === '120000') symlinkSync(data.toString('utf8'), target);
        else {
          writeFileSync(target, data);
          if (e.mode === '100755') chmodSync(target, 0o755);
        }
      }
    },
    peerOf: (sha) => view().peerOf(sha),
    vouched(sha, owners) {
      const writer = view().peerOf(sha);
      if (writer === OPERATOR) return { counts: true, by: OPERATOR };
      if (writer === undefined) return { counts: false, writer };
      if (!owners.has(writer) && writer !== SUBSTRATE_PEER) return { counts: true, by: writer };
      // approversOf never lists the commit's own author.
      for (const by of view().approversOf(sha)) if (!owners.has(by)) return { counts: true, by };
      return { counts: false, writer };
    },
  };
  return repo;
}
