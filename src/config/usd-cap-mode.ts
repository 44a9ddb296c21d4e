/**
 * Whether `budget.max_usd` is enforced. With `max_usd_mode: auto` it is a hard stop as soon as one
 * peer bills through an API key (real money per token), and only a warning when every peer runs
 * on a subscription login (OAuth), where a USD figure is an estimate, not a bill.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PeersConfig } from './config-schema.ts';
import { claudeLoginFile, codexLoginFile } from './login-files.ts';
import { PROVIDER_KIND_BY_TOOL, resolveProvider } from './provider.ts';

export type UsdCapMode = 'hard' | 'warn' | 'off';
export type Billing = 'api' | 'oauth' | 'unknown';
export type ResolvedUsdCapMode = { mode: UsdCapMode; reason: string };

const SMALL_FILE = 1024 * 1024;

/** A regular, readable file of at most 1 MiB (never through a symlink), parsed as JSON. */
function readSmallJson(path: string): unknown {
  try {
    const st = lstatSync(path);
    if (!st.isFile() || st.size > SMALL_FILE) return undefined;
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function isSmallRegularFile(path: string): boolean {
  try {
    const st = lstatSync(path);
    return st.isFile() && st.size <= SMALL_FILE;
  } catch {
    return false;
  }
}

export function detectBilling(tool: string, env: Record<string, string | undefined>, homeDir: string): Billing {
  if (tool === 'claude') {
    if (env.ANTHROPIC_API_KEY) return 'api';
    if (isSmallRegularFile(claudeLoginFile(env, homeDir))) return 'oauth';
    const state = readSmallJson(join(homeDir, '.claude.json'));
    if (state && typeof state === 'object' && ['userID', 'hasOpusPlanDefault', 'passesEligibilityCache'].some((k) => k in state)) return 'oauth';
    return 'unknown';
  }
  if (tool === 'codex') {
    if (env.OPENAI_API_KEY) return 'api';
    const auth = readSmallJson(codexLoginFile(env, homeDir));
    if (!auth || typeof auth !== 'object') return 'unknown';
    const a = auth as Record<string, unknown>;
    const mode = typeof a.auth_mode === 'string' ? a.auth_mode.toLowerCase() : undefined;
    if (mode === 'chatgpt' || mode === 'oauth') return 'oauth';
    if (mode === 'apikey' || mode === 'api_key' || mode === 'api-key') return 'api';
    if (a.tokens && !a.OPENAI_API_KEY) return 'oauth';
    if (a.OPENAI_API_KEY) return 'api';
    return 'unknown';
  }
  return 'unknown';
}

export type PeerBilling = { name: string; billing: Billing };

/** `max_usd_mode: auto` for peers whose billing is known: hard as soon as one pays per token. */
export function decideAutoUsdMode(billing: PeerBilling[]): ResolvedUsdCapMode {
  if (billing.length === 0) return { mode: 'warn', reason: 'auto: no peers configured' };
  const api = billing.filter((b) => b.billing === 'api');
  if (api.length > 0) return { mode: 'hard', reason: `auto: ${api.map((b) => b.name).join(', ')} ${api.length === 1 ? 'bills' : 'bill'} through an API key` };
  if (billing.every((b) => b.billing === 'oauth')) return { mode: 'warn', reason: 'auto: every peer uses a subscription login (OAuth)' };
  return { mode: 'warn', reason: `auto: billing ${billing.map((b) => `${b.name}=${b.billing}`).join(', ')}` };
}

/** The decision for a run on this machine, outside the pod (`peers loop` on the host, `peers info` before any `up`). */
export function resolveUsdCapMode(config: PeersConfig, env: Record<string, string | undefined>, homeDir: string): ResolvedUsdCapMode {
  const declared = config.budget.max_usd_mode;
  if (declared !== 'auto') return { mode: declared, reason: `explicit max_usd_mode=${declared}` };
  // A provider (OpenRouter, any compatible API) is reached with its API key: real money per token.
  return decideAutoUsdMode(config.peers.map((p) => ({ name: p.name, billing: PROVIDER_KIND_BY_TOOL[p.tool] && resolveProvider(p.tool, p.provider) ? 'api' : detectBilling(p.tool, env, homeDir) })));
}
