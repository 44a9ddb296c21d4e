/** `bug-hunt-clean`: passes when no crit, high or med bug is open in the ledger (deferrals count only when another peer stands behind them). */
import { formatBugLine, formatLedgerHeader, openBlockingBugs, readLedger, summarizeLedger } from '../../src/protocol/bug-ledger.ts';
import { resolveRunBaseline } from '../../src/protocol/run-baseline.ts';
import { spawnEnv } from '../../src/proc/spawn-env.ts';
import type { Check } from './types.ts';

export const bugHuntClean: Check = {
  description: 'No crit, high or med bug is open in the bug ledger (git history).',
  async run(repoDir) {
    const base = resolveRunBaseline(repoDir, spawnEnv());
    if ('error' in base && spawnEnv().PEERS_RUN_BASELINE) return { pass: false, report: `bug-hunt: ${base.error}` };
    const ledger = readLedger(repoDir, 'sha' in base ? base.sha : undefined);
    const summary = summarizeLedger(ledger);
    const lines = [formatLedgerHeader(summary), ...openBlockingBugs(ledger).map(formatBugLine), ...ledger.warnings.map((w) => `  warning: ${w}`)];
    return { pass: summary.openBlocking === 0, report: lines.join('\n') };
  },
};
