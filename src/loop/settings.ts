/**
 * The knobs the loop's pure core reads, resolved once from the config snapshot and the command's
 * flags. Every rule in src/loop takes this object instead of the raw config, so each knob has
 * exactly one place where it comes from (no knob that is read from nowhere).
 */
import type { PeersConfig } from '../config/config-schema.ts';
import type { OperatorControl } from '../state/operator-control.ts';
import type { BudgetPolicy } from '../budget/budget-policy-file.ts';

export type UsdCapMode = 'hard' | 'warn' | 'off';

export type LoopSettings = {
  peers: Array<{ name: string; tool: string }>;
  /** `--max-ticks`: ticks in this run (stop reason `max_ticks`); undefined = no per-run limit. */
  maxTicksThisRun?: number;
  budget: {
    maxTicks: number;
    maxRuntimeS: number;
    maxConsecutiveFailures: number;
    maxTokens?: number;
    maxUsd?: number;
    usdMode: UsdCapMode;
  };
  health: { maxRetries: number; recoveryInterval: number };
  goals: { convergenceN: number; stuckHaltAfter: number; stuckHaltGates: string[]; softConsensusRequired: boolean; requireHealthyPeers?: boolean };
  skeptic: boolean;
  /** Base of the rate-limit backoff (15 s in production: 15, 30, 60, 120 s). */
  backoffBaseMs: number;
  /** Peers the operator paused (`peers pause`): no turn until resumed. Re-read before every tick. */
  paused?: readonly string[];
};

export type SettingsOverrides = {
  maxTicksThisRun?: number;
  maxUsd?: number;
  maxRuntimeS?: number;
  maxTokens?: number;
  maxConsecutiveFailures?: number;
  noSkeptic?: boolean;
  usdMode: UsdCapMode;
  backoffBaseMs?: number;
};

/**
 * The run's settings: the config snapshot with the budget policy `peers up` resolved (its caps
 * replace the config's), then the flags. The loop starts with this, and `peers up` asks it whether
 * a stopped run would stop again at once (src/loop/up-decision.ts): one answer for both.
 */
export function settingsForRun(config: PeersConfig, policy: BudgetPolicy | undefined, o: SettingsOverrides): LoopSettings {
  const budgeted = policy ? { ...config, budget: { ...config.budget, max_usd: policy.max_usd ?? undefined, max_tokens: policy.max_tokens ?? undefined } } : config;
  return settingsFromConfig(budgeted, o);
}

export function settingsFromConfig(config: PeersConfig, o: SettingsOverrides): LoopSettings {
  return {
    peers: config.peers.map((p) => ({ name: p.name, tool: p.tool })),
    maxTicksThisRun: o.maxTicksThisRun,
    budget: {
      maxTicks: config.budget.max_ticks,
      maxRuntimeS: o.maxRuntimeS ?? config.budget.max_runtime_s,
      maxConsecutiveFailures: o.maxConsecutiveFailures ?? config.budget.max_consecutive_failures,
      maxTokens: o.maxTokens ?? config.budget.max_tokens,
      maxUsd: o.maxUsd ?? config.budget.max_usd,
      usdMode: o.usdMode,
    },
    health: { maxRetries: config.health.max_retries, recoveryInterval: config.health.recovery_interval },
    goals: {
      convergenceN: config.goals.convergence_n,
      stuckHaltAfter: config.goals.stuck_halt_after,
      stuckHaltGates: config.goals.stuck_halt_gates,
      softConsensusRequired: config.goals.soft_consensus_required,
      requireHealthyPeers: config.goals.require_healthy_peers,
    },
    skeptic: !o.noSkeptic,
    backoffBaseMs: o.backoffBaseMs ?? 15_000,
  };
}

/**
 * The settings with the operator's live controls applied (src/state/operator-control.ts): paused
 * peers, and a runtime cap that replaces the one the run started with.
 */
export function withOperatorControl(s: LoopSettings, control: OperatorControl | null): LoopSettings {
  if (!control) return s.paused?.length ? { ...s, paused: [] } : s;
  return {
    ...s,
    paused: Object.keys(control.paused),
    budget: control.max_runtime_s === undefined ? s.budget : { ...s.budget, maxRuntimeS: control.max_runtime_s },
  };
}
