/**
 * Anti-cheat for test-only turns: a handoff whose diff changes
 * tests and nothing substantive elsewhere (turn-diff.ts: comments, blank lines and docs do not
 * count) cannot have fixed production behaviour, yet it can flip a gate by weakening a test.
 *
 *   - A test-only turn that turned a red gate green is reverted at once, the first time.
 *   - Otherwise the first test-only turn per peer is warned, and every further one before a turn
 *     that changes source is reverted. Two reverts in a row degrade the peer.
 *   - A turn that also changed source, whose test changes ALONE turn a red gate green on the code
 *     it started from (tests-alone.ts measures that), is reverted the same way: the source change
 *     beside it (an unrelated line, a real refactor) is not why the gate passes. A weakened
 *     assertion, or a new test file that replaces the function under test at import time, is a
 *     test-only fix whatever else the turn changed.
 *   - `JUSTIFIED-TEST-ONLY: <≥20 chars of reason>` accepts the turn only when ANOTHER peer wrote
 *     it (approvals.ts): a line in one of the turn's own commits is the author vouching for itself
 *     and does not count; the warning says so.
 * Every warning goes to every peer's next prompt (the counterparts audit what the offender did).
 *
 * `decideAntiCheat` is pure (state + observation → decision); `revertTurn` is the git adapter.
 */
import type { Commit } from '../git/commits.ts';
import { git } from '../git/git.ts';
import type { RunObserver } from '../git/run-observer.ts';
import type { WorkspaceGit } from '../git/workspace-git.ts';
import { SUBSTRATE_GIT_ENV, SUBSTRATE_PEER } from './approvals.ts';
import { attestCommits } from './attestation.ts';
import { isTestOnly, type TurnDiff } from './turn-diff.ts';

export { SUBSTRATE_PEER } from './approvals.ts';
export const JUSTIFICATION_MIN = 20;
/** Trailer on the loop's revert commit naming the undone range, so later rules can skip it. */
export const REVERTED_TRAILER = 'Peers-Reverted';

