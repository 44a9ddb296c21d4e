/**
 * Ending a set of processes that may fork while they die: every one stopped first (SIGSTOP), so
 * none forks between the kills, then every one killed. Waiting for each to show as stopped would
 * hang on a parent in vfork whose child was stopped: SIGKILL ends both. Used by the sweeps of what
 * a gate or a turn left running (leftover-sweep.ts, marked-leftovers.ts).
 */

/** `process.kill` without the throw: whether the signal was sent (false: gone, or not ours). */
export function signalQuietly(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Stops all of `pids`, then kills them; the ones the kill reached. */
export function stopThenKill(pids: readonly number[]): number[] {
  for (const pid of pids) signalQuietly(pid, 'SIGSTOP');
  return pids.filter((pid) => signalQuietly(pid, 'SIGKILL'));
}
