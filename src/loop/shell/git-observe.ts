/**
 * What git says about a turn: the commits it added, whether history was rewritten, what was left
 * uncommitted, and the reviewer's window (INBOX and CHANGES) for the next prompt. Thin adapters over
 * src/git; the rules that judge these facts live in judge-turn.ts and convergence.ts. Commits are
 * read from the trusted mirror, never from the peers' repository; its working tree state comes from
 * the workspace itself (WorkspaceGit).
 */
import { git, gitLines, gitStream } from '../../git/git.ts';
import { READABLE_DIFF_FLAGS } from '../../git/diff-header.ts';
import { isAncestor, listCommits, type Commit } from '../../git/commits.ts';
import { readTurnRange } from '../../git/commit-index.ts';
import type { RunObserver } from '../../git/run-observer.ts';
import type { WorkspaceGit } from '../../git/workspace-git.ts';
import { excerptForReview, type PartialFile } from '../../protocol/review-excerpt.ts';
import { proseNamedByCodeAt } from '../../protocol/prose-paths.ts';
import { heldDiffReader, type HeldDiff } from '../../protocol/held-diff.ts';
import { readAttestations } from '../../protocol/attestation.ts';
import { OPERATOR, SUBSTRATE_PEER } from '../../protocol/approvals.ts';
import { oneLine, visibleHidden } from '../../prompt/visible-hidden.ts';

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
  // One `git log headBefore..headAfter` says both what the turn added and whether it only
  // extended history (commit-index.ts); the other reads of the tick are answered from it.
  const range = headBefore ? readTurnRange(repo, headBefore, headAfter) : undefined;
  if (range && !range.extends) return { headAfter, rewritten: true, newCommits: [], dirtyPaths: dirty };
  if (!range && headBefore && !isAncestor(repo, headBefore, headAfter)) return { headAfter, rewritten: true, newCommits: [], dirtyPaths: dirty };
  const newCommits = listCommits(repo, headBefore ? `${headBefore}..${headAfter}` : headAfter);
  return { headAfter, rewritten: false, newCommits, dirtyPaths: dirty };
}

/**
 * Commits by the other peers in `base..head`: `[<peer>] <subject> (<sha8>)`, the peer being the one
 * whose turn made the commit (the loop's attestation, attestation.ts), never the `Peer:` trailer its
 * author typed: a commit with `Peer: bob` in alice's turn was left out of bob's INBOX as his own,
 * and one with `Peer: carol` was listed as a third peer's (SECURITY.md, "Identity is the loop's
 * attestation, not a trailer"). The loop's own commits are left out; an unattested one is listed
 * as such.
 */
export function inboxLines(repo: string, peer: string, base: string | undefined, head: string | null): string[] {
  if (!base || !head || base === head || !isAncestor(repo, base, head)) return [];
  const attested = readAttestations(repo);
  // The newest 200, oldest first: the same read as the previous turn's observation and the
  // justification check (read-memo.ts keeps one answer), not a `-n200` of its own.
  return listCommits(repo, `${base}..${head}`)
    .slice(-200)
    .flatMap((c) => {
      const from = attested.get(c.sha);
      if (from === peer || from === SUBSTRATE_PEER || from === OPERATOR) return [];
      return [visibleHidden(`[${from ?? 'unattested'}] ${c.subject.slice(0, 200)} (${c.sha.slice(0, 8)})`)];
    });
}

/**
 * A diff over SAVED_DIFF_CAP_BYTES read again, line by line, keeping what fits (held-diff.ts); not
 * ok when git cannot give it (the prompt then lists the files only, as before).
 */
function heldDiffOf(repo: string, range: string): { ok: true; diff: HeldDiff } | { ok: false } {
  const reader = heldDiffReader(SAVED_DIFF_CAP_BYTES);
  const res = gitLines(repo, [...DIFF_ARGS, '--patch', range, ...NOT_CONTROL_PLANE], reader.line);
  return res.code === 0 ? { ok: true, diff: reader.done() } : { ok: false };
}

