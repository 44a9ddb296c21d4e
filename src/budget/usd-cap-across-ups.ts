/**
 * The USD cap from one `peers up` to the next (README, "Budget"). A cap given with `--max-usd` is
 * the run's cap until the user sets another: a plain `peers up` that resumes the run (after
 * `peers down`, a crash, a reboot) keeps it. Taking budget.max_usd from the config instead
 * silently raised a $3 cap to the config's $50, and the resumed run spent $18. The user's later
 * word wins: a new `--max-usd`, or budget.max_usd changed in the config (adopted with
 * `--accept-changes`) since the flag was given. A new run (`--fresh`, or none saved) starts from
 * the config. Pure: `peers up` passes what it read.
 */
import type { BudgetPolicy } from './budget-policy-file.ts';

/** Whether the saved policy's cap came from `--max-usd` (policies written before the field: by their reason). */
export function usdCapSetByFlag(p: BudgetPolicy): boolean {
  return p.max_usd_by_flag ?? p.reason.startsWith('peers up --max-usd ');
}

/**
 * The `--max-usd` this `up` runs with: the one given; else, when the run goes on (not `--fresh`),
 * the saved run's own `--max-usd` unless budget.max_usd has changed in the config since, with a
 * note saying which; else none (the config's cap).
 */
export function usdCapForUp(i: { flag: number | undefined; fresh: boolean; saved: BudgetPolicy | undefined; configMaxUsd: number | undefined }): { maxUsd?: number; note?: string } {
  if (i.flag !== undefined) return { maxUsd: i.flag };
  if (i.fresh || !i.saved || i.saved.max_usd === null || !usdCapSetByFlag(i.saved)) return {};
  const cap = i.saved.max_usd;
  const configNow = i.configMaxUsd ?? null;
  if (i.saved.config_max_usd !== undefined && i.saved.config_max_usd !== configNow) {
    return { note: `budget.max_usd changed in .peers/config.yaml since --max-usd ${cap} was given: the run's cap is now ${configNow === null ? 'none' : `$${configNow}`}` };
  }
  return { maxUsd: cap, note: `kept this run's cap of $${cap}, set by --max-usd (pass --max-usd again to change it)` };
}

/**
 * The cap to suggest to a run stopped by max_usd: twice the cap (or twice the spend, if more), and
 * at least room for the request that was refused. Always above the cap: a suggestion to continue
 * with a cap the run has already reached would stop it again at once.
 */
export function usdCapToContinue(cap: number | undefined, spent: number, needed?: number): number {
  const doubled = Math.max(cap ?? 0, spent) * 2;
  return Math.max(1, Math.ceil(Math.max(doubled, needed === undefined ? 0 : spent + needed)));
}
