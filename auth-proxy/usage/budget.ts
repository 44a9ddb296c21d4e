/**
 * The run's spending cap, enforced at the sidecar: once the ledger's totals reach a cap, requests
 * are answered with an error instead of being forwarded, whatever the agent does. Caps come from
 * flags, the environment and a budget file (written by the loop, outside the workspace); every cap
 * given applies, so the tightest one wins. The file is re-read on each request so the loop can
 * lower a cap while the run goes on.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { UsageTotals } from './usage-ledger.ts';

export type BudgetCaps = { maxTokens?: number; maxUsd?: number };

function positive(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${what}: expected a non-negative number, got ${JSON.stringify(v)}`);
  return n;
}

export function capsFromEnv(env: Record<string, string | undefined>): BudgetCaps {
  return { maxTokens: positive(env.PEERS_BUDGET_MAX_TOKENS, 'PEERS_BUDGET_MAX_TOKENS'), maxUsd: positive(env.PEERS_BUDGET_MAX_USD, 'PEERS_BUDGET_MAX_USD') };
}

/** A budget file is JSON: {"max_tokens": N, "max_usd": X} (either key optional). */
export function capsFromFile(path: string): BudgetCaps {
  if (!existsSync(path)) return {};
  // Re-read on every request: a FIFO here would block the sidecar's only thread.
  const st = statSync(path);
  if (!st.isFile() || st.size > 64 * 1024) throw new Error(`${path}: not a regular budget file of at most 64 KiB`);
  const doc = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  return { maxTokens: positive(doc.max_tokens, `${path}: max_tokens`), maxUsd: positive(doc.max_usd, `${path}: max_usd`) };
}

export function tightest(...caps: BudgetCaps[]): BudgetCaps {
  const min = (vals: (number | undefined)[]) => {
    const v = vals.filter((x): x is number => x !== undefined);
    return v.length ? Math.min(...v) : undefined;
  };
  return { maxTokens: min(caps.map((c) => c.maxTokens)), maxUsd: min(caps.map((c) => c.maxUsd)) };
}

/** Null while there is budget left, else the sentence the CLI will show the user. */
export function budgetExhausted(caps: BudgetCaps, totals: UsageTotals): string | null {
  if (caps.maxTokens !== undefined && totals.tokens >= caps.maxTokens) {
    return `peers: the run's token budget is spent (${totals.tokens} of ${caps.maxTokens} tokens); the request was not sent. Raise budget.max_tokens in .peers/config.yaml to continue.`;
  }
  if (caps.maxUsd !== undefined && totals.usd >= caps.maxUsd) {
    return `peers: the run's USD budget is spent ($${totals.usd.toFixed(4)} of $${caps.maxUsd}); the request was not sent. Raise budget.max_usd in .peers/config.yaml to continue.`;
  }
  return null;
}

/**
 * The refusal each vendor's CLI shows at once, without retrying (checked against the real CLIs,
 * test/unit/auth-proxy/real-cli-budget.test.ts): Claude Code prints "API Error: 402 <message>" for
 * an Anthropic `billing_error`; Codex retries a 402 five times and replaces a 429
 * `insufficient_quota` message with its own generic one, but prints a 400 body as is, at once.
 */
export function budgetRefusal(shape: 'anthropic' | 'openai', message: string): { status: number; body: string } {
  if (shape === 'anthropic') return { status: 402, body: JSON.stringify({ type: 'error', error: { type: 'billing_error', message } }) };
  return { status: 400, body: JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code: 'peers_budget_exhausted' } }) };
}
