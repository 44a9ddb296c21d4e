/**
 * Which request headers cross the sidecar. Every credential the client sent is removed, whatever
 * its name (a stray `x-api-key` too); the real one is added afterwards, so the
 * placeholder the workspace holds never reaches the upstream and nothing the workspace sends can
 * ride along with the real key.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length']);

/**
 * Which organization and project a request is billed to (OpenAI reads these beside the key; a
 * project sets the default service tier too): the credential's choice, never the peer's. Forwarded,
 * a peer billed another account the key belongs to, or a priority project under a standard-tier
 * reservation (SECURITY.md, "Client credentials never reach the vendor").
 */
const BILLING_ACCOUNT = new Set(['openai-organization', 'openai-project']);

export function isCredentialHeader(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'authorization' || n === 'cookie' || n === 'x-auth-token' || n === 'api-key' || n.endsWith('-api-key') || n === 'chatgpt-account-id' || BILLING_ACCOUNT.has(n);
}

/**
 * Headers a server behind the vendor's or a provider's front door may route on instead of the
 * request line (method-override middleware, URL-rewrite front ends, proxies trusting forwarded
 * host and path): the path allow-list checks the request line only, so none crosses (SECURITY.md,
 * "Only the API paths the peer CLIs need"). No peer CLI sends one.
 */
export function isRoutingHeader(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'forwarded' || n === 'x-real-ip' || n === 'x-host' || n === 'x-rewrite-url' || n === 'x-method-override' || n.startsWith('x-http-method') || n.startsWith('x-forwarded-') || n.startsWith('x-original-') || n.startsWith('x-envoy-');
}

/**
 * The only request headers a `provider:` upstream gets: those the CLIs peers points at a
 * provider send (Claude Code 2.1.330 and Codex 0.169.0: opencode takes no `provider:`), captured through the sidecar by
 * real-cli-provider-headers.test.ts, which fails when a CLI sends one not listed here). A provider
 * may be a gateway that takes settings from headers (Portkey's `x-portkey-config`, Cloudflare's
 * `cf-aig-*`, Helicone's `helicone-*`, LiteLLM's `x-litellm-*`: retries, fallbacks, another
 * model), each retry billed against one reservation; no deny-list knows every gateway's names, so
 * every other header is dropped (SECURITY.md, "Providers … are one more upstream").
 */
export const ROUTED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  // Every CLI: the body's type and coding, what reply it takes, who it is.
  'accept', 'content-type', 'content-encoding', 'user-agent',
  // Claude Code (Anthropic's SDK): the API version and the betas the body's fields need.
  'anthropic-version', 'anthropic-beta', 'anthropic-dangerous-direct-browser-access', 'x-app', 'x-claude-code-session-id',
  'x-stainless-arch', 'x-stainless-lang', 'x-stainless-os', 'x-stainless-package-version', 'x-stainless-retry-count', 'x-stainless-runtime', 'x-stainless-runtime-version', 'x-stainless-timeout',
  // Codex: its name, session and turn (a prompt cache's affinity).
  'originator', 'session-id', 'thread-id', 'x-client-request-id', 'x-codex-beta-features', 'x-codex-turn-metadata', 'x-codex-window-id',
]);

/**
 * Builds the upstream request headers: client headers minus hop-by-hop, credentials and routing
 * overrides (for a provider, only ROUTED_REQUEST_HEADERS), then the
 * injected credential headers. `accept-encoding: identity` keeps replies readable by the usage meter.
 * An injected `anthropic-beta` is merged with the client's, not replaced.
 */
export function upstreamHeaders(client: Record<string, string | string[] | undefined>, inject: Record<string, string>, host: string, routed = false): Record<string, string> {
  const out: Record<string, string> = {};
  const named = new Set(String(client.connection ?? '').toLowerCase().split(',').map((s) => s.trim()));
  for (const [k, v] of Object.entries(client)) {
    const n = k.toLowerCase();
    if (v === undefined || HOP_BY_HOP.has(n) || named.has(n) || isCredentialHeader(n) || isRoutingHeader(n)) continue;
    if (routed && !ROUTED_REQUEST_HEADERS.has(n)) continue;
    out[n] = Array.isArray(v) ? v.join(', ') : v;
  }
  for (const [k, v] of Object.entries(inject)) {
    const n = k.toLowerCase();
    out[n] = n === 'anthropic-beta' && out[n] ? mergeList(out[n]!, v) : v;
  }
  out['accept-encoding'] = 'identity';
  out.host = host;
  return out;
}

function mergeList(a: string, b: string): string {
  const items = [...a.split(','), ...b.split(',')].map((s) => s.trim()).filter(Boolean);
  return [...new Set(items)].join(',');
}

/** Response headers that must not be copied to the client (the server sets its own framing). */
export function clientResponseHeaders(upstream: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(upstream)) {
    if (v === undefined || HOP_BY_HOP.has(k.toLowerCase())) continue;
    out[k] = v;
  }
  return out;
}

/** Replaces every occurrence of each secret (≥ 8 chars) with [redacted]: applied to all error text. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 8) out = out.split(s).join('[redacted]');
  return out;
}
