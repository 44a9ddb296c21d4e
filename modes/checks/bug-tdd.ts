/** `bug-tdd`: every fixed blocking bug has a test-touching reproduce commit before the fix, or a waiver another peer stands behind. */
import { listCommits } from '../../src/git/commits.ts';
import { gitOk, headSha } from '../../src/git/git.ts';
import { readAttestationView } from '../../src/protocol/attestation.ts';
import { buildLedger } from '../../src/protocol/bug-ledger.ts';
import { checkBugTdd, formatTddResult } from '../../src/protocol/bug-tdd.ts';
import { resolveRunBaseline } from '../../src/protocol/run-baseline.ts';
import { spawnEnv } from '../../src/proc/spawn-env.ts';
import type { Check } from './types.ts';

export const bugTdd: Check = {
  description: 'Every fixed crit/high/med bug has a Bug-Reproduce commit touching a test before its fix, or a Bug-Reproduce-Waive (40+ character reason) written or approved by a peer other than the fixer.',
  async run(repoDir) {
    if (!headSha(repoDir)) return { pass: true, report: 'tdd-gate: clean (0 reproduced, 0 waived, 0 fixed)' };
    const base = resolveRunBaseline(repoDir, spawnEnv());
    if ('error' in base && spawnEnv().PEERS_RUN_BASELINE) return { pass: false, report: `tdd-gate: ${base.error}` };
    const view = readAttestationView(repoDir, 'sha' in base ? base.sha : undefined);
    const commits = listCommits(repoDir, 'HEAD', { newestFirst: true });
    const filesOf = (sha: string) => gitOk(repoDir, ['show', '--name-only', '--format=', '--no-renames', sha]).split('\n').filter(Boolean);
    const result = checkBugTdd(buildLedger(commits, view), commits, filesOf, view);
    return { pass: result.missing.length === 0, report: formatTddResult(result) };
  },
};
