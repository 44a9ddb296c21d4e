/**
 * Waiting on a condition instead of sleeping a fixed time: polls `cond` until it holds, and fails
 * with what was awaited (and for how long) when the deadline passes. A fixed sleep is either too
 * short on a loaded CI machine (a flaky test) or too long everywhere else (a slow one).
 */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}

