/** `bug-tdd`: every fixed blocking bug has a test-touching reproduce commit before the fix, or a waiver. */
import { listCommits } from '../../src/git/commits.ts';
import { gitOk, headSha } from '../../src/git/git.ts';
import { buildLedger } from '../../src/protocol/bug-ledger.ts';
import { checkBugTdd, formatTddResult } from '../../src/protocol/bug-tdd.ts';
import type { Check } from './types.ts';

export const bugTdd: Check = {
  description: 'Every fixed crit/high/med bug has a Bug-Reproduce commit touching a test before its fix, or a Bug-Reproduce-Waive with a 40+ character reason.',
  async run(repoDir) {
    if (!headSha(repoDir)) return { pass: true, report: 'tdd-gate: clean (0 reproduced, 0 waived, 0 fixed)' };
    const commits = listCommits(repoDir, 'HEAD', { newestFirst: true });
    const filesOf = (sha: string) => gitOk(repoDir, ['show', '--name-only', '--format=', '--no-renames', sha]).split('\n').filter(Boolean);
    const result = checkBugTdd(buildLedger(commits), commits, filesOf);
    return { pass: result.missing.length === 0, report: formatTddResult(result) };
  },
};
