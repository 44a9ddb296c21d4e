/**
 * The process-wide list of supervised children, for a supervisor that must be able to find them
 * again after it died (the loop: src/state/loop-children.ts). supervise.ts reports every child it
 * starts and every child it is done with; whoever installed a tracker records them. Without a
 * tracker (most commands) nothing is recorded: the parent-death guard alone covers them.
 */
export type ChildTracker = {
  started(pid: number, program: string): void;
  ended(pid: number): void;
  /**
   * Variables every child gets in its environment, before it runs: a mark that finds the child
   * (and whatever it starts) again even if the supervisor dies before `started` is recorded.
   */
  readonly env?: Readonly<Record<string, string>>;
};

const trackers = new Set<ChildTracker>();

/** Installs `tracker` until the returned function is called. */
export function installChildTracker(tracker: ChildTracker): () => void {
  trackers.add(tracker);
  return () => void trackers.delete(tracker);
}

export function noteChildStarted(pid: number, program: string): void {
  for (const t of trackers) t.started(pid, program);
}

export function noteChildEnded(pid: number): void {
  for (const t of trackers) t.ended(pid);
}

/** The environment marks of every installed tracker, merged. */
export function trackedChildEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const t of trackers) Object.assign(env, t.env ?? {});
  return env;
}
