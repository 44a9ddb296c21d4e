/**
 * How budget refusals reach the ledger (SECURITY.md, "The ledger is the authority for spend"). A
 * refusal line cost the peer nothing, so a flood of refused requests grew the ledger without bound
 * until its readers' 256 MiB cap held the run. The first refusal on an upstream under a cap (its
 * kind and its value: a raised cap is a new one) is written at once, since the run stops on it; the
 * refusals after it there within the window are counted and written as one line, with the latest
 * figures and `requests` (how many refusals it stands for), when the window closes. A steady flood
 * therefore adds one line per window per upstream and cap (the upstreams are the sidecar's fixed
 * few, not the peer's to choose). The counts of a window still open when the
 * sidecar is killed are lost; refused requests cost nothing, so the spend stays exact.
 */
import type { RefusalLine } from './ledger-lines.ts';

export const DEFAULT_REFUSAL_WINDOW_MS = 10_000;

type Window = { pending: RefusalLine | null; requests: number };

export class RefusalLines {
  private readonly open = new Map<string, Window>();

  constructor(private readonly write: (line: RefusalLine) => void, private readonly windowMs: number) {}

  /** Records one refusal; throws only when the line that must be written now cannot be (the caller fails closed). */
  record(line: RefusalLine): void {
    const key = `${line.upstream}\0${line.cap}\0${line.limit}`;
    const w = this.open.get(key);
    if (w) {
      w.pending = line;
      w.requests++;
      return;
    }
    this.write(line);
    this.openWindow(key);
  }

  private openWindow(key: string): void {
    this.open.set(key, { pending: null, requests: 0 });
    setTimeout(() => this.close(key), this.windowMs).unref();
  }

  private close(key: string): void {
    const w = this.open.get(key);
    this.open.delete(key);
    if (!w?.pending) return;
    try {
      this.write({ ...w.pending, requests: w.requests });
    } catch {
      // The ledger is broken now (usage-ledger.ts): no billable request goes out until a restart.
      return;
    }
    // Still flooding: the next window counts on, one line per window.
    this.openWindow(key);
  }
}
