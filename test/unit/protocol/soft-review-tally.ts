/** Folds votes into a soft goal's status, as the loop does review by review, for the soft-review tests. */
import { applyReview, emptySoftStatus, type SoftGoalRule } from '../../../src/protocol/soft-reviews.ts';
import type { SoftStatus } from '../../../src/state/state-schema.ts';

let voteSeq = 0;

/** Each vote gets a distinct commit sha; `peerCount` is how many peers the run has. */
export function tally(goal: SoftGoalRule, votes: Array<[reviewer: string, pass: boolean]>, peerCount: number): SoftStatus {
  return votes.reduce((st, [reviewer, pass]) => applyReview(st, goal, { reviewer, pass, sha: `sha${voteSeq++}`, notes: '' }, peerCount), emptySoftStatus());
}
