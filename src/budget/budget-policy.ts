/**
 * The run's budget policy: the caps and whether `max_usd` is a hard stop, resolved ONCE by
 * `peers up` on the host (where the credentials and the user's flags are), written to the state
 * directory, and read from there by the loop (`--budget-policy`) and the auth sidecar
 * (`--budget-policy`, a read-only mount), and shown by `peers info` and `peers status`. No other
 * place decides `max_usd_mode: auto`: in the pod, the loop's environment holds no key and would
 * decide otherwise.
 *
 * Reading fails closed: a missing, unreadable or invalid policy is an error, never "no cap".
 */
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PRICE_TABLE_DATE } from '../../auth-proxy/usage/price-table.ts';
import { InputError } from '../cli/errors.ts';
import type { PeersConfig } from '../config/config-schema.ts';
import { PROVIDER_KIND_BY_TOOL, type ProviderSpec, resolveProvider } from '../config/provider.ts';
import { type Billing, decideAutoUsdMode } from '../config/usd-cap-mode.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { readTextCapped } from '../fs/safe-read.ts';

export const CREDENTIAL_MODES = ['api-key', 'oauth-file', 'model-server'] as const;
export type CredentialMode = (typeof CREDENTIAL_MODES)[number];

export const BudgetPolicySchema = z.strictObject({
  version: z.literal(1),
  resolved_at: z.string(),
  /** Caps over every peer and vendor together; null = none. */
  max_tokens: z.number().int().positive().nullable(),
  max_usd: z.number().positive().finite().nullable(),
  /** hard: the sidecar refuses and the loop stops at max_usd; warn: report only; off: ignore. */
  max_usd_mode: z.enum(['hard', 'warn', 'off']),
  reason: z.string(),
  /** How the auth sidecar bills the peers' requests. */
  credentials: z.enum(CREDENTIAL_MODES),
  /** Date of the price table every USD figure comes from. */
  price_table: z.string(),
});
export type BudgetPolicy = z.infer<typeof BudgetPolicySchema>;

/** Where `peers up` writes the policy: the state directory, outside the peers' reach. */
export const budgetPolicyPath = (stateDir: string) => join(stateDir, 'budget.json');

/**
 * How a peer's requests are billed in the pod: every claude, codex and opencode request goes
 * through the auth sidecar, which holds either API keys or (opt-in) the Claude login; a custom
 * peer's billing is its own business.
 */
export function podBilling(tool: string, credentials: CredentialMode, env: Record<string, string | undefined>, provider?: ProviderSpec): Billing {
  if (credentials === 'model-server') return 'api';
  // A provider (OpenRouter, any compatible API) is always reached with its API key.
  if (PROVIDER_KIND_BY_TOOL[tool] && resolveProvider(tool, provider)) return 'api';
  if (tool === 'claude' || tool === 'opencode') return credentials === 'oauth-file' ? 'oauth' : 'api';
  // Codex reaches the OpenAI upstream (OPENAI_API_KEY) unless only its ChatGPT login is there.
  if (tool === 'codex') return credentials === 'api-key' || env.OPENAI_API_KEY ? 'api' : 'oauth';
  return 'unknown';
}

export type PolicyInput = {
  config: PeersConfig;
  credentials: CredentialMode;
  env: Record<string, string | undefined>;
  /** `peers up --max-usd`: a cap the user asked for on the command line is always enforced. */
  maxUsd?: number;
  maxTokens?: number;
  now?: Date;
};

export function resolveBudgetPolicy(i: PolicyInput): BudgetPolicy {
  const b = i.config.budget;
  const declared = b.max_usd_mode;
  let decision: { mode: BudgetPolicy['max_usd_mode']; reason: string };
  if (i.maxUsd !== undefined && declared !== 'off') decision = { mode: 'hard', reason: `peers up --max-usd ${i.maxUsd}` };
  else if (declared !== 'auto') decision = { mode: declared, reason: `explicit max_usd_mode=${declared}` };
  else if (i.credentials === 'model-server') decision = { mode: 'hard', reason: 'auto: the scripted model server stands in for API-key billing' };
  else decision = decideAutoUsdMode(i.config.peers.map((p) => ({ name: p.name, billing: podBilling(p.tool, i.credentials, i.env, p.provider) })));
  return {
    version: 1,
    resolved_at: (i.now ?? new Date()).toISOString(),
    max_tokens: i.maxTokens ?? b.max_tokens ?? null,
    max_usd: i.maxUsd ?? b.max_usd ?? null,
    max_usd_mode: decision.mode,
    reason: decision.reason,
    credentials: i.credentials,
    price_table: PRICE_TABLE_DATE,
  };
}

/** The caps the sidecar enforces: tokens always, USD only in hard mode. */
export function sidecarCaps(p: BudgetPolicy): { maxTokens?: number; maxUsd?: number } {
  return {
    ...(p.max_tokens !== null ? { maxTokens: p.max_tokens } : {}),
    ...(p.max_usd !== null && p.max_usd_mode === 'hard' ? { maxUsd: p.max_usd } : {}),
  };
}

/** Why a run has no spending cap at all, or null when it has one. */
export function uncappedWarning(p: BudgetPolicy): string | null {
  const usdCap = p.max_usd !== null && p.max_usd_mode !== 'off';
  if (usdCap || p.max_tokens !== null) return null;
  return `this run has no spending cap (budget.max_usd${p.max_usd !== null ? ' is set but max_usd_mode is off' : ''} and budget.max_tokens unset): only ticks and runtime bound it. Set budget.max_usd in .peers/config.yaml or pass --max-usd`;
}

export function describePolicy(p: BudgetPolicy): string {
  const usd = p.max_usd === null ? 'no max_usd' : `max_usd $${p.max_usd}`;
  const tokens = p.max_tokens === null ? 'no max_tokens' : `max_tokens ${p.max_tokens}`;
  return `${usd} (${p.max_usd_mode}: ${p.reason}), ${tokens}; prices of ${p.price_table}`;
}

export function writeBudgetPolicy(path: string, p: BudgetPolicy): void {
  writeFileAtomic(path, `${JSON.stringify(BudgetPolicySchema.parse(p), null, 2)}\n`, 0o600);
}

/** Reads a policy; every problem is an InputError naming the file (exit 2), never a silent "no cap". */
export function readBudgetPolicy(path: string): BudgetPolicy {
  const hint = 'the budget policy is written by `peers up`; run `peers down` then `peers up` to write it again';
  if (!existsSync(path)) throw new InputError('the budget policy is missing', { location: { file: path }, hint });
  const st = lstatSync(path);
  if (!st.isFile()) throw new InputError('the budget policy is not a regular file', { location: { file: path }, hint });
  let raw: unknown;
  try {
    raw = JSON.parse(readTextCapped(path, 64 * 1024));
  } catch (e) {
    throw new InputError(`the budget policy cannot be read: ${(e as Error).message}`, { location: { file: path }, hint });
  }
  const r = BudgetPolicySchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new InputError(`the budget policy is invalid: ${issue.path.join('.') || '(file)'}: ${issue.message}`, { location: { file: path }, hint });
  }
  return r.data;
}

/** The policy of a project's last `peers up`, if there is one (for `peers info`). */
export function readPolicyIfPresent(stateDir: string): BudgetPolicy | undefined {
  const path = budgetPolicyPath(stateDir);
  return existsSync(path) ? readBudgetPolicy(path) : undefined;
}
