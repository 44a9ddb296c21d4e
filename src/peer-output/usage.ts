/**
 * Tokens and USD a turn used, read from the CLI's own output (a zero-valued early envelope never hides the real one):
 * claude json/stream-json `result` envelopes (the last one with usage wins), codex `turn.completed`
 * usage (or the legacy `tokens used` banner), opencode `step-finish` parts. Unknown tools → zero.
 * The auth sidecar's ledger is authoritative inside the pod; this is the fallback and the local mode.
 */
import { jsonObjectLines } from './json-lines.ts';
export type Usage = { tokens: number; usd: number };

const int = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);
const money = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

function claudeEnvelope(o: Record<string, unknown>): Usage | null {
  if (!('usage' in o) && !('total_cost_usd' in o)) return null;
  const u = (o.usage && typeof o.usage === 'object' ? o.usage : {}) as Record<string, unknown>;
  const tokens = int(u.input_tokens) + int(u.cache_creation_input_tokens) + int(u.cache_read_input_tokens) + int(u.output_tokens);
  return { tokens, usd: money(o.total_cost_usd) };
}

function banners(text: string): Usage {
  const t = /(?:^|\n)\s*(?:total\s+)?tokens used:?\s*\n?\s*([\d,]+)|([\d,]+) tokens used/i.exec(text);
  const c = /(?:total\s+)?cost:\s*\$(\d+(?:\.\d+)?)|\$(\d+(?:\.\d+)?)\s+(?:total\s+)?cost/i.exec(text);
  const tokens = t ? Number((t[1] ?? t[2] ?? '0').replaceAll(',', '')) : 0;
  const usd = c ? Number(c[1] ?? c[2]) : 0;
  return { tokens: int(tokens), usd: money(usd) };
}

export function parseUsage(tool: string, stdout: string, stderr: string): Usage {
  if (tool === 'claude') {
    let found: Usage | null = null;
    // Only top-level usage counts: stream-json assistant events nest theirs under `message`.
    for (const o of jsonObjectLines(stdout)) found = claudeEnvelope(o) ?? found;
    if (found && (found.tokens > 0 || found.usd > 0)) return found;
    return banners(`${stdout}\n${stderr}`);
  }
  if (tool === 'codex') {
    let tokens = 0;
    let seen = false;
    for (const o of jsonObjectLines(stdout)) {
      if (o.type !== 'turn.completed' || !o.usage || typeof o.usage !== 'object') continue;
      const u = o.usage as Record<string, unknown>;
      tokens += int(u.input_tokens) + int(u.output_tokens);
      seen = true;
    }
    if (seen) return { tokens, usd: 0 };
    return { tokens: banners(`${stdout}\n${stderr}`).tokens, usd: 0 };
  }
  if (tool === 'opencode') {
    let tokens = 0;
    let usd = 0;
    for (const o of jsonObjectLines(stdout)) {
      const part = o.part as Record<string, unknown> | undefined;
      if (!part || part.type !== 'step-finish') continue;
      const t = (part.tokens ?? {}) as Record<string, unknown>;
      tokens += typeof t.total === 'number' ? int(t.total) : int(t.input) + int(t.output);
      usd += money(part.cost);
    }
    return { tokens, usd };
  }
  return { tokens: 0, usd: 0 };
}
