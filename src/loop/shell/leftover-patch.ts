/**
 * Before the loop discards what a turn left uncommitted (src/loop/leftover-work.ts), it keeps a
 * copy in the state directory, out of every peer's reach: a peer killed mid-edit, or one that
 * forgot to commit, loses the work from the run, not from the operator, who can take it back
 * with `git apply --index`. Then it discards them (discardLeftovers), sweeping the git locks a
 * killed peer's process left around each step.
 */
import { mkdirSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { writeFileAtomic } from '../../fs/atomic-write.ts';
import { leftoverPatchProblem, MAX_LEFTOVER_PATCH_BYTES, type WorkspaceGit } from '../../git/workspace-git.ts';
import { leftoverPatchFile, type StatePaths } from '../../state/paths.ts';
import type { TickObservation } from '../tick.ts';
import { sweepGitLocks } from './start-cleanup.ts';

/**
 * What `peer`'s turn (tick `tick`) left uncommitted never reaches another peer's commit
 * (leftover-work.ts): saved, then discarded; what stays is named in the turn's observation, to the
 * peer as its failure and to every other peer as not theirs.
 */
export async function discardLeftovers(
  t: { workspace: WorkspaceGit; repo: string; live: boolean; paths: StatePaths; tick: number; peer: string; log: (line: string) => void },
  obs: TickObservation,
): Promise<void> {
  const { peer, tick } = t;
  const saved = await saveLeftovers(t.workspace, leftoverPatchFile(t.paths, tick, peer));
  t.log(`peers: ${peer} left uncommitted changes; ${saved}`);
  // Each step is a git process a peer's filter can stall into its timeout: the lock a
  // killed one leaves must not fail the next step or the next peer's turn.
  const sweep = () => sweepGitLocks({ workDir: t.repo, allowGitFile: t.live }, `the leftovers of ${peer}'s turn (tick ${tick})`, t.log);
  sweep();
  const left = await t.workspace.discardUncommitted();
  sweep();
  if (!left.length) return;
  const shown = left.slice(0, 20).join(', ');
  obs.soft_fail_reason = `${obs.soft_fail_reason ?? 'uncommitted changes left'}; they could not all be discarded: ${shown}`;
  obs.warnings_for_others = [...(obs.warnings_for_others ?? []), `${peer} left uncommitted changes the loop could not discard (${shown}): they are ${peer}'s, not yours; do not commit them`];
}

/** Saves the workspace's leftovers as a patch at `file`; returns what the log says about it. */
export async function saveLeftovers(workspace: Pick<WorkspaceGit, 'uncommittedPatch'>, file: string): Promise<string> {
  const patch = await workspace.uncommittedPatch();
  if (patch === null) return `they could not be saved (git failed, or the patch is over ${MAX_LEFTOVER_PATCH_BYTES / 1024 / 1024} MiB) and are discarded`;
  if (patch === '') return 'nothing but mode or ignored changes; discarded';
  // The operator applies it with `git apply`: a patch that would land elsewhere than it says (in
  // `.peers/`) is not saved (SECURITY.md, "Done means done", leftover work).
  const problem = leftoverPatchProblem(patch);
  if (problem) return `they were not saved (the patch has ${problem}) and are discarded`;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileAtomic(file, patch);
  } catch (error) {
    return `they could not be saved (${(error as Error).message}) and are discarded`;
  }
  // Named from the state directory: the loop in the pod knows it as /state, which is not where the
  // operator finds it on the host (`peers status` names the directory).
  return `saved in the run's state directory as ${relative(dirname(dirname(file)), file)} (git apply --index takes it back) and discarded from the run`;
}
