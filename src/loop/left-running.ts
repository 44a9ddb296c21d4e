/**
 * What a peer turn left running outside its process group, as the turn's record says it
 * (SECURITY.md, "A turn's commits are its own peer's"): a `left-running` finding, the note every
 * peer is shown, and whether the turn fails. It fails when the sweep could not stop them all (fail
 * closed): such a process could still commit in the next peer's turn, credited to that peer.
 */
import type { Finding } from '../protocol/findings.ts';

export type LeftRunning = { finding: Finding; note: string; failsTurn: string | null };

export function leftRunning(peer: string, r: { leftoversStopped?: number; leftoversError?: string }): LeftRunning | null {
  if (!r.leftoversStopped && !r.leftoversError) return null;
  const n = r.leftoversStopped ?? 0;
  const detail = `${peer}'s turn left ${n} process${n === 1 ? '' : 'es'} running outside its process group`;
  const action = r.leftoversError ? `not all could be stopped: ${r.leftoversError}` : 'stopped when the turn ended';
  return {
    finding: { kind: 'left-running', detail, action },
    note: `${detail}: ${action}. Nothing a turn starts outlives it.`,
    failsTurn: r.leftoversError ? `processes the turn left running could not be stopped (${r.leftoversError})` : null,
  };
}
