/**
 * The loop's gate cache around any gate probe (host checkout or the pod's gates container):
 * cacheable goals that passed on this HEAD with this definition are answered from the cache, the
 * rest go to the probe, and new passes are recorded. The cache is read and written here only, by
 * the loop, with entries authenticated under its key (gate-cache.ts): whatever runs the gates
 * never sees the cache and cannot forge an entry in it.
 */
import { lookupPass, readGateCache, recordPasses } from '../../gates/gate-cache.ts';
import type { GateProbe } from './gate-probe.ts';
import type { GateInput } from '../tick.ts';

export function withGateCache(probe: GateProbe, cache: { path: string; key: Buffer }): GateProbe {
  return async (o) => {
    const known = readGateCache(cache.path, cache.key);
    const hits = new Map<string, GateInput>();
    for (const g of o.goals) {
      const e = g.cacheable ? lookupPass(known, o.head, g) : undefined;
      if (e) hits.set(g.id, { id: g.id, state: 'pass', durationMs: 0, cached: true, diagnostic: `cached pass of ${o.head.slice(0, 10)} (took ${e.durationMs} ms)`, ...(e.testsRun ? { testsRun: e.testsRun } : {}) });
    }
    const rest = o.goals.filter((g) => !hits.has(g.id));
    const ran = rest.length ? await probe({ ...o, goals: rest }) : [];
    if (o.signal?.aborted) return ran;
    const byId = new Map(ran.map((r) => [r.id, r]));
    const results = o.goals.map(
      (g): GateInput => hits.get(g.id) ?? byId.get(g.id) ?? { id: g.id, state: 'fail', durationMs: 0, cached: false, diagnostic: 'not run: the gate probe returned no result for it' },
    );
    recordPasses(
      cache.path,
      cache.key,
      o.goals.flatMap((g, i) => (g.cacheable && results[i]!.state === 'pass' && !results[i]!.cached ? [{ head: o.head, goal: g, durationMs: results[i]!.durationMs, ...(results[i]!.testsRun ? { testsRun: results[i]!.testsRun } : {}) }] : [])),
    );
    return results;
  };
}
