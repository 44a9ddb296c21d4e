/**
 * What a loop does first, holding the run lock: stop the processes a dead loop of this state
 * directory left running, remove the git lock files their killed gits left and the scratch
 * directories dead peers processes left, and start recording its own children (docs/ARCHITECTURE.md,
 * "Processes a dead loop leaves"). Before any gate or turn: an orphaned peer must not commit while
 * another peer's turn is attested, and a stale `index.lock` would fail every turn after it.
 */
import { join } from 'node:path';
import { PeersError } from '../../cli/errors.ts';
import { resolveRepoLayout, type RepoLayout } from '../../git/repo-layout.ts';
import { describeLockSweep, removeStaleGitLocks } from '../../git/stale-locks.ts';
import { removeDeadOwnersScratch } from '../../proc/scratch-dir.ts';
import { scratchParents } from '../../proc/tmpfs-scratch.ts';
import { reapLeftChildren, trackLoopChildren } from '../../state/loop-children.ts';
import type { StatePaths } from '../../state/paths.ts';

/** The peers' repository: its work tree, and whether a `.git` file (a `git worktree`) is followed. */
export type PeersRepo = { workDir: string; allowGitFile: boolean };

/**
 * Git lock files in the peers' repository that no process holds (stale-locks.ts), removed with one
 * log line naming what left them. A repository whose layout cannot be read is left alone: the loop
 * reports that itself, with the file, when it first reads it.
 */
export function sweepGitLocks(repo: PeersRepo, after: string, log: (line: string) => void): void {
  let layout: RepoLayout;
  try {
    layout = resolveRepoLayout(repo.workDir, { allowGitFile: repo.allowGitFile });
  } catch {
    return;
  }
  sweepLayout(layout, repo.workDir, after, log);
}

/** One sweep and its log line; paths in the line are shown from `shownFrom`. */
function sweepLayout(layout: RepoLayout, shownFrom: string, after: string, log: (line: string) => void): void {
  const line = describeLockSweep(removeStaleGitLocks(layout), shownFrom, after);
  if (line) log(`peers: ${line}`);
}

/** Cleans up after dead runs; returns the function that stops recording this loop's children. */
export async function startCleanup(paths: StatePaths, repo: PeersRepo, log: (line: string) => void): Promise<() => void> {
  const reaped = await reapLeftChildren(paths.children);
  if (reaped?.survivors.length) {
    throw new PeersError(`processes an earlier loop (pid ${reaped.owner}) left running did not stop on SIGKILL: pid ${reaped.survivors.join(', ')}`, {
      hint: `check them with \`ps -o pid,stat,cmd -p ${reaped.survivors.join(',')}\`; start the loop again once they are gone`,
    });
  }
  if (reaped?.groups.length) {
    const programs = [...new Set(reaped.groups.map((g) => g.program.split('/').pop()))].join(', ');
    log(`peers: stopped ${reaped.groups.reduce((n, g) => n + g.pids.length, 0)} process(es) an earlier loop (pid ${reaped.owner}) left running: ${programs}`);
  }
  // Only now, with the dead loop's processes stopped: a git it left may have held them. The
  // loop's own bare repositories too: a git of its own killed mid-fetch leaves `refs/...lock`.
  sweepGitLocks(repo, 'an earlier run', log);
  for (const dir of [paths.mirror, paths.stage]) sweepLayout({ workDir: dir, gitDir: dir, commonDir: dir, objectsDir: join(dir, 'objects') }, paths.dir, 'an earlier run', log);
  // The gates' small scratch directories may be on a tmpfs instead of the temp dir (tmpfs-scratch.ts).
  const removed = scratchParents().flatMap((parent) => removeDeadOwnersScratch(parent));
  if (removed.length) log(`peers: removed ${removed.length} temporary director${removed.length === 1 ? 'y' : 'ies'} left by peers processes that are gone`);
  return trackLoopChildren(paths.children, (m) => log(`peers: warning: ${m}`));
}
