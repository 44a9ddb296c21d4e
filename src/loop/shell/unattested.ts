/**
 * Commits made outside an attested turn (docs/ARCHITECTURE.md, "Attestation"). The loop notes each
 * commit of a turn's window (HEAD before .. HEAD after) with the peer that had the turn, and its own
 * reverts with itself. A commit of the run that carries no note came from no turn the loop saw end:
 * a process that outlived its turn, a person (a turn cut short by a loop that died is closed as its
 * own peer's at the next start: tick-loop.ts, closeInterrupted). It is
 * credited to nobody — with no note it approves, reviews and vouches for nothing — and it is
 * reported when the next turn starts: in that tick's record (`unattested_commits`), on the console,
 * in the next prompts and in `peers status`.
 */
import { listCommits } from '../../git/commits.ts';
import { readAttestations } from '../../protocol/attestation.ts';
import type { LoopState } from '../../state/state-schema.ts';

/** Listed at most per tick; the warning says when there were more. */
const LIST_MAX = 50;
/** Commits read back per check: a run longer than this reports only its newest. */
const SCAN_MAX = 5000;

export type Unattested = { shas: string[]; more: boolean };

/**
 * The run's commits (`baseline..head`, in the trusted mirror) that no note attests and that
 * `known` does not already list, oldest first.
 */
export function newUnattested(mirror: string, baseline: string | null, head: string | null, notes: ReadonlyMap<string, string>, known: readonly string[]): Unattested {
  if (!baseline || !head || baseline === head) return { shas: [], more: false };
  let listed: string[];
  try {
    // The newest SCAN_MAX, oldest first; the same read as the attestation view's (read-memo.ts).
    listed = listCommits(mirror, `${baseline}..${head}`).slice(-SCAN_MAX).map((c) => c.sha);
  } catch {
    return { shas: [], more: false };
  }
  const seen = new Set(known);
  const fresh = listed.filter((sha) => !notes.has(sha) && !seen.has(sha));
  return { shas: fresh.slice(-LIST_MAX), more: fresh.length > LIST_MAX };
}

/** The warning, for the console, the tick's record and the next prompts; null when there is nothing. */
export function describeUnattested(u: Unattested): string | null {
  if (!u.shas.length) return null;
  const n = u.shas.length;
  const list = u.shas.slice(-5).map((s) => s.slice(0, 8)).join(', ');
  return `${n}${u.more ? '+' : ''} commit${n === 1 && !u.more ? '' : 's'} of the run ${n === 1 && !u.more ? 'was' : 'were'} made outside any peer's turn (${n > 5 || u.more ? '…, ' : ''}${list}): unattested, credited to no peer. A commit counts for a peer only when made during its own turn.`;
}

/**
 * The run's commits no turn made, found as a turn starts at `head`: logged, and the warning for the
 * turn's prompt and record. A history that cannot be read finds none (and says so in the log).
 */
export function unattestedAtTurnStart(mirror: string, state: Pick<LoopState, 'baseline' | 'unattested'>, head: string | null, log: (line: string) => void): { shas: string[]; warning: string | null } {
  try {
    const found = newUnattested(mirror, state.baseline, head, readAttestations(mirror), state.unattested);
    const warning = describeUnattested(found);
    if (warning) log(`peers: warning: ${warning}`);
    return { shas: found.shas, warning };
  } catch (error) {
    log(`peers: warning: cannot check the run's commits for attestation: ${(error as Error).message}`);
    return { shas: [], warning: null };
  }
}
