/** `bug-hunt-clean`: passes when no crit, high or med bug is open in the ledger. */
import { formatBugLine, formatLedgerHeader, openBlockingBugs, readLedger, summarizeLedger } from '../../src/protocol/bug-ledger.ts';
import type { Check } from './types.ts';

export const bugHuntClean: Check = {
  description: 'No crit, high or med bug is open in the bug ledger (git history).',
  async run(repoDir) {
    const ledger = readLedger(repoDir);
    const summary = summarizeLedger(ledger);
    const lines = [formatLedgerHeader(summary), ...openBlockingBugs(ledger).map(formatBugLine), ...ledger.warnings.map((w) => `  warning: ${w}`)];
    return { pass: summary.openBlocking === 0, report: lines.join('\n') };
  },
};
