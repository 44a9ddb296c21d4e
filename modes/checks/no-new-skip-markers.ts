/**
 * `no-new-skip-markers`: since the run's baseline (PEERS_RUN_BASELINE inside a run; the
 * `peers-baseline` tag or the root commit outside one), no test was skipped, focused, commented out,
 * deleted or moved out of the runner's reach without a reason that a peer OTHER than its author
 * stands behind (src/protocol/escape-valves.ts): a skip reason on the marker line once another peer
 * approved that commit, a `JUSTIFIED-TEST-REMOVAL: <path> <reason>` line written or approved by
 * another peer. `.only` never passes.
 */
import { headSha } from '../../src/git/git.ts';
import { resolveRunBaseline } from '../../src/protocol/run-baseline.ts';
import { spawnEnv } from '../../src/proc/spawn-env.ts';
import { formatMarkerFinding } from '../../src/protocol/test-markers.ts';
import { unexcusedMarkers } from '../../src/protocol/unexcused-markers.ts';
import type { Check } from './types.ts';

export const noNewSkipMarkers: Check = {
  description: 'Since the run began, no test was skipped, focused (.only), commented out, deleted or moved away without a reason another peer stands behind.',
  async run(repoDir) {
    if (!headSha(repoDir)) return { pass: true, report: 'skip-markers: no commits yet' };
    const base = resolveRunBaseline(repoDir, spawnEnv());
    if ('error' in base) return { pass: false, report: `skip-markers: ${base.error}` };
    // Fail closed: a range git cannot diff is not a clean one.
    const found = unexcusedMarkers(repoDir, base.sha);
    if (!found.ok) return { pass: false, report: `skip-markers: ${found.error}` };
    if (found.net === 0) return { pass: true, report: `skip-markers: clean (no marker since ${base.sha.slice(0, 8)})` };
    const bad = found.bad;
    if (bad.length === 0) return { pass: true, report: `skip-markers: clean (${found.net} marker(s) since ${base.sha.slice(0, 8)}, each excused by another peer)` };
    return {
      pass: false,
      report: [`skip-markers: ${bad.length} unexcused since ${base.sha.slice(0, 8)} (${base.source === 'run' ? "the run's baseline" : base.source === 'tag' ? 'tag peers-baseline' : 'root commit'})`, ...bad.map((v) => `  ${formatMarkerFinding(v.finding)} — ${v.why}`)].join('\n'),
    };
  },
};
