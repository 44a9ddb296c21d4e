/**
 * The loop's two refusals for implement mode's frozen contract (src/mode-registry/contract.ts), as pure functions
 * the loop calls: at start, a goal program whose contract is not the logged one; after each turn,
 * a turn whose commits changed a pinned file. A refused turn fails like a turn without a handoff
 * (its author is told why in its next prompt, the other peers in theirs) and the gate
 * `contracts-unchanged` holds convergence until the file is restored.
 */
import { join } from 'node:path';
import { InputError } from '../../cli/errors.ts';
import type { GoalsFile } from '../../config/goals-schema.ts';
import { MiB, readTextIfExists } from '../../fs/safe-read.ts';
import { git } from '../../git/git.ts';
import type { TickObservation } from '../tick.ts';
import { contractFromGoals, contractLogProblem, CONTRACTS_LOG, type Contract } from '../../mode-registry/contract.ts';

/** Pinned paths a turn changed (its changed paths are given by the caller, from trusted git). */
export function frozenPathsTouched(contract: Contract | undefined, changed: string[]): string[] {
  if (!contract) return [];
  const pinned = new Set(contract.pins.map((p) => p.path));
  return changed.filter((p) => pinned.has(p));
}

export function contractRefusal(peer: string, touched: string[]): string {
  return `refused: ${peer}'s turn changed the frozen acceptance contract (${touched.join(', ')}); restore ${touched.length > 1 ? 'them' : 'it'} (git checkout <run baseline> -- <path>). Only the operator changes the contract, with \`peers amend\`.`;
}

/** The observation of a turn the loop refuses: no handoff, no credit, the reason in both prompts. */
export function refuseTurn(obs: TickObservation, reason: string): TickObservation {
  return {
    ...obs,
    success: false,
    credit: 0,
    handoff_sha: null,
    soft_fail_reason: reason,
    cause: reason,
    warnings_emitted: [...obs.warnings_emitted, reason],
    warnings_for_peer: [...(obs.warnings_for_peer ?? []), reason],
  };
}

/** Paths changed by `before..after` (the loop's git reads; null before = every path of `after`). */
export function changedPathsBetween(repo: string, before: string | null, after: string | null): string[] {
  if (!after || before === after) return [];
  const res = before ? git(repo, ['diff', '--name-only', '-z', '--no-renames', before, after]) : git(repo, ['ls-tree', '-r', '-z', '--name-only', after]);
  return res.code === 0 ? res.stdout.split('\0').filter(Boolean) : [];
}

/**
 * At loop start: the contract the goals snapshot carries, after checking it is the one
 * contracts.log (snapshotted with it) ends with. Throws InputError (exit 2) when it is not.
 */
export function frozenContractAtStart(goals: GoalsFile, snapshotDir: string): Contract | undefined {
  const contract = contractFromGoals(goals);
  if (!contract) return undefined;
  const log = join(snapshotDir, CONTRACTS_LOG);
  const problem = contractLogProblem(readTextIfExists(log, MiB), contract);
  if (problem) throw new InputError(`refusing to start: ${problem}`, { location: { file: '.peers/goals.yaml' }, hint: 'only `peers amend` and `peers ack-block` change the contract; put goals.yaml back as .peers/contracts.log records it' });
  return contract;
}
