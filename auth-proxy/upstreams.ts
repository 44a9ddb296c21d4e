/**
 * The upstreams the credential sidecar fronts: one loopback port each, each forwarding only to
 * its one fixed origin. The workspace is pointed at these ports with placeholder keys. Besides
 * the three vendor upstreams, each provider of the run's config is one more (providerUpstream).
 */
import type { ProviderUpstream } from '../src/config/provider.ts';
import type { RouteSet } from './api-routes.ts';

export type UpstreamId = 'anthropic' | 'openai' | 'chatgpt';

export type UpstreamSpec = {
  /** The vendor upstream's id, or the provider's name: what logs and the usage ledger call it. */
  id: string;
  /** Which API paths it forwards (api-routes.ts). */
  routes: RouteSet;
  /** scheme://host[:port] the sidecar forwards to; nothing else is reachable through this port. */
  origin: string;
  /** Prepended to every request path (Codex's ChatGPT backend lives under /backend-api/codex). */
  pathPrefix: string;
  defaultPort: number;
  /** Environment variable holding the API key in the default (API key) mode. */
  apiKeyEnv: string;
  /** Which error body shape the upstream's own clients understand. */
  errorShape: 'anthropic' | 'openai';
  /**
   * A router (a `provider:`): it bills what the provider it picks charges, which may be above the
   * table's first-party price, so its requests are reserved with a margin (usage/budget.ts).
   */
  routed?: boolean;
};

export const UPSTREAMS: Record<UpstreamId, UpstreamSpec> = {
  anthropic: { id: 'anthropic', routes: 'anthropic', origin: 'https://api.anthropic.com', pathPrefix: '', defaultPort: 8080, apiKeyEnv: 'ANTHROPIC_API_KEY', errorShape: 'anthropic' },
  openai: { id: 'openai', routes: 'openai', origin: 'https://api.openai.com', pathPrefix: '', defaultPort: 8081, apiKeyEnv: 'OPENAI_API_KEY', errorShape: 'openai' },
  chatgpt: { id: 'chatgpt', routes: 'responses', origin: 'https://chatgpt.com', pathPrefix: '/backend-api/codex', defaultPort: 8082, apiKeyEnv: '', errorShape: 'openai' },
};

export type ParsedOrigin = { tls: boolean; host: string; port: number };

export function parseOrigin(origin: string): ParsedOrigin {
  const u = new URL(origin);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`upstream origin must be http(s): ${origin}`);
  if (u.pathname !== '/' || u.search || u.username || u.password) throw new Error(`upstream origin must be scheme://host[:port] only: ${origin}`);
  const tls = u.protocol === 'https:';
  return { tls, host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : tls ? 443 : 80 };
}

/**
 * A provider as an upstream: its base URL split into the origin it forwards to and the path
 * prefix it adds, the routes of the API it is compatible with (the CLI keeps the paths it sends
 * its vendor: claude `/v1/messages` under an Anthropic base URL, codex `/responses` under an
 * OpenAI one), and the key from `key_env`.
 */
export function providerUpstream(p: ProviderUpstream): UpstreamSpec {
  const u = new URL(p.base_url);
  const anthropic = p.kind === 'anthropic-compatible';
  return {
    id: p.name,
    routes: anthropic ? 'anthropic' : 'responses',
    origin: u.origin,
    pathPrefix: u.pathname.replace(/\/+$/, ''),
    defaultPort: p.port,
    apiKeyEnv: p.key_env,
    errorShape: anthropic ? 'anthropic' : 'openai',
    routed: true,
  };
}
