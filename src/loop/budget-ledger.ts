/**
 * Budget accounting after a turn: runtime, wasted runtime, consecutive failures,
 * tokens and USD, summed in total (here) and per peer (peer-health.ts). Cumulative across runs.
 * Tokens and USD come from the auth sidecar's ledger when there is one (withLedgerSpend), from
 * what the CLIs print otherwise (a run outside the pod).
 */
import type { LoopState } from '../state/state-schema.ts';

export type AccountingInput = { success: boolean; rateLimited: boolean; durationMs: number; tokens: number; usd: number };

export function sanitizeTokens(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

export function sanitizeUsd(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0;
}

export function accountTick(b: LoopState['budget'], i: AccountingInput): LoopState['budget'] {
  const ms = Math.max(0, Math.round(i.durationMs));
  const neutral = i.success || i.rateLimited;
  return {
    ...b,
    spent_runtime_ms: b.spent_runtime_ms + ms,
    wasted_runtime_ms: b.wasted_runtime_ms + (neutral ? 0 : ms),
    consecutive_failures: neutral ? 0 : b.consecutive_failures + 1,
    spent_tokens: b.spent_tokens + sanitizeTokens(i.tokens),
    spent_usd: Math.round((b.spent_usd + sanitizeUsd(i.usd)) * 1e6) / 1e6,
  };
}

/**
 * In the pod the auth sidecar's ledger is the authority for spend: the run's totals ARE the
 * ledger's (the per-tick figures, summed, can only lag behind it).
 */
export function withLedgerSpend(b: LoopState['budget'], ledger: { tokens: number; usd: number }): LoopState['budget'] {
  return { ...b, spent_tokens: Math.max(0, Math.floor(ledger.tokens)), spent_usd: Math.round(Math.max(0, ledger.usd) * 1e8) / 1e8 };
}
