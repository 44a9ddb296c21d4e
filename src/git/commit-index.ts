/**
 * The commits of the run's mirror, read once and kept: a tick's reads of commit ranges (the turn's
 * new commits, the reviewer's INBOX, the history facts, the bug ledger's whole history, ancestry)
 * are answered from memory instead of one `git log` or `git merge-base` each (BENCHMARKS.md, "Loop
 * processes per tick").
 *
 * Sound for the same reason as read-memo.ts: only the mirror is indexed, every object in it came
 * through index-pack (hash recomputed), and a commit named by its id never changes. Ranges are
 * named by full object ids only, never refs.
 *
 * An answer is given from memory only where it is provably git's own, order included: walking a
 * range `A..B` (or the whole history of `B`) from B through commits that each have exactly ONE
 * parent. On such a chain git's walk has a single candidate at every step, so it lists exactly the
 * chain, newest first, whatever the dates say. A merge, an unknown commit, or a root reached
 * before A: git is asked (`load`), and what it answers is kept.
 */
import { isMemoized } from './git.ts';
import { cappedFields } from './capped-records.ts';
import { parseTrailers, type Trailers } from './trailers.ts';

export type IndexedCommit = {
  sha: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  committerName: string;
  committerEmail: string;
  message: string;
  subject: string;
  trailers: Trailers;
  /**
   * The commit's changes against its first parent as `git log -z --name-status -M
   * --diff-merges=first-parent` prints them (`status\0path\0[path\0]…`), or undefined when they were
   * not read (a whole-history read leaves them out: renames over all history cost too much).
   */
  changes?: string;
};

const ID = '(?:[0-9a-f]{40}|[0-9a-f]{64})';
const ID_RE = new RegExp(`^${ID}$`);
const PARENTS_RE = new RegExp(`^(?:${ID}(?: ${ID})*)?$`);
const RANGE_RE = new RegExp(`^(${ID})\\.\\.(${ID})$`);
const STATUS_RE = /^[ACDMRTUXB][0-9]*$/;

/** The format every indexed read uses: one NUL-separated record per commit. */
const FORMAT = '--format=%H%x00%P%x00%an%x00%ae%x00%cn%x00%ce%x00%B';
const WITH_CHANGES = ['--name-status', '-M', '--diff-merges=first-parent', '--no-ext-diff'];

/** Commits kept at most per mirror; a bigger history is read from git every time instead. */
const MAX_COMMITS = 50_000;

export class CommitFormatError extends Error {}

/**
 * Parses `git log -z FORMAT [--name-status …]` output, newest first. Strict: a record that does not
 * read as sha, parents, author name and email, committer name and email, message (then changes)
 * throws rather than guessing.
 */
export function parseIndexedLog(out: string | string[], withChanges: boolean): IndexedCommit[] {
  const tokens = typeof out === 'string' ? out.split('\0') : out;
  const commits: IndexedCommit[] = [];
  let i = 0;
  // The output ends with a NUL: the last token is empty.
  while (i < tokens.length && !(i === tokens.length - 1 && tokens[i] === '')) {
    const sha = tokens[i]!;
    const parents = tokens[i + 1];
    const [authorName, authorEmail, committerName, committerEmail, message] = tokens.slice(i + 2, i + 7);
    if (!ID_RE.test(sha) || parents === undefined || !PARENTS_RE.test(parents) || message === undefined || authorName === undefined || authorEmail === undefined || committerName === undefined || committerEmail === undefined) {
      throw new CommitFormatError(`unexpected git log record at field ${i}`);
    }
    i += 7;
    const commit: IndexedCommit = { sha, parents: parents ? parents.split(' ') : [], authorName, authorEmail, committerName, committerEmail, message, subject: message.split('\n', 1)[0] ?? '', trailers: parseTrailers(message) };
    if (withChanges) {
      // After the message's NUL: nothing (no change, next record) or "\n" and the first status.
      const entries: string[] = [];
      if (tokens[i]?.startsWith('\n')) {
        tokens[i] = tokens[i]!.slice(1);
        while (i < tokens.length && STATUS_RE.test(tokens[i]!)) {
          const status = tokens[i]!;
          const paths = status[0] === 'R' || status[0] === 'C' ? 2 : 1;
          const names = tokens.slice(i + 1, i + 1 + paths);
          if (names.length !== paths || names.some((n) => n === '')) throw new CommitFormatError(`a name-status entry of ${sha} is cut short`);
          entries.push(status, ...names);
          i += 1 + paths;
        }
        if (entries.length === 0) throw new CommitFormatError(`the changes of ${sha} do not read as name-status`);
      }
      commit.changes = entries.length ? `${entries.join('\0')}\0` : '';
    }
    commits.push(commit);
  }
  return commits;
}

class CommitIndex {
  readonly commits = new Map<string, IndexedCommit>();

  constructor(private readonly repo: string) {}

