/**
 * The verdict on a saved run that is not running (src/loop/run-verdict.ts), read from its state
 * directory as `peers up` would read it with no flag: the saved state (spend from the auth
 * sidecar's ledger), the config snapshot the loop enforces, the budget policy of the last `up`
 * and the operator's controls. `peers status`, `peers ls` and `peers report` show this verdict, so
 * what they say a run is matches what `peers up` then does with it (docs/ARCHITECTURE.md).
 */
import { join } from 'node:path';
import { readPolicyIfPresent } from '../../budget/budget-policy-file.ts';
import { hostUsageLedgerPath } from '../../budget/ledger-path.ts';
import { readLedgerSpend } from '../../budget/ledger-spend.ts';
import { snapshotDigest } from '../../config/control-snapshot.ts';
import { loadConfigFile } from '../../config/load.ts';
import { readControl } from '../../state/operator-control.ts';
import { statePaths } from '../../state/paths.ts';
import { loadState } from '../../state/state-store.ts';
import { parseStopReason, type StopReason } from '../../state/stop-reason.ts';
import { withLedgerSpend } from '../budget-ledger.ts';
import { runVerdict } from '../run-verdict.ts';
import { settingsForRun, withOperatorControl } from '../settings.ts';

/**
 * `recorded`: the stop reason the loop last wrote for the current run (null: none). The stop the
 * run is over for, null when `peers up` would resume it, undefined when a file it needs cannot be
 * read (then `peers up` says what is wrong, and the callers show the recorded reason alone).
 */
export function savedRunVerdict(stateDir: string, recorded: string | null): StopReason | null | undefined {
  const paths = statePaths(stateDir);
  try {
    const saved = loadState(paths.state);
    if (!saved) return undefined;
    const ledger = readLedgerSpend(hostUsageLedgerPath(stateDir));
    const state = ledger ? { ...saved, budget: withLedgerSpend(saved.budget, ledger) } : saved;
    const config = loadConfigFile(join(paths.snapshotDir, 'config.yaml'));
    const policy = readPolicyIfPresent(stateDir);
    const control = readControl(paths.control);
    if (!control.ok) return undefined;
    const settings = withOperatorControl(settingsForRun(config, policy, { usdMode: policy?.max_usd_mode ?? 'hard' }), control.control);
    return runVerdict({
      stop: recorded ? parseStopReason(recorded) : null,
      state,
      settings,
      configChanged: saved.config_digest !== null && saved.config_digest !== snapshotDigest(paths.snapshotDir),
      resetPeers: [],
      budgetRefusals: ledger?.refusals,
    }).finished;
  } catch {
    return undefined;
  }
}
