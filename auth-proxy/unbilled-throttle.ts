/**
 * How many billable requests that end up billing nothing the sidecar lets through (SECURITY.md,
 * "The ledger is the authority for spend"). Each such request — answered with a vendor error, a
 * rate limit, or never sent — still writes a `reserved` and a `released` line, and costs the peer
 * nothing: 64 at a time, a turn of them wrote 300 000 lines (48 MB), which a starting sidecar took
 * 18 s and 181 MiB of its 256 to read, and past the readers' 256 MiB cap the run is held. A token
 * bucket shared by every upstream: each released reservation takes one token, a burst of them is
 * allowed, they come back at a steady rate, and while none is left a billable request is answered
 * 429 by the sidecar (no vendor, no ledger line). Billed replies take nothing.
 */
export class UnbilledThrottle {
  private level: number;
  private last: number;

  constructor(readonly burst: number, readonly perSecond: number, private readonly now: () => number = () => performance.now()) {
    this.level = burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.level = Math.min(this.burst, this.level + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
  }

  /** Whether a billable request may go out now. */
  get open(): boolean {
    this.refill();
    return this.level >= 1;
  }

  /** Whole seconds until one more may go out (the `retry-after` of a throttled request). */
  retryAfterSeconds(): number {
    this.refill();
    return Math.max(1, Math.ceil((1 - this.level) / this.perSecond));
  }

  /** A reservation was given back unbilled. */
  take(): void {
    this.refill();
    this.level = Math.max(0, this.level - 1);
  }
}

/** 120 at once, then one a second: far more than a CLI's retries of a vendor error or overload. */
export const DEFAULT_UNBILLED_BURST = 120;
export const DEFAULT_UNBILLED_PER_SECOND = 1;
