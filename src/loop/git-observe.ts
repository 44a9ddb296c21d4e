/**
 * What git says about a turn: the commits it added, whether history was rewritten, what was left
 * uncommitted, and the inbox lines for the next prompt. Thin adapters over src/git; the rules that
 * judge these facts live in handoff-check.ts and convergence.ts.
 */
import { git, headSha } from '../git/git.ts';
import { isAncestor, listCommits, type Commit } from '../git/commits.ts';

export type TurnGitFacts = { headAfter: string | null; rewritten: boolean; newCommits: Commit[]; dirtyPaths: string[] };

export function dirtyPaths(repo: string): string[] {
  const res = git(repo, ['status', '--porcelain=v1', '-z', '--untracked-files=all']);
  if (res.code !== 0) return ['(git status failed: worktree state unknown)'];
  const out: string[] = [];
  const parts = res.stdout.split('\0');
  for (let i = 0; i < parts.length; i++) {
    const entry = parts[i]!;
    if (entry.length < 4) continue;
    const path = entry.slice(3);
    // The control plane is the operator's, masked from peers in the pod; never a peer's leftover.
    if (path !== '.peers/' && !path.startsWith('.peers/')) out.push(path);
    // Renames and copies carry the source path as the next NUL field.
    if (entry[0] === 'R' || entry[0] === 'C') i++;
  }
  return out;
}

export function observeTurnGit(repo: string, headBefore: string | null): TurnGitFacts {
  const headAfter = headSha(repo) ?? null;
  const dirty = dirtyPaths(repo);
  if (!headAfter || headAfter === headBefore) return { headAfter, rewritten: headBefore !== null && !headAfter, newCommits: [], dirtyPaths: dirty };
  if (headBefore && !isAncestor(repo, headBefore, headAfter)) return { headAfter, rewritten: true, newCommits: [], dirtyPaths: dirty };
  const newCommits = listCommits(repo, headBefore ? `${headBefore}..${headAfter}` : headAfter);
  return { headAfter, rewritten: false, newCommits, dirtyPaths: dirty };
}

/** Commits by the other peers since `cursor`: `[<peer>] <subject> (<sha8>)`. */
export function inboxLines(repo: string, peer: string, cursor: string | undefined, head: string | null): string[] {
  if (!cursor || !head || cursor === head || !isAncestor(repo, cursor, head)) return [];
  return listCommits(repo, `${cursor}..${head}`, { limit: 200 })
    .filter((c) => {
      const from = c.trailers.get('Peer');
      return from !== undefined && from !== peer;
    })
    .map((c) => `[${c.trailers.get('Peer')}] ${c.subject.slice(0, 200)} (${c.sha.slice(0, 8)})`);
}

/** Cap on the counterparts' diff shown in a prompt: enough to review a step, never the whole prompt. */
export const CHANGES_CAP_BYTES = 16 * 1024;

/**
 * The code the counterparts changed since this peer's last turn, as a plain diff: the reviewer
 * judges the change itself, blind to the implementer's commit messages and `## Self-Review` notes.
 * External diff drivers and textconv are disabled (a peer could have planted them in .git/config);
 * the operator's `.peers/` is excluded.
 */
export function changesSince(repo: string, cursor: string | undefined, head: string | null): string {
  if (!cursor || !head || cursor === head || !isAncestor(repo, cursor, head)) return '';
  const res = git(repo, ['diff', '--no-color', '--no-ext-diff', '--no-textconv', '--stat', '--patch', `${cursor}..${head}`, '--', '.', ':(exclude).peers'], { maxBuffer: 8 * 1024 * 1024 });
  if (res.code !== 0) return '';
  const text = res.stdout;
  if (Buffer.byteLength(text, 'utf8') <= CHANGES_CAP_BYTES) return text;
  const cut = Buffer.from(text, 'utf8').subarray(0, CHANGES_CAP_BYTES).toString('utf8').replace(/\uFFFD$/, '');
  return `${cut}\n…[diff truncated to ${CHANGES_CAP_BYTES} bytes; run \`git diff ${cursor.slice(0, 8)}..${head.slice(0, 8)}\` for the rest]`;
}
