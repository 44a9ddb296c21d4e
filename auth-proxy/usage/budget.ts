/**
 * The run's spending caps, enforced at the sidecar for every peer and vendor together: a request
 * is forwarded only if the budget left can cover the most it could cost. Each billable request
 * reserves that worst case (every prompt byte as a token at the highest input rate, plus its
 * `max_tokens`/`max_output_tokens` at the output rate) while it is in flight; when the reply ends
 * the ledger line replaces the reservation. So requests racing each other cannot overshoot the
 * cap together: spend stays within cap + Σ(actual − reserved)⁺ over the requests in flight, and
 * that excess is zero unless the vendor bills input the request did not carry; under a cap the
 * requests known to do so (stored conversations, server-side tools, files by id or URL) are
 * refused before they are reserved (request-screen.ts) — see SECURITY.md.
 *
 * Caps come from the budget policy `peers up` wrote, flags, the environment and a budget file;
 * every cap given applies, so the tightest one wins.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { UsageTotals } from './usage-ledger.ts';

export type BudgetCaps = { maxTokens?: number; maxUsd?: number };
export type Need = { usd: number; tokens: number };

function cap(v: unknown, what: string, numbersOnly: boolean): number | undefined {
  if (v === undefined || v === null || (!numbersOnly && v === '')) return undefined;
  if (numbersOnly && typeof v !== 'number') throw new Error(`${what}: expected a non-negative number, got ${JSON.stringify(v)}`);
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${what}: expected a non-negative number, got ${JSON.stringify(v)}`);
  return n;
}

export function capsFromEnv(env: Record<string, string | undefined>): BudgetCaps {
  return { maxTokens: cap(env.PEERS_BUDGET_MAX_TOKENS, 'PEERS_BUDGET_MAX_TOKENS', false), maxUsd: cap(env.PEERS_BUDGET_MAX_USD, 'PEERS_BUDGET_MAX_USD', false) };
}

/** A budget file is JSON: {"max_tokens": N, "max_usd": X} (either key optional, numbers only). */
export function capsFromFile(path: string): BudgetCaps {
  if (!existsSync(path)) return {};
  // Re-read on every request: a FIFO here would block the sidecar's only thread.
  const st = statSync(path);
  if (!st.isFile() || st.size > 64 * 1024) throw new Error(`${path}: not a regular budget file of at most 64 KiB`);
  const doc = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  return { maxTokens: cap(doc.max_tokens, `${path}: max_tokens`, true), maxUsd: cap(doc.max_usd, `${path}: max_usd`, true) };
}

export function tightest(...caps: BudgetCaps[]): BudgetCaps {
  const min = (vals: (number | undefined)[]) => {
    const v = vals.filter((x): x is number => x !== undefined);
    return v.length ? Math.min(...v) : undefined;
  };
  return { maxTokens: min(caps.map((c) => c.maxTokens)), maxUsd: min(caps.map((c) => c.maxUsd)) };
}

/**
 * A router's requests are reserved at this multiple of the table's price until its replies show
 * what it really charges: OpenRouter bills what the provider it picks charges, and its replies
 * say so (`usage.cost`) only once they are done (SECURITY.md, "A request goes out only if …").
 */
export const ROUTED_COST_MARGIN = 2;
/**
 * A router's first request for a model, which goes out alone (first-request-gate.ts), is reserved
 * at this many times the table's price: nothing has shown yet what the router charges for it, and
 * at twice the table a router billing 12 times spent 2.5 times a cap the reservation fitted.
 */
export const ROUTED_FIRST_MARGIN = 10;

/**
 * How many times the table's price an upstream's requests are reserved at: the router margin,
 * raised to the highest ratio of stated cost to table price its replies have shown (`ratio`, kept
 * on the ledger so a restart does not forget it). Pure.
 */
export function costFactor(routed: boolean, ratio: number | undefined, firstForModel = false): number {
  return Math.max(routed ? (firstForModel ? ROUTED_FIRST_MARGIN : ROUTED_COST_MARGIN) : 1, ratio ?? 1);
}

