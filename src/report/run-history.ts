/**
 * What the run committed, for the report: its commits (with the attested peer and a numstat), the
 * overall diffstat, and the bug ledger. Every read goes through one `HistorySource`: a peers-owned
 * git dir and the run's base and head. `withHistorySource` is the single place that decides which
 * git dir that is (docs/ARCHITECTURE.md, "The trusted observer"): the run's trusted mirror, or for
 * a state dir without one, a throwaway read-only view of the repository. No git ever runs in a
 * repository a peer could write, so nothing in its config, hooks or attributes runs.
 *
 * Only plumbing-level output is parsed: SHAs and numstat from one call, messages NUL-framed from
 * another (listCommits), so no commit message can forge a commit or a file in the report. Diffs
 * are asked for with --no-textconv --no-ext-diff: no repository-supplied converter runs.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeScratchDir } from '../proc/scratch-dir.ts';
import { listCommits } from '../git/commits.ts';
import { git } from '../git/git.ts';
import { openView } from '../git/observed-view.ts';
import { observedHead, RUN_BASE_REF } from '../git/observer.ts';
import { readHead, resolveRepoLayout } from '../git/repo-layout.ts';
import { readAttestationView } from '../protocol/attestation.ts';
import { readLedger, type BugReport } from '../protocol/bug-ledger.ts';
import { MiB, readTextIfExists } from '../fs/safe-read.ts';
import { hasRunClone, statePaths } from '../state/paths.ts';

export type HistorySource = {
  /** The peers-owned git dir git reads: the run's mirror, or a read-only view of the repository. */
  gitDir: string;
  /** 'mirror': a pod run, whose results come back as a branch; 'repository': a host run, which committed in place. */
  kind: 'repository' | 'mirror';
  /** A host run's repository (where its commits are), for the reader. */
  repo?: string | null;
  /** The commit the run started from, and its current commit. */
  base: string | null;
  head: string | null;
  /** Where the user finds the results: the branch the run's commits are on (or published to). */
  branch: string | null;
};

/** The branch a repository's HEAD is on, read as a file (no git runs in it); null when detached or unreadable. */
function branchOf(repo: string): string | null {
  try {
    const ref = readHead(resolveRepoLayout(repo, { allowGitFile: true })).ref;
    return ref?.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
  } catch {
    return null;
  }
}

/** The branch `peers up`/`status`/`report` last published the run's head to (sandbox/publish-branch.ts). */
function publishedBranch(runDir: string): string | null {
  try {
    const published = JSON.parse(readTextIfExists(join(runDir, 'published.json'), MiB) ?? 'null') as { branch?: unknown } | null;
    return typeof published?.branch === 'string' ? published.branch : null;
  } catch {
    return null;
  }
}

/**
 * Calls `read` with the run's history source, or returns null when there is none (no mirror and
 * no repository). A pod run has a run clone beside its mirror; a host loop's mirror has none.
 */
