/**
 * Everything the collaboration protocol does after a tick, in one call for the loop: attest the
 * tick's commits to the peer, ingest its soft reviews, scan its diff for skip/only markers and
 * removed tests, detect control-plane edits, apply the anti-cheat rule (reverting if it says so)
 * and count new blocking bug reports (the clean-tick and skeptic signal). The loop persists the
 * returned soft statuses and anti-cheat state, logs the result to runs.jsonl and puts `warnings`
 * into the next prompt. Git failures in the optional scans become warnings, never a crashed tick.
 */
import { listCommits } from '../git/commits.ts';
import { headSha } from '../git/git.ts';
import { decideAntiCheat, findJustification, revertTurn, turnDiffStats, type AntiCheatDecision, type AntiCheatPeerState, type RevertOutcome } from './anti-cheat.ts';
import { attestCommits, attestedPeerLookup } from './attestation.ts';
import { countNewBlockingReports } from './bug-ledger.ts';
import { controlPlaneEditsInRange, detectControlPlaneEdits, formatControlPlaneEdits, type ControlPlaneEdit } from './control-plane-guard.ts';
import { ingestReviews, type ReviewRecord, type SoftGoalRule, type SoftStatus } from './soft-reviews.ts';
import { formatMarkerFinding, scanRangeForTestMarkers, type MarkerFinding } from './test-markers.ts';

export type PostTickInput = {
  repo: string;
  peer: string;
  /** HEAD before the peer ran; undefined only when the repository had no commit. */
  before: string | undefined;
  /** Whether the tick handed off (loop's handoff check). */
  success: boolean;
  /** The loop's snapshot of `.peers/` (state dir `snapshot/`); omit to skip the live-file check. */
  snapshotDir?: string;
  softGoals: SoftGoalRule[];
  softStatus: Record<string, SoftStatus>;
  peerOrder: string[];
  antiCheat: AntiCheatPeerState;
};

export type PostTickResult = {
  head: string | undefined;
  attested: string[];
  softStatus: Record<string, SoftStatus>;
  reviews: Array<{ goalId: string } & ReviewRecord>;
  antiCheat: AntiCheatDecision;
  revert?: RevertOutcome;
  markers: MarkerFinding[];
  controlPlaneEdits: ControlPlaneEdit[];
  newBlockingReports: number;
  warnings: string[];
};

function attempt<T>(warnings: string[], what: string, fallback: T, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    warnings.push(`peers: ${what} skipped: ${(error as Error).message}`);
    return fallback;
  }
}

export function runPostTickProtocol(input: PostTickInput): PostTickResult {
  const warnings: string[] = [];
  const { repo, peer, before } = input;
  const head = headSha(repo);
  const moved = head !== undefined && head !== before;
  const attested = moved ? attempt(warnings, `attestation for ${peer}`, [] as string[], () => attestCommits(repo, peer, before, head)) : [];
  const commits = moved ? attempt(warnings, 'reading the tick commits', [], () => listCommits(repo, before ? `${before}..${head}` : head)) : [];

  const ingest = ingestReviews(commits, input.softGoals, input.softStatus, input.peerOrder, attestedPeerLookup(repo));
  warnings.push(...ingest.warnings);

  const markers = moved && before ? scanRangeForTestMarkers(repo, before, head) : [];
  for (const m of markers) warnings.push(`test-marker: ${formatMarkerFinding(m)}`);

  const edits: ControlPlaneEdit[] = [];
  if (input.snapshotDir) edits.push(...attempt(warnings, 'control-plane check', [], () => detectControlPlaneEdits(repo, input.snapshotDir!)));
  if (moved && before) for (const e of controlPlaneEditsInRange(repo, before, head)) if (!edits.some((x) => x.path === e.path)) edits.push(e);
  if (edits.length) warnings.push(formatControlPlaneEdits(edits));

  const newBlockingReports = countNewBlockingReports(commits);
  const stats = moved ? turnDiffStats(repo, before, head) : undefined;
  const antiCheat = decideAntiCheat(input.antiCheat, { success: input.success, stats, justification: findJustification(commits) });
  let revert: RevertOutcome | undefined;
  if (antiCheat.action === 'revert' && before) {
    revert = revertTurn(repo, before, antiCheat.reason!);
    if (revert.method === 'failed') warnings.push(`CRITICAL: anti-cheating revert of ${peer}'s turn failed: ${revert.error}`);
  }
  if (antiCheat.warning) warnings.push(antiCheat.warning);

  return { head: revert?.sha ?? head, attested, softStatus: ingest.statuses, reviews: ingest.ingested, antiCheat, revert, markers, controlPlaneEdits: edits, newBlockingReports, warnings };
}
