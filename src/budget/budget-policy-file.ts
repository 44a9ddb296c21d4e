/**
 * The budget policy's file (budget.json): its schema, how it is written and read, and what it says.
 * `peers up` resolves the policy (budget-policy.ts) and writes it here once; the loop and the auth
 * sidecar read it. Reading fails closed: a missing, unreadable or invalid policy is an error, never
 * "no cap".
 *
 * The schema is written with zod's functional build: the auth sidecar reads this file at start and
 * then serves for hours, and this module is all of zod it loads (BENCHMARKS.md, Memory). Nothing
 * here may import the config schemas.
 */
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import '../config/zod-mini-english.ts';
import { InputError } from '../cli/errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { readTextCapped } from '../fs/safe-read.ts';

export const CREDENTIAL_MODES = ['api-key', 'oauth-file', 'model-server'] as const;
export type CredentialMode = (typeof CREDENTIAL_MODES)[number];

const rate = z.number().check(z.nonnegative());

export const BudgetPolicySchema = z.strictObject({
  version: z.literal(1),
  resolved_at: z.string(),
  /** Caps over every peer and vendor together; null = none. */
  max_tokens: z.nullable(z.number().check(z.int(), z.positive())),
  max_usd: z.nullable(z.number().check(z.positive())),
  /** max_usd came from `peers up --max-usd`: a resumed run keeps it (usd-cap-across-ups.ts). */
  max_usd_by_flag: z.optional(z.boolean()),
  /** budget.max_usd in the config when this was written: a change of it since replaces a kept --max-usd. */
  config_max_usd: z.optional(z.nullable(z.number())),
  /** hard: the sidecar refuses and the loop stops at max_usd; warn: report only; off: ignore. */
  max_usd_mode: z.enum(['hard', 'warn', 'off']),
  reason: z.string(),
  /** How the auth sidecar bills the peers' requests. */
  credentials: z.enum(CREDENTIAL_MODES),
  /** Date of the price table every USD figure comes from. */
  price_table: z.string(),
  /** The user's prices (`budget.prices`) for models the table does not list, by normalized id, USD per million tokens. */
  prices: z.optional(z.record(z.string(), z.strictObject({ input: rate, output: rate, cache_read: rate, cache_write: rate, cache_write_1h: rate }))),
});
export type BudgetPolicy = z.infer<typeof BudgetPolicySchema>;

/** The policy's prices in the auth sidecar's terms (auth-proxy/usage/price-table.ts, UserPrices). */
export function policyPrices(p: BudgetPolicy): Record<string, { input: number; output: number; cacheRead: number; cacheWrite: number; cacheWrite1h: number }> {
  const out: ReturnType<typeof policyPrices> = {};
  for (const [id, r] of Object.entries(p.prices ?? {})) out[id] = { input: r.input, output: r.output, cacheRead: r.cache_read, cacheWrite: r.cache_write, cacheWrite1h: r.cache_write_1h };
  return out;
}

/** Where `peers up` writes the policy: the state directory, outside the peers' reach. */
export const budgetPolicyPath = (stateDir: string) => join(stateDir, 'budget.json');

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
  const own = Object.keys(p.prices ?? {});
  return `${usd} (${p.max_usd_mode}: ${p.reason}), ${tokens}; prices of ${p.price_table}${own.length ? ` and budget.prices for ${own.join(', ')}` : ''}`;
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

/**
 * Whether the run in `stateDir` was a rehearsal (`peers up --rehearse`: the scripted model server
 * was its upstream), so its USD figure is what the tokens would have cost, not a bill. Never throws:
 * a policy that does not read is not said to be a rehearsal (`peers status` reports it).
 */
export function wasRehearsal(stateDir: string): boolean {
  try {
    return readPolicyIfPresent(stateDir)?.credentials === 'model-server';
  } catch {
    return false;
  }
}