/** Cap on the diff shown in a prompt: enough to review a step, never the whole prompt. */
export const CHANGES_CAP_BYTES = 16 * 1024;
const FILE_LIST_CAP_BYTES = 6 * 1024;
/** The line naming the files nothing of which is shown, when the list is cut (reviewChanges). */
const UNSHOWN_CAP_BYTES = 1536;

/** `NOT SHOWN BELOW (n files): a; b; …, and k more files`, at most UNSHOWN_CAP_BYTES, in the order given. */
export function unshownLine(paths: readonly string[]): string {
  const lead = `NOT SHOWN BELOW (${paths.length} files, code first; read each with its git diff command):`;
  const named: string[] = [];
  let size = Buffer.byteLength(lead, 'utf8') + 40;
  for (const p of paths) {
    const item = oneLine(p).slice(0, 200);
    const add = Buffer.byteLength(item, 'utf8') + 2;
    if (size + add > UNSHOWN_CAP_BYTES) break;
    named.push(item);
    size += add;
  }
  const more = paths.length - named.length;
  return `${lead} ${named.join('; ')}${more ? `, and ${more} more files` : ''}.`;
}

/**
 * A larger diff is not saved for the reviewer (it is named by its `git diff` command instead): the
 * loop holds a saved diff in memory several times over (bytes, text, NULs made visible), and in the
 * pod it has 1 GiB (sandbox/pod-layout.ts, DEFAULT_LIMITS).
 */
export const SAVED_DIFF_CAP_BYTES = 32 * 1024 * 1024;

// The flags every diff reader passes (src/git/diff-header.ts), `--text` among them: a NUL byte
// must not turn a source file's change into "Binary files differ"; NULs are shown as ␀, bidi and zero-width characters as <U+XXXX> (visibleHidden).
const DIFF_ARGS = ['diff', ...READABLE_DIFF_FLAGS];
const NOT_CONTROL_PLANE = ['--', '.', ':(exclude).peers'];

export type ReviewChanges = { text: string; truncated: boolean };

/**
 * Everything that changed in `base..head` (the reviewer's window: since the end of its own last
 * turn, or the run's baseline on its first), as a plain diff: the reviewer judges the change
 * itself; commit messages reach it only as INBOX subjects. External diff drivers and textconv are
 * disabled (a peer could have planted them in .git/config); the operator's `.peers/` is excluded.
 * A diff over the cap is summarised: the changed files with their line counts, and where the full
 * diff is (`saveFullDiff` stores it and returns its path).
 */
