/**
 * `no-new-skip-markers`: since the run's baseline (tag `peers-baseline`, else the root commit), no
 * test was skipped, focused, commented out or deleted without a stated reason. A skip/xfail
 * passes when its line carries a reason of at least 20 characters (`reason="…"`, `t.Skip("…")`,
 * `#[ignore = "…"]`, or a `skip-reason: …` comment); `.only` never passes (it silently disables
 * every other test); a disabled or deleted test passes when a commit in the range has a line
 * `JUSTIFIED-TEST-REMOVAL: <path> <reason>` naming its file.
 */
import { listCommits } from '../../src/git/commits.ts';
import { git, headSha } from '../../src/git/git.ts';
import { formatMarkerFinding, scanRangeForTestMarkers, type MarkerFinding } from '../../src/protocol/test-markers.ts';
import type { Check } from './types.ts';

export const REASON_MIN = 20;
const REASON_PATTERNS = [/reason\s*=\s*(['"])(.*?)\1/, /\bt\.Skipf?\s*\(\s*(["`])(.*?)\1/, /#\[ignore\s*=\s*(")(.*?)\1\]/, /(#|\/\/)\s*skip-reason:\s*()(.*)$/];

export function skipReason(line: string): string | undefined {
  for (const re of REASON_PATTERNS) {
    const m = re.exec(line);
    const reason = (m?.[3] ?? m?.[2] ?? '').trim();
    if (reason.length >= REASON_MIN) return reason;
  }
  return undefined;
}

function baseOf(repo: string): string | undefined {
  const tag = git(repo, ['rev-parse', '--verify', '--quiet', 'peers-baseline^{commit}']);
  if (tag.code === 0) return tag.stdout.trim();
  const roots = git(repo, ['rev-list', '--max-parents=0', 'HEAD']);
  return roots.code === 0 ? roots.stdout.trim().split('\n').pop() : undefined;
}

export function unjustifiedFindings(findings: MarkerFinding[], removalJustifications: string[]): MarkerFinding[] {
  return findings.filter((f) => {
    if (f.kind === 'only') return true;
    if (f.kind === 'skip' || f.kind === 'xfail') return skipReason(f.text) === undefined;
    return !removalJustifications.some((j) => j.includes(f.file));
  });
}

export const noNewSkipMarkers: Check = {
  description: 'Since peers-baseline, no test was skipped, focused (.only), commented out or deleted without a stated reason.',
  async run(repoDir) {
    if (!headSha(repoDir)) return { pass: true, report: 'skip-markers: no commits yet' };
    const base = baseOf(repoDir);
    if (!base) return { pass: false, report: 'skip-markers: cannot find peers-baseline or a root commit' };
    const findings = scanRangeForTestMarkers(repoDir, base);
    const removals = listCommits(repoDir, `${base}..HEAD`).flatMap((c) => c.message.split('\n').filter((l) => /^JUSTIFIED-TEST-REMOVAL:\s*\S+\s+.{20,}/.test(l.trim())));
    const bad = unjustifiedFindings(findings, removals);
    if (bad.length === 0) return { pass: true, report: `skip-markers: clean (${findings.length} marker(s) since ${base.slice(0, 8)}, all justified)` };
    return {
      pass: false,
      report: [`skip-markers: ${bad.length} unjustified since ${base.slice(0, 8)}`, ...bad.map((f) => `  ${formatMarkerFinding(f)}`), `give a reason of ${REASON_MIN}+ characters on the marker line, or a commit line "JUSTIFIED-TEST-REMOVAL: <path> <reason>"; .only must go`].join('\n'),
    };
  },
};
