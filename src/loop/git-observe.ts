/**
 * What git says about a turn: the commits it added, whether history was rewritten, what was left
 * uncommitted, and the inbox lines for the next prompt. Thin adapters over src/git; the rules that
 * judge these facts live in handoff-check.ts and convergence.ts. Commits are read from the trusted
 * mirror (`mirror`), never from the peers' repository; its working tree state comes from the
 * workspace itself (WorkspaceGit).
 */
import { git } from '../git/git.ts';
import { isAncestor, listCommits, type Commit } from '../git/commits.ts';
import type { RunObserver } from '../git/run-observer.ts';
import type { WorkspaceGit } from '../git/workspace-git.ts';

export type TurnGitFacts = {
  headAfter: string | null;
  rewritten: boolean;
  newCommits: Commit[];
  dirtyPaths: string[];
  /** Set when the peers' repository could not be imported (tampered layout, forged objects…). */
  unreadable?: string;
};

export async function observeTurnGit(observer: RunObserver, workspace: WorkspaceGit, headBefore: string | null): Promise<TurnGitFacts> {
  const dirty = await workspace.dirtyPaths();
  let headAfter: string | null;
  try {
    headAfter = observer.sync().head;
  } catch (error) {
    // Nothing the turn did can be trusted: no new commits, the mirror keeps the last good head.
    return { headAfter: headBefore, rewritten: false, newCommits: [], dirtyPaths: dirty, unreadable: (error as Error).message };
  }
  const repo = observer.mirror;
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
