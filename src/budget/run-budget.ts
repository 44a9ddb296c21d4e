/**
 * `peers up`'s one step for the budget: resolve the policy once (caps, max_usd_mode and why) for
 * the credential mode the pod will use, and say how the loop and the auth sidecar find it and
 * the usage ledger. Planning is pure (`peers up --dry-run` prints it); writing is separate.
 */
import type { PeersConfig } from '../config/config-schema.ts';
import { resolveBudgetPolicy } from './budget-policy.ts';
import { type BudgetPolicy, budgetPolicyPath, type CredentialMode, uncappedWarning, writeBudgetPolicy } from './budget-policy-file.ts';
import { POD_USAGE_LEDGER } from './ledger-spend.ts';

/** Where the auth container sees the policy (a read-only bind of the state dir's budget.json). */
export const POD_BUDGET_POLICY_FOR_AUTH = '/run/peers/budget.json';

export type RunBudgetPlan = {
  policy: BudgetPolicy;
  /** The policy file on the host, in the state directory. */
  hostPath: string;
  /** Arguments for `peers sidecar auth` and `peers loop` in the pod. */
  authArgs: string[];
  loopArgs: (stateInContainer: string) => string[];
  /** Said by `peers up` when the run has no spending cap at all. */
  warning: string | null;
};

export function planRunBudget(i: { config: PeersConfig; stateDir: string; credentials: CredentialMode; env: Record<string, string | undefined>; maxUsd?: number }): RunBudgetPlan {
  const policy = resolveBudgetPolicy({ config: i.config, credentials: i.credentials, env: i.env, maxUsd: i.maxUsd });
  return {
    policy,
    hostPath: budgetPolicyPath(i.stateDir),
    authArgs: ['--budget-policy', POD_BUDGET_POLICY_FOR_AUTH],
    loopArgs: (stateInContainer) => ['--budget-policy', budgetPolicyPath(stateInContainer), '--usage-ledger', POD_USAGE_LEDGER],
    warning: uncappedWarning(policy),
  };
}

/** Writes the policy where the loop and the sidecar read it (before the pod is created). */
export function writeRunBudget(plan: RunBudgetPlan): void {
  writeBudgetPolicy(plan.hostPath, plan.policy);
}
