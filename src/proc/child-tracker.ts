/**
 * The process-wide list of supervised children, for a supervisor that must be able to find them
 * again after it died (the loop: src/state/loop-children.ts). supervise.ts reports every child it
 * starts and every child it is done with; whoever installed a tracker records them. Without a
 * tracker (most commands) nothing is recorded: the parent-death guard alone covers them.
 */
export type ChildTracker = {
  started(pid: number, program: string): void;
  ended(pid: number): void;
};

let current: ChildTracker | undefined;

/** Installs `tracker` until the returned function is called. One at a time: a second is a bug. */
export function installChildTracker(tracker: ChildTracker): () => void {
  if (current) throw new Error('a child tracker is already installed in this process');
  current = tracker;
  return () => {
    if (current === tracker) current = undefined;
  };
}

export function noteChildStarted(pid: number, program: string): void {
  current?.started(pid, program);
}

export function noteChildEnded(pid: number): void {
  current?.ended(pid);
}
