/**
 * A saved run as the loop would take it up again, read from its state directory: the saved state
 * with the spend of the auth sidecar's usage ledger (the authority for spend), and the settings of
 * the config snapshot the loop enforces under the budget policy and the operator's controls.
 * `peers up` decides from it (sandbox/up-situation.ts) and `peers status`, `ls` and `report` give
 * its verdict (saved-verdict.ts): one reading, so they cannot disagree on what the run is.
 */
import { join } from 'node:path';
import type { BudgetPolicy } from '../../budget/budget-policy-file.ts';
import { hostUsageLedgerPath } from '../../budget/ledger-path.ts';
import { readLedgerSpend, type LedgerSpend } from '../../budget/ledger-spend.ts';
import { InputError } from '../../cli/errors.ts';
import type { PeersConfig } from '../../config/config-schema.ts';
import { loadConfigFile } from '../../config/load.ts';
import type { OperatorControl } from '../../state/operator-control.ts';
import type { StatePaths } from '../../state/paths.ts';
import type { LoopState } from '../../state/state-schema.ts';
import { loadState } from '../../state/state-store.ts';
import { withLedgerSpend } from '../budget-ledger.ts';
import { settingsForRun, withOperatorControl, type LoopSettings } from '../settings.ts';

export type SavedRun = { state: LoopState | null; ledger: LedgerSpend | null; settings: LoopSettings };

/**
 * `control` is given the snapshot's config (a runtime change is applied to its max runtime). A
 * ledger that cannot be read is bad input naming its file: the run's spend is unknown, so nothing
 * may be decided from it.
 */
export function readSavedRun(paths: StatePaths, o: { policy: BudgetPolicy | undefined; control: (config: PeersConfig) => OperatorControl | null; noSkeptic?: boolean }): SavedRun {
  const saved = loadState(paths.state) ?? null;
  let ledger: LedgerSpend | null;
  try {
    ledger = readLedgerSpend(hostUsageLedgerPath(paths.dir));
  } catch (e) {
    throw new InputError(`usage ledger: ${(e as Error).message}`, { location: { file: hostUsageLedgerPath(paths.dir) }, hint: "the usage ledger is the run's record of spend: repair the line it names, or start over with `peers up --fresh`" });
  }
  const state = saved && ledger ? { ...saved, budget: withLedgerSpend(saved.budget, ledger) } : saved;
  const config = loadConfigFile(join(paths.snapshotDir, 'config.yaml'));
  const settings = withOperatorControl(settingsForRun(config, o.policy, { usdMode: o.policy?.max_usd_mode ?? 'hard', noSkeptic: o.noSkeptic }), o.control(config));
  return { state, ledger, settings };
}