export function withHistorySource<T>(stateDir: string, repo: string | undefined, baseline: string | null, read: (src: HistorySource) => T): T | null {
  const paths = statePaths(stateDir);
  if (existsSync(join(paths.mirror, 'HEAD'))) {
    const base = observedHead(paths.mirror, RUN_BASE_REF) ?? baseline;
    const head = observedHead(paths.mirror);
    if (hasRunClone(paths)) return read({ gitDir: paths.mirror, kind: 'mirror', base, head, branch: publishedBranch(paths.run) });
    return read({ gitDir: paths.mirror, kind: 'repository', repo: repo ?? null, base, head, branch: repo ? branchOf(repo) : null });
  }
  if (!repo || !existsSync(repo)) return null;
  const scratch = makeScratchDir('peers-report-view-');
  try {
    const view = join(scratch, 'view.git');
    const head = openView(repo, view);
    return read({ gitDir: view, kind: 'repository', repo, base: baseline, head, branch: branchOf(repo) });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export type FileStat = { path: string; insertions: number | null; deletions: number | null };
export type RunCommit = { sha: string; subject: string; peer: string | null; date: string; files: number; insertions: number; deletions: number };
export type BugEntry = {
  id: string;
  severity: string;
  title: string;
  status: string;
  open: boolean;
  found_by: string | null;
  fix_by: string | null;
  resolved_by: string | null;
  resolution_note: string | null;
  sha: string;
};

export type RunHistory = {
  source: HistorySource;
  commits: RunCommit[];
  /** Commits in base..head (more than `commits` when the read was capped). */
  commits_total: number;
  diffstat: { files: FileStat[]; insertions: number; deletions: number };
  bugs: BugEntry[] | null;
  bug_warnings: string[];
  errors: string[];
};

const READ = ['--no-textconv', '--no-ext-diff', '--no-renames'];

function parseNumstat(line: string): FileStat | null {
  const m = /^(-|\d+)\t(-|\d+)\t(.*)$/.exec(line);
  if (!m) return null;
  return { path: m[3]!, insertions: m[1] === '-' ? null : Number(m[1]), deletions: m[2] === '-' ? null : Number(m[2]) };
}

/** Reads the run's history from `src`; what cannot be read is named in `errors`, never guessed. */
export function readRunHistory(src: HistorySource, opts: { maxCommits?: number } = {}): RunHistory {
  const max = opts.maxCommits ?? 5000;
  const out: RunHistory = { source: src, commits: [], commits_total: 0, diffstat: { files: [], insertions: 0, deletions: 0 }, bugs: null, bug_warnings: [], errors: [] };
  if (!src.head) {
    out.errors.push('the run has no commit yet');
    return out;
  }
  const range = src.base ? `${src.base}..${src.head}` : src.head;
  const count = git(src.gitDir, ['rev-list', '--count', range]);
  out.commits_total = count.code === 0 ? Number(count.stdout.trim()) || 0 : 0;
  if (count.code !== 0) out.errors.push(`cannot list the run's commits: ${count.stderr.trim().slice(0, 200)}`);
  try {
    const view = readAttestationView(src.gitDir, src.base ?? undefined, src.head);
    const messages = new Map(listCommits(src.gitDir, range, { newestFirst: true, limit: max }).map((c) => [c.sha, c]));
    const stat = git(src.gitDir, ['log', ...READ, '--numstat', '--format=%x01%H %ct', `-n${max}`, range]);
    if (stat.code !== 0) throw new Error(stat.stderr.trim().slice(0, 200));
    for (const rec of stat.stdout.split('\x01').slice(1)) {
      const [head, ...lines] = rec.split('\n');
      const [sha, ct] = (head ?? '').split(' ');
      const c = sha ? messages.get(sha) : undefined;
      if (!sha || !c) continue;
      const files = lines.map(parseNumstat).filter((f): f is FileStat => f !== null);
      out.commits.push({
        sha,
        subject: c.subject,
        peer: view.peerOf(sha) ?? null,
        date: new Date(Number(ct) * 1000).toISOString(),
        files: files.length,
        insertions: files.reduce((n, f) => n + (f.insertions ?? 0), 0),
        deletions: files.reduce((n, f) => n + (f.deletions ?? 0), 0),
      });
    }
  } catch (error) {
    out.errors.push(`cannot read the run's commits: ${(error as Error).message}`);
  }
  if (src.base) {
    const diff = git(src.gitDir, ['diff-tree', '-r', ...READ, '--numstat', src.base, src.head]);
    if (diff.code === 0) {
      const files = diff.stdout.split('\n').map(parseNumstat).filter((f): f is FileStat => f !== null);
      out.diffstat = { files, insertions: files.reduce((n, f) => n + (f.insertions ?? 0), 0), deletions: files.reduce((n, f) => n + (f.deletions ?? 0), 0) };
    } else out.errors.push(`cannot diff the run: ${diff.stderr.trim().slice(0, 200)}`);
  }
  try {
    const ledger = readLedger(src.gitDir, src.base ?? undefined);
    out.bugs = ledger.reports.map(bugEntry);
    out.bug_warnings = ledger.warnings;
  } catch (error) {
    out.errors.push(`cannot read the bug ledger: ${(error as Error).message}`);
  }
  return out;
}

function bugEntry(r: BugReport): BugEntry {
  return {
    id: r.id,
    severity: r.severity,
    title: r.title,
    status: r.status,
    open: r.open,
    found_by: r.foundBy ?? null,
    fix_by: r.fixBy ?? null,
    resolved_by: r.resolution?.resolvedBy ?? null,
    resolution_note: r.resolution?.note || null,
    sha: r.sha,
  };
}
