/**
 * The situation `up` decides from (src/loop/up-decision.ts), read from the state dir: the saved
 * run's kind, its state with the spend of the usage ledger, its settings under the operator's
 * control file (with this `up`'s `--max-runtime` applied), and why it stopped.
 */
import { join } from 'node:path';
import { InputError } from '../src/cli/errors.ts';
import { snapshotDigest } from '../src/config/control-snapshot.ts';
import type { StatePaths } from '../src/state/paths.ts';
import { readControl, withMaxRuntime, type OperatorControl } from '../src/state/operator-control.ts';
import { parseStopReason, readStopReason } from '../src/state/stop-reason.ts';
import { applyRuntimeChange, formatDuration, type RuntimeChange } from '../src/loop/runtime-change.ts';
import { scriptEnds } from '../src/model-server/served-log.ts';
import { runBranch } from './publish-if-run.ts';
import { readSavedRun } from '../src/loop/shell/saved-run.ts';
import type { BudgetPolicy } from '../src/budget/budget-policy-file.ts';
import type { UpOptions } from './up-options.ts';

/** A run's kind from its budget policy's credentials: the scripted model server's is a rehearsal. */
export function modeOfCredentials(credentials: string | undefined): 'rehearsal' | 'real' | undefined {
  return credentials === undefined ? undefined : credentials === 'model-server' ? 'rehearsal' : 'real';
}

/** The control file with this `up`'s runtime change applied (not written). */
export function controlWithRuntime(paths: StatePaths, configRuntimeS: number, change: RuntimeChange | undefined): { control: OperatorControl | null; note?: string } {
  const read = readControl(paths.control);
  if (!read.ok) throw new InputError(`the operator control file cannot be used: ${read.error}`, { location: { file: paths.control }, hint: 'fix it, or remove it (no peer paused, the config\'s max runtime)' });
  if (!change) return { control: read.control };
  const before = read.control?.max_runtime_s ?? configRuntimeS;
  const after = applyRuntimeChange(before, change);
  return { control: withMaxRuntime(read.control, after), note: `max runtime: ${formatDuration(before)} → ${formatDuration(after)} (peer turn time; the loop takes it before its next tick)` };
}

/** The facts decideUp needs, read from the state dir (spend from the usage ledger, when there is one). */
export function situationOf(paths: StatePaths, status: 'fresh' | 'stopped' | 'crashed', digestBefore: string | null, o: UpOptions, policy: BudgetPolicy | undefined, upCommand: string, key: string, repo: string) {
  const { state, ledger, settings } = readSavedRun(paths, {
    policy,
    control: (config) => controlWithRuntime(paths, config.budget.max_runtime_s, o.maxRuntime).control,
    noSkeptic: o.noSkeptic,
  });
  const stopText = status === 'stopped' ? readStopReason(paths.stopReason)?.reason : undefined;
  return {
    status,
    stop: stopText ? parseStopReason(stopText) : null,
    state,
    settings,
    configChanged: digestBefore !== null && digestBefore !== snapshotDigest(paths.snapshotDir),
    resetPeers: o.resetPeers ?? [],
    budgetRefusals: ledger?.refusals,
    fresh: false,
    startOnlyFlags: [],
    upCommand,
    resultsBranch: runBranch(paths, key, repo),
    // A rehearsal whose script ran out ends on failed turns: what continues it is more script.
    scriptEnds: scriptEnds(join(paths.dir, 'rehearsal', 'served.jsonl')),
  };
}
