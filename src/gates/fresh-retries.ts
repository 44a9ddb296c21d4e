/**
 * A failing gate's retries (`retry_on_fail`), each on a fresh checkout of the same commit with the
 * project's `setup` run again: a retry in the checkout its failed attempt left would read whatever
 * that attempt wrote there, and the attempt runs the peers' code — a source file that rewrites the
 * test files on disk during the first run makes the second run collect the rewritten tests
 * (SECURITY.md, "Code that fakes, ends or rewrites its own test run is held"). `once` runs the
 * given goals once each, with no retry of its own, on a checkout of its own; it is called for every
 * goal, then again for the goals still failing that allow another attempt. The first pass wins;
 * the time of every attempt is counted. Used by the loop's probe (src/loop/shell/fresh-retry-probe.ts)
 * and by `peers verify` (verify-run.ts).
 */
import type { HardGoal } from '../config/goals-schema.ts';

type Attempt = { id: string; state: 'pass' | 'fail'; durationMs: number; diagnostic: string };

export async function retryOnFreshCheckouts<R extends Attempt>(goals: HardGoal[], once: (goals: HardGoal[]) => Promise<R[]>, signal?: AbortSignal): Promise<R[]> {
  const latest = new Map<string, R>();
  const attempts = new Map<string, number>();
  const spent = new Map<string, number>();
  let due = goals;
  while (due.length > 0) {
    const ran = await once(due.map((g) => ({ ...g, retry_on_fail: 0 })));
    for (const r of ran) {
      attempts.set(r.id, (attempts.get(r.id) ?? 0) + 1);
      spent.set(r.id, (spent.get(r.id) ?? 0) + r.durationMs);
      latest.set(r.id, r);
    }
    // A stop request ends the attempts: what ran so far is all there is.
    if (signal?.aborted) break;
    due = due.filter((g) => latest.get(g.id)?.state === 'fail' && (attempts.get(g.id) ?? 0) <= (g.retry_on_fail ?? 0));
  }
  return goals.flatMap((g) => {
    const r = latest.get(g.id);
    if (!r) return [];
    const made = attempts.get(g.id) ?? 1;
    const diagnostic = r.state === 'fail' && made > 1 ? `${r.diagnostic} (failed ${made} attempts, each on a fresh checkout)` : r.diagnostic;
    return [{ ...r, durationMs: spent.get(g.id) ?? r.durationMs, diagnostic }];
  });
}
