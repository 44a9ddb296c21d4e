/**
 * The request-body bytes the auth sidecar holds in memory at once, over every connection and
 * upstream (SECURITY.md, "Limits"). Each request body is read whole before it goes out (the budget
 * must read it), and a 32 MiB body takes about twice that while it is joined and parsed: ten held
 * back on ten connections took the sidecar to 362 MiB, past its container's 256 MiB limit, and a
 * sidecar killed there stops the run. A request takes its bytes before they are buffered and gives
 * them back when its body is no longer held; what does not fit is refused (503), never queued.
 */
export class BodyBytes {
  private held = 0;

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.held;
  }

  /**
   * Takes `n` bytes if they fit beside those held; false (nothing taken) if not, or if `n` is not a
   * whole count of bytes: NaN passed every comparison and made the count NaN, which switched the
   * bound off for good (repeated-length-body-budget.test.ts).
   */
  tryTake(n: number): boolean {
    if (!Number.isSafeInteger(n) || n < 0 || this.held + n > this.limit) return false;
    this.held += n;
    return true;
  }

  give(n: number): void {
    if (!Number.isSafeInteger(n)) return;
    this.held = Math.max(0, this.held - n);
  }
}

/**
 * 48 MiB: one body at the 32 MiB limit at a time beside the CLIs' ordinary requests (a few hundred
 * kilobytes to a few megabytes); the sidecar idles at about 40 MiB of its 256 (BENCHMARKS.md,
 * "Memory"), and a body joined and parsed takes about three times its size for a moment.
 */
export const DEFAULT_BUFFERED_BODY_BYTES = 48 * 1024 * 1024;
