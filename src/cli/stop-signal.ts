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
  try {
    return await work(stop.signal);
  } finally {
    for (const name of STOP_SIGNALS) source.off(name, onSignal);
  }
}
