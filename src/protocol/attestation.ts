/**
 * Attestation: after each tick the loop writes the ticking peer's name as a git note
 * (`refs/notes/peers-attest`) on every commit the tick produced. The
 * note, not the `Peer:` trailer a peer types itself, is who made a commit. `-f` overwrites any
 * note a peer forged during its own tick.
 */
import { GitError, git, gitOk, isObserverRepo } from '../git/git.ts';
import { listCommits } from '../git/commits.ts';
import { ATTEST_NOTES_REF, observerRef } from '../git/observer.ts';
import { isObjectId } from '../git/repo-layout.ts';
import { OPERATOR, SUBSTRATE_GIT_ENV, approvalsIn, makeAttestationView, type AttestationView } from './approvals.ts';

/** `git notes --ref=` takes the name under refs/notes/. */
export const ATTEST_REF = ATTEST_NOTES_REF.slice('refs/notes/'.length);

/**
 * Notes `peer` on every commit in `before..after` (oldest first) and returns them. `before` is HEAD
 * before the tick; it is undefined only when the repository had no commit yet, and then every
 * commit reachable from `after` came from this tick. An empty range is a no-op.
 */
export function attestCommits(repo: string, peer: string, before: string | undefined, after: string): string[] {
  if (before === after) return [];
  const range = before ? `${before}..${after}` : after;
  return attestShas(repo, peer, gitOk(repo, ['rev-list', '--reverse', range]).split('\n').filter(Boolean));
}

/** Notes `peer` on each of `shas`: the commits of a tick the caller has already listed. */
export function attestShas(repo: string, peer: string, shas: string[]): string[] {
  if (!shas.length) return shas;
  const before = knownAttestations(repo);
  // The first commit gets the note; the others a copy of it, in one more git call however many
  // commits the tick made (BENCHMARKS.md, "Loop processes per tick"). `-f` on both.
  const [first, ...rest] = shas as [string, ...string[]];
  gitOk(repo, ['notes', `--ref=${ATTEST_REF}`, 'add', '-f', '-m', peer, first], { env: SUBSTRATE_GIT_ENV });
  if (rest.length) gitOk(repo, ['notes', `--ref=${ATTEST_REF}`, 'copy', '-f', '--stdin'], { env: SUBSTRATE_GIT_ENV, input: rest.map((sha) => `${first} ${sha}\n`).join('') });
  // What the notes now say is what they said plus what we wrote: kept for the new notes commit.
  if (before) {
    const after = new Map(before);
    for (const sha of shas) after.set(sha, peer);
    rememberAttestations(repo, after);
  }
  return shas;
}

/**
 * The last notes read of each peers-owned repo (the run's mirror), keyed by the notes commit: a
 * notes commit's content never changes, so while the ref still names it the answer is the same
 * (the ref is read as a file: no git process). Other repositories are always read afresh.
 */
const notesMemo = new Map<string, { commit: string; notes: Map<string, string> }>();

function notesCommit(repo: string): string | null | undefined {
  if (!isObserverRepo(repo)) return undefined;
  try {
    return observerRef(repo, ATTEST_NOTES_REF) ?? null;
  } catch {
    return undefined;
  }
}

function knownAttestations(repo: string): Map<string, string> | undefined {
  const commit = notesCommit(repo);
  if (commit === undefined) return undefined;
  if (commit === null) return new Map();
  const kept = notesMemo.get(repo);
  return kept && kept.commit === commit ? kept.notes : undefined;
}

function rememberAttestations(repo: string, notes: Map<string, string>): void {
  const commit = notesCommit(repo);
  if (commit) notesMemo.set(repo, { commit, notes });
}

/** The attested peer of a commit, or undefined when the loop never attested it. */
export function attestedPeer(repo: string, sha: string): string | undefined {
  const res = git(repo, ['notes', `--ref=${ATTEST_REF}`, 'show', sha]);
  if (res.code !== 0) return undefined;
  const name = res.stdout.trim();
  return name === '' ? undefined : name;
}

/** A lookup function bound to a repository, the shape soft-reviews' ingest expects. */
export function attestedPeerLookup(repo: string): (sha: string) => string | undefined {
  const cache = new Map<string, string | undefined>();
  return (sha) => {
    if (!cache.has(sha)) cache.set(sha, attestedPeer(repo, sha));
    return cache.get(sha);
  };
}

/**
 * Every attestation note at once (`git notes list` + one `git cat-file --batch`), for reads over
 * a whole run: commit sha → peer. A repository without notes gives an empty map.
 */
export function readAttestations(repo: string): Map<string, string> {
  const known = knownAttestations(repo);
  if (known) return new Map(known);
  const commit = notesCommit(repo);
  const { notes, complete } = readAllNotes(repo);
  if (commit && complete) notesMemo.set(repo, { commit, notes });
  return new Map(notes);
}

function readAllNotes(repo: string): { notes: Map<string, string>; complete: boolean } {
  const out = new Map<string, string>();
  const list = git(repo, ['notes', `--ref=${ATTEST_REF}`, 'list']);
  if (list.code !== 0 || !list.stdout.trim()) return { notes: out, complete: list.code === 0 };
  const pairs = list.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/) as [string, string]);
  const batch = git(repo, ['cat-file', '--batch'], { input: `${pairs.map(([blob]) => blob).join('\n')}\n` });
  if (batch.code !== 0) throw new GitError(['cat-file', '--batch'], batch);
  // `<sha> blob <size>\n<content>\n` per note, in request order.
  const buf = Buffer.from(batch.stdout, 'utf8');
  let at = 0;
  let complete = true;
  for (const [, commit] of pairs) {
    const nl = buf.indexOf(0x0a, at);
    const header = nl < 0 ? [] : buf.subarray(at, nl).toString('utf8').split(' ');
    const size = Number(header[2]);
    if (nl < 0 || header[1] !== 'blob' || !Number.isFinite(size)) {
      complete = false;
      break;
    }
    const name = buf.subarray(nl + 1, nl + 1 + size).toString('utf8').trim();
    if (name) out.set(commit, name);
    at = nl + 1 + size + 1;
  }
  return { notes: out, complete };
}

/**
 * The run's attestation view (approvals.ts): notes for the run's commits, OPERATOR for commits
 * that were already in history at `baseline` (the run's start), and the approvals in review
 * commits since then. Without a baseline, no commit counts as the operator's.
 */
export function readAttestationView(repo: string, baseline: string | undefined, head = 'HEAD'): AttestationView {
  const notes = readAttestations(repo);
  const preRun = new Map<string, boolean>();
  const peerOf = (sha: string): string | undefined => {
    const noted = notes.get(sha);
    if (noted) return noted;
    if (!baseline) return undefined;
    if (!preRun.has(sha)) preRun.set(sha, git(repo, ['merge-base', '--is-ancestor', sha, baseline]).code === 0);
    return preRun.get(sha) ? OPERATOR : undefined;
  };
  const range = baseline ? `${baseline}..${head}` : head;
  // A commit id the caller read from the repository needs no check that it exists (one git
  // process less per tick); a ref may name nothing yet (an empty repository).
  const commits = isObjectId(head) || git(repo, ['rev-parse', '--verify', '--quiet', head]).code === 0 ? listCommits(repo, range) : [];
  return makeAttestationView(peerOf, approvalsIn(commits, peerOf));
}