/** The first `JUSTIFIED-TEST-ONLY:` reason of ≥20 characters among the commits, with its commit. */
export function findJustification(commits: Commit[]): { reason: string; sha: string } | undefined {
  for (const c of commits) {
    for (const line of c.message.split('\n')) {
      const m = /JUSTIFIED-TEST-ONLY:(.*)$/.exec(line);
      const reason = m?.[1]?.replace(/^[ #\t]+|[ #\t]+$/g, '') ?? '';
      if (reason.length >= JUSTIFICATION_MIN) return { reason: reason.slice(0, 500), sha: c.sha };
    }
  }
  return undefined;
}

/** Per-peer anti-cheat memory the loop keeps in its state. */
export type AntiCheatPeerState = { prewarned?: string; consecutiveReverts: number };
export const initialAntiCheatState = (): AntiCheatPeerState => ({ consecutiveReverts: 0 });

export type AntiCheatDecision = {
  action: 'none' | 'accept-justified' | 'warn' | 'revert';
  /** Text for every peer's next prompt and for runs.jsonl. */
  warning?: string;
  reason?: string;
  justification?: string;
  /** True when this revert is the second in a row for the peer: the loop degrades it. */
  degrade: boolean;
  next: AntiCheatPeerState;
};

export type AntiCheatInput = {
  peer: string;
  /** Whether the tick handed off; a failed tick resets the revert streak. */
  success: boolean;
  diff: TurnDiff | undefined;
  /** A JUSTIFIED-TEST-ONLY written by another peer since this peer's last turn. */
  justifiedByOther?: { reason: string; by: string };
  /** A JUSTIFIED-TEST-ONLY in the turn's own commits: the author vouching for itself. */
  selfJustification?: string;
  /** Hard gates that were red before the turn and green at its HEAD. */
  turnedGreen: string[];
  /**
   * For a turn that changed source too: the hard gates that were red before it and are green on
   * its starting commit with only its test changes (`paths`) applied.
   */
  testsAlone?: { paths: string[]; turnedGreen: string[] };
};

export function testOnlyReason(d: TurnDiff): string {
  const cosmetic = d.cosmeticLines ? `, ${d.cosmeticLines} comment/blank/doc line(s) elsewhere` : '';
  return `the turn changed only tests (+${d.testLines} test lines, 0 substantive source lines${cosmetic}). Production behaviour cannot have been the reason a gate flipped.`;
}

/** Why a turn that changed source too is a test-only fix: its tests alone turn the gates green. */
export function testsAloneReason(alone: { paths: string[]; turnedGreen: string[] }): string {
  const paths = alone.paths.length > 3 ? `${alone.paths.slice(0, 3).join(', ')} and ${alone.paths.length - 3} more` : alone.paths.join(', ');
  return `its test changes alone (${paths}) turn ${alone.turnedGreen.join(', ')} from red to green on the code the turn started from: its source changes are not why the gate passes.`;
}

export function decideAntiCheat(state: AntiCheatPeerState, obs: AntiCheatInput): AntiCheatDecision {
  if (!obs.success) return { action: 'none', degrade: false, next: { ...state, consecutiveReverts: 0 } };
  const alone = !isTestOnly(obs.diff) && obs.testsAlone?.turnedGreen.length ? obs.testsAlone : undefined;
  if (!isTestOnly(obs.diff) && !alone) return { action: 'none', degrade: false, next: { consecutiveReverts: 0 } };
  const reason = alone ? testsAloneReason(alone) : testOnlyReason(obs.diff!);
  if (obs.justifiedByOther) {
    const j = obs.justifiedByOther;
    return {
      action: 'accept-justified',
      reason,
      justification: j.reason,
      warning: `anti-cheating: accepted ${obs.peer}'s ${alone ? 'handoff whose tests alone turn a gate green' : 'test-only handoff'} because ${j.by} wrote JUSTIFIED-TEST-ONLY. Audit it: ${j.reason.slice(0, 240)}`,
      degrade: false,
      next: { consecutiveReverts: state.consecutiveReverts },
    };
  }
  const selfNote = obs.selfJustification ? ` Its own JUSTIFIED-TEST-ONLY does not count: only another peer can justify a test-only turn.` : '';
  const revert = (why: string): AntiCheatDecision => {
    const reverts = state.consecutiveReverts + 1;
    return {
      action: 'revert',
      reason: why,
      warning: `anti-cheating: ${obs.peer}'s handoff was reverted because ${why}${selfNote}`,
      degrade: reverts >= 2,
      // The warning stays in force until a turn that changes source: the next test-only turn is reverted too.
      next: { prewarned: state.prewarned ?? why, consecutiveReverts: reverts },
    };
  };
  if (alone) return revert(reason);
  if (obs.turnedGreen.length) return revert(`it turned ${obs.turnedGreen.join(', ')} from red to green by changing only tests. ${reason}`);
  if (!state.prewarned) {
    return {
      action: 'warn',
      reason,
      warning: `anti-cheating pre-warning for ${obs.peer}: ${reason}${selfNote} A second test-only turn will be reverted unless another peer writes "JUSTIFIED-TEST-ONLY: <reason>".`,
      degrade: false,
      next: { prewarned: reason, consecutiveReverts: state.consecutiveReverts },
    };
  }
  return revert(reason);
}

export type RevertOutcome = { method: 'revert' | 'failed'; sha?: string; error?: string };

/**
 * Undoes `since..HEAD` with one commit by `peers-substrate` whose tree is `since`'s (history is only
 * extended, so the peer's commits stay visible as evidence; REVERTED_TRAILER names the undone
 * range). The commit is built and attested in the trusted mirror and applied to the clone through
 * the workspace (workspace-git.ts): the loop runs no git in the peers' repository.
 */
export async function revertTurn(observer: RunObserver, workspace: WorkspaceGit, since: string, reason: string): Promise<RevertOutcome> {
  const mirror = observer.mirror;
  const head = observer.head();
  if (!head) return { method: 'failed', error: 'the mirror has no head to revert' };
  const tree = git(mirror, ['rev-parse', '--verify', '--quiet', `${since}^{tree}`]);
  if (tree.code !== 0) return { method: 'failed', error: `${since.slice(0, 12)} is not in the mirror` };
  const msg = `Anti-cheating revert: ${reason}\n\nPeer: ${SUBSTRATE_PEER}\n${REVERTED_TRAILER}: ${since}..${head}\n`;
  const made = git(mirror, ['commit-tree', tree.stdout.trim(), '-p', head], { env: SUBSTRATE_GIT_ENV, input: msg });
  if (made.code !== 0) return { method: 'failed', error: made.stderr.trim().slice(-300) };
  const sha = made.stdout.trim();
  // The revert is the loop's own commit: attest it so no peer is credited (or blamed) for it.
  attestCommits(mirror, SUBSTRATE_PEER, head, sha);
  const moved = await workspace.moveHeadTo(sha, 'anti-cheating revert');
  return moved.ok ? { method: 'revert', sha } : { method: 'failed', error: moved.error };
}
