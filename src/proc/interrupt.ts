/**
 * Ctrl-C (or `kill`) during a command that supervises children. Supervised children lead their own
 * process group (supervise.ts), so the terminal's SIGINT never reaches them: without this, a gate
 * suite would keep running after `peers verify` died, and its temporary checkout would stay
 * registered in the user's repository (`git worktree list`). The first signal aborts the work, so
 * children are stopped (SIGTERM, grace, SIGKILL) and cleanup runs. The signals are the command's
 * (src/cli/command-io.ts); after the first, the listeners go, so a second one has its default
 * effect on the real process: it ends at once (the user insists).
 */
import type { SignalSource } from '../cli/command-io.ts';
import { PeersError } from '../cli/errors.ts';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type StopSignal = (typeof SIGNALS)[number];
const SIGNAL_NUMBER: Record<StopSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** Exit status of a command stopped by a signal, the shell convention 128 + N (130 for Ctrl-C). */
export class InterruptedError extends PeersError {
  constructor(readonly signalName: StopSignal) {
    super(`interrupted by ${signalName}; running commands were stopped and the temporary checkout removed`, { exitCode: 128 + SIGNAL_NUMBER[signalName] });
    this.name = 'InterruptedError';
  }
}

/** Runs `fn` with a signal that aborts on SIGINT/SIGTERM/SIGHUP from `source`; throws InterruptedError if it did. */
export async function withInterrupts<T>(source: SignalSource, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let received: StopSignal | undefined;
  let removed = false;
  const removeAll = () => {
    if (removed) return;
    removed = true;
    for (const remove of handlers) remove();
  };
  const handlers = SIGNALS.map((name) => {
    const handler = () => {
      received ??= name;
      removeAll();
      controller.abort();
    };
    source.on(name, handler);
    return () => source.off(name, handler);
  });
  try {
    const value = await fn(controller.signal);
    if (received) throw new InterruptedError(received);
    return value;
  } catch (error) {
    if (received) throw new InterruptedError(received);
    throw error;
  } finally {
    removeAll();
  }
}
