/**
 * The run's budget policy: the caps and whether `max_usd` is a hard stop, resolved ONCE by
 * `peers up` on the host (where the credentials and the user's flags are), written to the state
 * directory, and read from there by the loop (`--budget-policy`) and the auth sidecar
 * (`--budget-policy`, a read-only mount), and shown by `peers info` and `peers status`. No other
 * place decides `max_usd_mode: auto`: in the pod, the loop's environment holds no key and would
 * decide otherwise. Its file (schema, write, read) is budget-policy-file.ts.
 */
import { normalizeModel, PRICE_TABLE_DATE, tableRow } from '../../auth-proxy/usage/price-table.ts';
import { InputError } from '../cli/errors.ts';
import type { PeersConfig } from '../config/config-schema.ts';
import { PROVIDER_KIND_BY_TOOL, type ProviderSpec, resolveProvider } from '../config/provider.ts';
import { type Billing, decideAutoUsdMode } from '../config/usd-cap-mode.ts';
import type { BudgetPolicy, CredentialMode } from './budget-policy-file.ts';

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
    ...(i.maxUsd !== undefined ? { max_usd_by_flag: true } : {}),
    config_max_usd: b.max_usd ?? null,
    max_usd_mode: decision.mode,
    reason: decision.reason,
    credentials: i.credentials,
    price_table: PRICE_TABLE_DATE,
    ...(b.prices && Object.keys(b.prices).length ? { prices: userPrices(b.prices) } : {}),
  };
}

/**
 * `budget.prices` by the id the sidecar looks models up by. They add models; a row of peers' table
 * is never replaced (a lower price there would let a request past the USD cap), so naming one is bad input.
 */
function userPrices(prices: NonNullable<PeersConfig['budget']['prices']>): NonNullable<BudgetPolicy['prices']> {
  const out: NonNullable<BudgetPolicy['prices']> = {};
  for (const [model, r] of Object.entries(prices)) {
    const id = normalizeModel(model);
    const where = { location: { file: '.peers/config.yaml' }, hint: `remove budget.prices.${model}: peers prices ${id} from its table of ${PRICE_TABLE_DATE}` };
    if (tableRow(id)) throw new InputError(`budget.prices.${model}: ${id} is in peers' price table already; the table's price is the one used`, where);
    if (Object.hasOwn(out, id)) throw new InputError(`budget.prices.${model}: ${id} is priced twice`, { location: { file: '.peers/config.yaml' } });
    out[id] = { input: r.input, output: r.output, cache_read: r.cache_read ?? r.input, cache_write: r.cache_write ?? r.input * 1.25, cache_write_1h: r.cache_write_1h ?? r.input * 2 };
  }
  return out;
}

