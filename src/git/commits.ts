/**
 * Reading commits as data: sha, subject, full message and parsed trailers. NUL-separated output,
 * so no message content can break the framing.
 */
import { git, GitError } from './git.ts';
import { cappedFields } from './capped-records.ts';
import { indexedIsAncestor, indexedRange } from './commit-index.ts';
import { parseTrailers, type Trailers } from './trailers.ts';

/**
 * A commit as the loop reads it. The names and emails are read with the message (no process of
 * their own): git prints them as they are, and a turn whose commits hold a terminal control
 * character in any of them is undone (src/git/history-controls.ts, commitControl).
 */
export type Commit = { sha: string; subject: string; message: string; trailers: Trailers; authorName: string; authorEmail: string; committerName: string; committerEmail: string };

/**
 * Commits in `range` (any `git log` range expression, e.g. `abc..HEAD` or `HEAD`), oldest first
 * unless `newestFirst`. `limit` caps how many are read.
 */
export function listCommits(repo: string, range: string, opts: { newestFirst?: boolean; limit?: number; paths?: string[] } = {}): Commit[] {
  // The run's mirror: from its commit index (commit-index.ts), git's own order; `-n` before `--reverse`, as git does.
  const indexed = opts.paths ? undefined : indexedRange(repo, range);
  if (indexed) {
    const some = opts.limit ? indexed.slice(0, opts.limit) : indexed;
    const commits = some.map(({ sha, authorName, authorEmail, committerName, committerEmail, message, subject, trailers }) => ({ sha, authorName, authorEmail, committerName, committerEmail, message, subject, trailers }));
    return opts.newestFirst ? commits : commits.reverse();
  }
  const args = ['log', '-z', '--format=%H%x00%an%x00%ae%x00%cn%x00%ce%x00%B'];
  if (!opts.newestFirst) args.push('--reverse');
  if (opts.limit) args.push(`-n${opts.limit}`);
  args.push(range);
  if (opts.paths) args.push('--', ...opts.paths);
  // Every field capped (capped-records.ts): a peer's 300 MB message is read as its ends, not as a stop.
  const { res, fields: parts } = cappedFields(repo, args);
  if (res.code !== 0) throw new GitError(args, res);
  const commits: Commit[] = [];
  // Records are "sha\0name\0email\0name\0email\0message\0" with message possibly containing newlines (never NUL).
  for (let i = 0; i + 5 < parts.length; i += 6) {
    const sha = (parts[i] ?? '').replace(/^\n+/, '');
    if (!sha) continue;
    const message = parts[i + 5] ?? '';
    commits.push({ sha, authorName: parts[i + 1] ?? '', authorEmail: parts[i + 2] ?? '', committerName: parts[i + 3] ?? '', committerEmail: parts[i + 4] ?? '', message, subject: message.split('\n', 1)[0] ?? '', trailers: parseTrailers(message) });
  }
  return commits;
}

export function isAncestor(repo: string, ancestor: string, descendant = 'HEAD'): boolean {
  const known = indexedIsAncestor(repo, ancestor, descendant);
  if (known !== undefined) return known;
  return git(repo, ['merge-base', '--is-ancestor', ancestor, descendant]).code === 0;
}
