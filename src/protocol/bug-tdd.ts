/**
 * The TDD gate (`peers check bug-tdd`): every blocking bug that
 * was FIXED needs a reproduce commit that touches a test and lands strictly before the fix, or a
 * written waiver (≥40 characters of reason) newer than the fix when no reproduce exists at all. A
 * waiver is an escape valve: it counts only when written or approved by a peer other than the one
 * whose fix it excuses (approvals.ts).
 * Pure over the ledger, the commits, a `filesOf(sha)` lookup and the attestation view, so tests
 * need no git for the rules.
 */
import type { Commit } from '../git/commits.ts';
import { attestedByAnother, type AttestationView } from './approvals.ts';
import { BLOCKING_SEVERITIES, type Ledger } from './bug-ledger.ts';
import { firstJsonBlock } from './json-blocks.ts';
import { isTestPath } from './test-paths.ts';

export const WAIVER_MIN_REASON = 40;

export type TddFinding = { id: string; reason: string };
export type TddResult = { missing: TddFinding[]; reproduced: string[]; waived: string[]; fixed: number };

type Waiver = { position: number; sha: string };

/** Well-formed waivers per bug id, newest first (commits given newest first). */
function collectWaivers(commitsNewestFirst: Commit[]): Map<string, Waiver[]> {
  const out = new Map<string, Waiver[]>();
  const n = commitsNewestFirst.length;
  commitsNewestFirst.forEach((c, i) => {
    if (c.trailers.all('Bug-Reproduce-Waive').length === 0 || c.trailers.all('Peer').length === 0) return;
    const block = firstJsonBlock(c.message);
    if (!block) return;
    const reason = [block.reason, block.note].find((v) => typeof v === 'string') as string | undefined;
    if (!reason || reason.trim().length < WAIVER_MIN_REASON) return;
    const named = [block.id, block.ids, block.waives].flatMap((v) => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []));
    for (const id of named) out.set(id, [...(out.get(id) ?? []), { position: n - 1 - i, sha: c.sha }]);
  });
  return out;
}

export function checkBugTdd(ledger: Ledger, commitsNewestFirst: Commit[], filesOf: (sha: string) => string[], view: AttestationView): TddResult {
  const waivers = collectWaivers(commitsNewestFirst);
  const result: TddResult = { missing: [], reproduced: [], waived: [], fixed: 0 };
  for (const bug of ledger.reports) {
    if (!BLOCKING_SEVERITIES.has(bug.severity) || bug.status !== 'fixed' || !bug.resolution) continue;
    result.fixed++;
    const repros = ledger.reproduces.get(bug.id) ?? [];
    const evidenced = repros.filter((r) => filesOf(r.sha).some(isTestPath));
    if (evidenced.length === 0) {
      const fixer = view.peerOf(bug.resolution.sha) ?? '';
      const newer = (waivers.get(bug.id) ?? []).filter((w) => w.position > bug.resolution!.position);
      const attested = newer.find((w) => fixer !== '' && attestedByAnother(view, w.sha, fixer).counts);
      if (repros.length === 0 && attested) {
        result.waived.push(bug.id);
        continue;
      }
      const selfWaived = repros.length === 0 && newer.length > 0;
      result.missing.push({
        id: bug.id,
        reason:
          repros.length > 0
            ? `its ${repros.length} reproduce commit(s) carry no test-path evidence`
            : selfWaived
              ? `its Bug-Reproduce-Waive (${newer[0]!.sha.slice(0, 8)}) is vouched for only by ${fixer || 'an unattested commit'}, who fixed the bug; another peer must write or approve it`
              : 'no Bug-Reproduce commit found (and no valid Bug-Reproduce-Waive newer than the fix)',
      });
      continue;
    }
    const oldest = Math.min(...evidenced.map((r) => r.position));
    if (oldest < bug.resolution.position) result.reproduced.push(bug.id);
    else result.missing.push({ id: bug.id, reason: `TDD-order broken: the reproduce test lands with or after the fix ${bug.resolution.sha.slice(0, 8)}` });
  }
  return result;
}

export function formatTddResult(r: TddResult): string {
  if (r.missing.length > 0) return [`tdd-gate: ${r.missing.length} fix(es) without preceding reproduce`, ...r.missing.map((m) => `  ${m.id}: ${m.reason}`)].join('\n');
  return `tdd-gate: clean (${r.reproduced.length} reproduced, ${r.waived.length} waived, ${r.fixed} fixed)${r.waived.length ? `; waived historical fix(es): ${r.waived.join(', ')}` : ''}`;
}
