/** Resolves at the first SIGINT or SIGTERM: a sidecar serves until its container is stopped. */
export function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
