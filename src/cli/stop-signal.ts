/**
 * How a command waits for Ctrl-C or `podman stop`: the first SIGINT or SIGTERM ends the wait (a
 * server, a sidecar, a reader container) or aborts the work in progress (the loop, the demo, a log
 * follower). Listeners are removed when the wait or the work ends, so a finished command leaves no
 * handler behind that would swallow a later signal.
 */
import { STOP_SIGNALS, type SignalSource, type StopSignal } from './command-io.ts';

/** Resolves with the first stop signal. From then on a further signal has its default effect (the process ends). */
export function untilStopSignal(source: SignalSource): Promise<StopSignal> {
  return new Promise((resolve) => {
    const handlers = STOP_SIGNALS.map((name) => {
      const handler = () => {
        for (const [n, h] of handlers) source.off(n, h);
        resolve(name);
      };
      source.on(name, handler);
      return [name, handler] as const;
    });
  });
}

/**
 * Runs `work` with a signal that aborts on the first SIGINT or SIGTERM. Further signals are taken
 * (and ignored) until `work` ends, so the work's own cleanup is not cut short; then the listeners go.
 */
export async function abortOnStopSignal<T>(source: SignalSource, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  for (const name of STOP_SIGNALS) source.on(name, onSignal);
  // A signal that came while the program was still loading (holdEarlyStop) is this work's stop too.
  if (takeEarlyStop()) stop.abort();
  try {
    return await work(stop.signal);
  } finally {
    for (const name of STOP_SIGNALS) source.off(name, onSignal);
  }
}

/** The stop a command that records its own stop was sent while it was still loading (holdEarlyStop). */
let early: { got: StopSignal | null; release(): void } | undefined;

/**
 * For the loop, which records every stop it is asked for: from the first moment of the program
 * (main.ts), before the command and its own listeners are loaded, the first SIGINT or SIGTERM is
 * kept for abortOnStopSignal instead of ending the process unrecorded. `peers down` signals a loop
 * as soon as it answers on its lifeline, which it does before the command is loaded: a loop stopped
 * then used to die without a stop reason, and the report named the run's previous stop. A second
 * signal in that time has its default effect (the process ends), as it does for untilStopSignal.
 */
export function holdEarlyStop(source: SignalSource): void {
  if (early) return;
  const held: { got: StopSignal | null; release(): void } = { got: null, release: () => {} };
  const handlers = STOP_SIGNALS.map((name) => {
    const handler = () => {
      held.got ??= name;
      held.release();
    };
    source.on(name, handler);
    return [name, handler] as const;
  });
  held.release = () => {
    for (const [n, h] of handlers) source.off(n, h);
  };
  early = held;
}

/** The signal held since the program started, if any; the hold ends either way. */
function takeEarlyStop(): StopSignal | null {
  const held = early;
  early = undefined;
  held?.release();
  return held?.got ?? null;
}