export function reviewChanges(repo: string, base: string | undefined, head: string | null, saveFullDiff: (diff: string) => string | null): ReviewChanges {
  if (!base || !head || base === head || !isAncestor(repo, base, head)) return { text: '', truncated: false };
  const range = `${base}..${head}`;
  // Streamed: however large the peers made the diff, at most SAVED_DIFF_CAP_BYTES of it is held.
  const kept: Buffer[] = [];
  let size = 0;
  const res = gitStream(repo, [...DIFF_ARGS, '--stat=200', '--stat-count=400', '--patch', range, ...NOT_CONTROL_PLANE], (chunk) => {
    size += chunk.length;
    if (size <= SAVED_DIFF_CAP_BYTES) kept.push(Buffer.from(chunk));
  });
  if (res.code !== 0) return { text: `(the diff of ${range} could not be read: ${res.stderr.trim().slice(0, 200)})`, truncated: false };
  if (size <= CHANGES_CAP_BYTES) {
    const text = visibleHidden(Buffer.concat(kept).toString('utf8'));
    if (Buffer.byteLength(text, 'utf8') <= CHANGES_CAP_BYTES) return { text, truncated: false };
  }
  const stat = git(repo, [...DIFF_ARGS, '--stat=200', '--stat-count=400', range, ...NOT_CONTROL_PLANE]).stdout;
  const statCut = Buffer.byteLength(stat, 'utf8') > FILE_LIST_CAP_BYTES;
  const files = statCut ? `${Buffer.from(stat, 'utf8').subarray(0, FILE_LIST_CAP_BYTES).toString('utf8').replace(/\uFFFD$/, '')}\n…[file list cut]` : stat;
  // git ends a list it stopped at --stat-count with a line ` ...`.
  const listCut = statCut || /^ \.\.\.$/m.test(stat);
  // Over what the loop holds: the files' diffs that fit, the largest reduced (held-diff.ts).
  const held = size <= SAVED_DIFF_CAP_BYTES ? null : heldDiffOf(repo, range);
  const full = held ? (held.ok ? visibleHidden(held.diff.text) : null) : visibleHidden(Buffer.concat(kept).toString('utf8'));
  const saved = full !== null ? saveFullDiff(full) : null;
  const cmd = `git diff ${base.slice(0, 12)}..${head.slice(0, 12)}`;
  const notHeld = held?.ok ? held.diff.notHeld : [];
  const intro = [
    `The full diff (${size} bytes) is larger than this prompt allows; ${listCut ? 'the changed files are listed below, those of which nothing is shown first' : 'every changed file is listed below'}. Read each one with \`${cmd} -- <file>\`.`,
    saved ? (held ? `The diffs the loop could hold are saved at ${saved}; the full diff: \`${cmd}\`.` : `The full diff is saved at ${saved}.`) : `The full diff: \`${cmd}\`.`,
    ...(notHeld.length
      ? [`NOT HELD (a diff over what the loop holds): ${notHeld.slice(0, 8).map((x) => `${oneLine(x.path).slice(0, 200)} (${x.bytes} bytes of diff)`).join('; ')}${notHeld.length > 8 ? `, and ${notHeld.length - 8} more files` : ''}. Of these only the changed lines that branch on a literal value or are a row of a lookup table are shown; read the rest with \`${cmd} -- <file>\` before you pass this change.`]
      : []),
  ].join('\n');
  const top = `${intro}\n\n${files.trimEnd()}`;
  // As many files' whole diffs as fit, code before documents and small before large (review-excerpt.ts).
  const note = (shown: number, total: number) => `\n\nThe diffs of ${shown} of these ${total} files follow (code before documents, files that existed before files added, smaller diffs first; a file too large to show whole is shown by its changed code lines only); read the rest yourself.\n`;
  // Files shown only in part are named up front, plainly, with where the rest is (review-excerpt.ts).
  const inPart = (partial: PartialFile[]) => {
    if (!partial.length) return '';
    const named = partial.slice(0, 8).map((x) => `${oneLine(x.path).slice(0, 200)} (${x.left} of ${x.total} changed code lines left out)`);
    const more = partial.length > 8 ? `, and ${partial.length - 8} more files` : '';
    return `\nNOT SHOWN IN FULL: ${named.join('; ')}${more}. Their lines that branch on a literal value or are a row of a lookup table are shown first; read the rest ${saved ? `in ${saved}` : `with \`${cmd} -- <file>\``} before you pass this change.\n`;
  };
  const reserve = Buffer.byteLength(top + note(9999, 9999), 'utf8') + 2_400 + (listCut ? UNSHOWN_CAP_BYTES : 0);
  // A file the prose rule calls a document is one no code of `head` names (prose-paths.ts).
  const excerpt = full !== null ? excerptForReview(full, CHANGES_CAP_BYTES - reserve, (candidates) => proseNamedByCodeAt(repo, head, candidates)) : null;
  // A list cut short names what nothing below shows, before it: past the 6 KiB or 400 files of the
  // list and past the eight NOT SHOWN IN FULL names, a changed file was in no line of the prompt
  // (220 small modules added beside src/zz/kernel.txt put it there).
  const summary = listCut && excerpt?.unshown.length ? `${intro}\n\n${unshownLine(excerpt.unshown)}\n${files.trimEnd()}` : top;
  return { text: excerpt && excerpt.shown.length ? `${summary}${note(excerpt.shown.length, excerpt.total)}${inPart(excerpt.partial)}${excerpt.text.trimEnd()}` : summary, truncated: true };
}
