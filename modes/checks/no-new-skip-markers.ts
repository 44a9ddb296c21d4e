/**
 * `no-new-skip-markers`: since the run's baseline (PEERS_RUN_BASELINE inside a run; the
 * `peers-baseline` tag or the root commit outside one), no test was skipped, focused, commented out,
 * deleted or moved out of the runner's reach without a reason that a peer OTHER than its author
 * stands behind (src/protocol/escape-valves.ts): a skip reason on the marker line once another peer
 * approved that commit, a `JUSTIFIED-TEST-REMOVAL: <path> <reason>` line written or approved by
 * another peer. `.only` never passes.
 */
import { listCommits } from '../../src/git/commits.ts';
import { git, headSha } from '../../src/git/git.ts';
import { readAttestationView } from '../../src/protocol/attestation.ts';
import { attributeFindings, judgeMarkerFindings, removalJustifications } from '../../src/protocol/escape-valves.ts';
import { resolveRunBaseline } from '../../src/protocol/run-baseline.ts';
import { spawnEnv } from '../../src/proc/spawn-env.ts';
import { formatMarkerFinding, type MarkerFinding, scanRangeForTestMarkers } from '../../src/protocol/test-markers.ts';
import type { Check } from './types.ts';

export const noNewSkipMarkers: Check = {
  description: 'Since the run began, no test was skipped, focused (.only), commented out, deleted or moved away without a reason another peer stands behind.',
  async run(repoDir) {
    if (!headSha(repoDir)) return { pass: true, report: 'skip-markers: no commits yet' };
    const base = resolveRunBaseline(repoDir, spawnEnv());
    if ('error' in base) return { pass: false, report: `skip-markers: ${base.error}` };
    const net = scanRangeForTestMarkers(repoDir, base.sha);
    // Fail closed: a range git cannot diff is not a clean one.
    if (!net) return { pass: false, report: `skip-markers: git cannot diff ${base.sha.slice(0, 8)}..HEAD, so no marker can be ruled out` };
    if (net.length === 0) return { pass: true, report: `skip-markers: clean (no marker since ${base.sha.slice(0, 8)})` };
    const commits = listCommits(repoDir, `${base.sha}..HEAD`);
    const perCommit: { sha: string; findings: MarkerFinding[] }[] = [];
    for (const c of commits) {
      const findings = scanRangeForTestMarkers(repoDir, parentOf(repoDir, c.sha), c.sha);
      if (!findings) return { pass: false, report: `skip-markers: git cannot diff commit ${c.sha.slice(0, 8)}, so its markers cannot be judged` };
      perCommit.push({ sha: c.sha, findings });
    }
    const verdicts = judgeMarkerFindings(attributeFindings(net, perCommit), removalJustifications(commits), readAttestationView(repoDir, base.sha));
    const bad = verdicts.filter((v) => !v.excused);
    if (bad.length === 0) return { pass: true, report: `skip-markers: clean (${net.length} marker(s) since ${base.sha.slice(0, 8)}, each excused by another peer)` };
    return {
      pass: false,
      report: [`skip-markers: ${bad.length} unexcused since ${base.sha.slice(0, 8)} (${base.source === 'run' ? "the run's baseline" : base.source === 'tag' ? 'tag peers-baseline' : 'root commit'})`, ...bad.map((v) => `  ${formatMarkerFinding(v.finding)} — ${v.why}`)].join('\n'),
    };
  },
};

/** First parent (a merge is judged against the line it was merged into); the empty tree for a root. */
function parentOf(repo: string, sha: string): string {
  const res = git(repo, ['rev-parse', '--verify', '--quiet', `${sha}^1`]);
  return res.code === 0 ? res.stdout.trim() : '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
}