  /** git's answer for `range` (ids only), newest first; kept. Throws when git cannot read it. */
  load(range: string, withChanges: boolean): IndexedCommit[] {
    // Fields capped (capped-records.ts): a peer's 300 MB message no longer overflows this read and stops the run.
    const { res, fields } = cappedFields(this.repo, ['log', '-z', FORMAT, ...(withChanges ? WITH_CHANGES : []), range], 256 * 1024 * 1024);
    if (res.code !== 0) throw new Error(`git log ${range} failed (exit ${res.code}): ${res.stderr.trim().slice(-300)}`);
    const list = parseIndexedLog(fields, withChanges);
    if (this.commits.size + list.length <= MAX_COMMITS) {
      for (const c of list) {
        const had = this.commits.get(c.sha);
        // A commit read without its changes keeps those read before.
        this.commits.set(c.sha, c.changes === undefined && had?.changes !== undefined ? { ...c, changes: had.changes } : c);
      }
    }
    return list;
  }

  /**
   * `stop..tip` (or the whole history of `tip` without `stop`), newest first, from memory; undefined
   * where that is not provably git's answer (see the file comment).
   */
  chain(tip: string, stop: string | undefined): IndexedCommit[] | undefined {
    const out: IndexedCommit[] = [];
    let at: string | undefined = tip;
    while (at !== stop) {
      const c: IndexedCommit | undefined = at === undefined ? undefined : this.commits.get(at);
      if (!c) return undefined;
      out.push(c);
      if (c.parents.length === 0) return stop === undefined ? out : undefined;
      if (c.parents.length !== 1) return undefined;
      at = c.parents[0];
    }
    return out;
  }
}

const indexes = new Map<string, CommitIndex>();

function indexOf(repo: string): CommitIndex | undefined {
  if (!isMemoized(repo)) return undefined;
  let index = indexes.get(repo);
  if (!index) indexes.set(repo, (index = new CommitIndex(repo)));
  return index;
}

/** `A..B` or `B` (full ids) split; undefined for anything else. */
function idRange(range: string): { stop?: string; tip: string } | undefined {
  const m = RANGE_RE.exec(range);
  if (m) return { stop: m[1]!, tip: m[2]! };
  return ID_RE.test(range) ? { tip: range } : undefined;
}

/**
 * The commits of `range`, newest first, exactly as `git log range` lists them: from memory where
 * provable, else one `git log` (with each commit's changes for a bounded range) whose answer is
 * kept. Undefined when `repo` is not an indexed mirror or `range` is not made of full ids: the
 * caller reads git itself.
 */
export function indexedRange(repo: string, range: string): IndexedCommit[] | undefined {
  const index = indexOf(repo);
  const r = idRange(range);
  if (!index || !r || r.stop === r.tip) return undefined;
  try {
    return index.chain(r.tip, r.stop) ?? index.load(range, r.stop !== undefined);
  } catch (error) {
    // Output that does not frame as expected: the caller's own read decides.
    if (error instanceof CommitFormatError) return undefined;
    throw error;
  }
}

/** Whether `ancestor` is an ancestor of `descendant` (or the same), from memory; undefined when unknown. */
export function indexedIsAncestor(repo: string, ancestor: string, descendant: string): boolean | undefined {
  const index = indexOf(repo);
  if (!index || !ID_RE.test(ancestor) || !ID_RE.test(descendant)) return undefined;
  if (ancestor === descendant) return true;
  const all = index.chain(descendant, undefined);
  // The whole (linear) history of `descendant` is known: the answer is whether `ancestor` is on it.
  if (all) return all.some((c) => c.sha === ancestor);
  const part = index.chain(descendant, ancestor);
  return part ? true : undefined;
}

/**
 * `before..after` read with one `git log` (the commits and their changes, kept), and whether
 * `before` is an ancestor of `after`: exactly when some commit of the range has it as a parent
 * (the range is what `after` reaches and `before` does not). Undefined when `repo` is not indexed.
 */
export function readTurnRange(repo: string, before: string, after: string): { extends: boolean; commits: IndexedCommit[] } | undefined {
  const index = indexOf(repo);
  if (!index || !ID_RE.test(before) || !ID_RE.test(after) || before === after) return undefined;
  let commits: IndexedCommit[] | undefined;
  try {
    commits = indexedRange(repo, `${before}..${after}`);
  } catch {
    // git could not read the range: the caller's own reads decide (and report) it.
    return undefined;
  }
  if (!commits) return undefined;
  return { extends: commits.some((c) => c.parents.includes(before)), commits };
}

/** The changes of an indexed commit (see IndexedCommit.changes), if read. */
export function indexedChanges(repo: string, sha: string): string | undefined {
  return indexes.get(repo)?.commits.get(sha)?.changes;
}

/** The parents of an indexed commit, if read (a merge has more than one). */
export function indexedParents(repo: string, sha: string): string[] | undefined {
  return indexes.get(repo)?.commits.get(sha)?.parents;
}