export type Admission = { ok: true } | { ok: false; cap: 'max_tokens' | 'max_usd'; limit: number; spent: number; inFlight: number; needed: number; message: string };

const usd = (x: number) => `$${x.toFixed(4)}`;

/**
 * Whether a request needing `need` at most may go out, given what was spent and what requests in
 * flight hold. Pure: the sidecar calls it and reserves in the same synchronous step.
 */
export function admit(caps: BudgetCaps, spent: UsageTotals, inFlight: Need, need: Need): Admission {
  const checks = [
    { cap: 'max_tokens' as const, limit: caps.maxTokens, spent: spent.tokens, held: inFlight.tokens, needed: need.tokens, key: 'budget.max_tokens', fmt: (x: number) => `${Math.ceil(x)} tokens`, unit: 'token' },
    { cap: 'max_usd' as const, limit: caps.maxUsd, spent: spent.usd, held: inFlight.usd, needed: need.usd, key: 'budget.max_usd', fmt: usd, unit: 'USD' },
  ];
  for (const c of checks) {
    if (c.limit === undefined || c.spent + c.held + c.needed <= c.limit) continue;
    const spentOut = c.cap === 'max_usd' ? `${usd(c.spent)} of $${c.limit}` : `${c.spent} of ${c.limit} tokens`;
    const message = c.spent >= c.limit
      ? `peers: the run's ${c.unit} budget is spent (${spentOut}); the request was not sent. Raise ${c.key} in .peers/config.yaml to continue.`
      : `peers: the run's ${c.unit} budget left cannot cover this request (${spentOut} spent, ${c.fmt(c.held)} held by requests in flight, this one could use up to ${c.fmt(c.needed)}); the request was not sent. Raise ${c.key} in .peers/config.yaml to continue.`;
    return { ok: false, cap: c.cap, limit: c.limit, spent: c.spent, inFlight: c.held, needed: c.needed, message };
  }
  return { ok: true };
}

/** Reservations held by requests in flight, shared by every upstream of one sidecar. */
export class Reservations {
  private readonly held = new Map<number, Need>();
  private next = 0;
  private sum: Need = { usd: 0, tokens: 0 };

  get inFlight(): Need {
    return { ...this.sum };
  }

  get count(): number {
    return this.held.size;
  }

  /** Checks and reserves in one step; the returned release is idempotent. */
  tryReserve(caps: BudgetCaps, spent: UsageTotals, need: Need): { admission: Admission; release: () => void } {
    const admission = admit(caps, spent, this.sum, need);
    if (!admission.ok) return { admission, release: () => {} };
    const id = this.next++;
    this.held.set(id, need);
    this.sum = { usd: this.sum.usd + need.usd, tokens: this.sum.tokens + need.tokens };
    return {
      admission,
      release: () => {
        const n = this.held.get(id);
        if (!n) return;
        this.held.delete(id);
        this.sum = { usd: Math.max(0, this.sum.usd - n.usd), tokens: Math.max(0, this.sum.tokens - n.tokens) };
        if (this.held.size === 0) this.sum = { usd: 0, tokens: 0 }; // no float drift survives an idle moment
      },
    };
  }
}

/**
 * The refusal each vendor's CLI shows at once, without retrying (checked against the real CLIs,
 * test/unit/auth-proxy/real-cli-budget.test.ts): Claude Code prints "API Error: 402 <message>" for
 * an Anthropic `billing_error`; Codex retries a 402 five times and replaces a 429
 * `insufficient_quota` message with its own generic one, but prints a 400 body as is, at once.
 */
export function budgetRefusal(shape: 'anthropic' | 'openai', message: string, code = 'peers_budget_exhausted'): { status: number; body: string } {
  if (shape === 'anthropic') return { status: 402, body: JSON.stringify({ type: 'error', error: { type: 'billing_error', message } }) };
  return { status: 400, body: JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code } }) };
}
