/**
 * What a loop does first, holding the run lock: stop the processes a dead loop of this state
 * directory left running, remove the scratch directories dead peers processes left, and start
 * recording its own children (docs/ARCHITECTURE.md, "Processes a dead loop leaves"). Before any
 * gate or turn: an orphaned peer must not commit while another peer's turn is attested.
 */
import { PeersError } from '../cli/errors.ts';
import { removeDeadOwnersScratch } from '../proc/scratch-dir.ts';
import { reapLeftChildren, trackLoopChildren } from '../state/loop-children.ts';
import type { StatePaths } from '../state/paths.ts';

/** Cleans up after dead runs; returns the function that stops recording this loop's children. */
export async function startCleanup(paths: StatePaths, log: (line: string) => void): Promise<() => void> {
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
  const removed = removeDeadOwnersScratch();
  if (removed.length) log(`peers: removed ${removed.length} temporary director${removed.length === 1 ? 'y' : 'ies'} left by peers processes that are gone`);
  return trackLoopChildren(paths.children, (m) => log(`peers: warning: ${m}`));
}
