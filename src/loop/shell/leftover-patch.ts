/**
 * Before the loop discards what a turn left uncommitted (src/loop/leftover-work.ts), it keeps a
 * copy in the state directory, out of every peer's reach: a peer killed mid-edit, or one that
 * forgot to commit, loses the work from the run, not from the operator, who can take it back
 * with `git apply --index`.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../fs/atomic-write.ts';
import { leftoverPatchProblem, MAX_LEFTOVER_PATCH_BYTES, type WorkspaceGit } from '../../git/workspace-git.ts';

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
  return `saved as ${file} (git apply --index takes it back) and discarded from the run`;
}
