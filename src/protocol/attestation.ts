/**
 * Attestation: after each tick the loop writes the ticking peer's name as a git note
 * (`refs/notes/peers-attest`) on every commit the tick produced (original-goals-modes §10). The
 * note, not the `Peer:` trailer a peer types itself, is who made a commit. `-f` overwrites any
 * note a peer forged during its own tick.
 */
import { git, gitOk } from '../git/git.ts';

export const ATTEST_REF = 'peers-attest';
const SUBSTRATE_IDENT = { GIT_AUTHOR_NAME: 'peers-substrate', GIT_AUTHOR_EMAIL: 'peers-substrate@local', GIT_COMMITTER_NAME: 'peers-substrate', GIT_COMMITTER_EMAIL: 'peers-substrate@local' };

/**
 * Notes `peer` on every commit in `before..after` (oldest first) and returns them. `before` is HEAD
 * before the tick; it is undefined only when the repository had no commit yet, and then every
 * commit reachable from `after` came from this tick. An empty range is a no-op.
 */
export function attestCommits(repo: string, peer: string, before: string | undefined, after: string): string[] {
  if (before === after) return [];
  const range = before ? `${before}..${after}` : after;
  const shas = gitOk(repo, ['rev-list', '--reverse', range]).split('\n').filter(Boolean);
  for (const sha of shas) gitOk(repo, ['notes', `--ref=${ATTEST_REF}`, 'add', '-f', '-m', peer, sha], { env: SUBSTRATE_IDENT });
  return shas;
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
