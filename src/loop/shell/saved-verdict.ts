/**
 * The verdict on a saved run that is not running (src/loop/run-verdict.ts), read from its state
 * directory as `peers up` would read it with no flag: the saved state (spend from the auth
 * sidecar's ledger), the config snapshot the loop enforces, the budget policy of the last `up`
 * and the operator's controls. `peers status`, `peers ls` and `peers report` show this verdict, so
 * what they say a run is matches what `peers up` then does with it (docs/ARCHITECTURE.md).
 */
import { readPolicyIfPresent } from '../../budget/budget-policy-file.ts';
import { snapshotDigest } from '../../config/control-snapshot.ts';
import { readControl } from '../../state/operator-control.ts';
import { statePaths } from '../../state/paths.ts';
import { parseStopReason, type StopReason } from '../../state/stop-reason.ts';
import { runVerdict } from '../run-verdict.ts';
import { readSavedRun } from './saved-run.ts';

/**
 * `recorded`: the stop reason the loop last wrote for the current run (null: none). The stop the
 * run is over for, null when `peers up` would resume it, undefined when a file it needs cannot be
 * read (then `peers up` says what is wrong, and the callers show the recorded reason alone).
 */
export function savedRunVerdict(stateDir: string, recorded: string | null): StopReason | null | undefined {
  const paths = statePaths(stateDir);
  try {
    const control = readControl(paths.control);
    if (!control.ok) return undefined;
    const { state, ledger, settings } = readSavedRun(paths, { policy: readPolicyIfPresent(stateDir), control: () => control.control });
    if (!state) return undefined;
    return runVerdict({
      stop: recorded ? parseStopReason(recorded) : null,
      state,
      settings,
      configChanged: state.config_digest !== null && state.config_digest !== snapshotDigest(paths.snapshotDir),
      resetPeers: [],
      budgetRefusals: ledger?.refusals,
    }).finished;
  } catch {
    return undefined;
  }
}
