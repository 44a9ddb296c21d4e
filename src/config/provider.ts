/**
 * `provider:` of a peer: which API its CLI talks to instead of the vendor's own. The zod schema
 * here is the single source for the config file, the JSON Schema and the auth sidecar's
 * `--provider` argument; `resolveProvider` is the one place a shorthand becomes a provider.
 *
 *   provider: openrouter                       # shorthand, key in OPENROUTER_API_KEY
 *   provider:
 *     kind: openai-compatible                  # codex: the Responses API at base_url
 *     base_url: https://openrouter.ai/api/v1
 *     key_env: OPENROUTER_API_KEY
 *
 * In the pod a provider is one more upstream of the auth sidecar (its own loopback port, the key
 * held there only, its host on the sidecar's egress allow-list, the same path allow-list and
 * metering: docs/ARCHITECTURE.md, "Providers"). Outside the pod the CLI is pointed at base_url
 * with the key from the environment.
 *
 * Written with zod's functional build (`zod/mini`): the auth sidecar parses its `--provider`
 * arguments with these schemas and then serves for hours, and must not load all of zod for that
 * (BENCHMARKS.md, Memory). Both builds share zod's core, so the config schema (full build) embeds
 * ProviderSchema as it is, and its JSON Schema and messages are the same.
 */
import * as z from 'zod/mini';
import './zod-mini-english.ts';

export const PROVIDER_KINDS = ['anthropic-compatible', 'openai-compatible'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** The API each CLI speaks: Claude Code the Anthropic Messages API, Codex the OpenAI Responses API. */
export const PROVIDER_KIND_BY_TOOL: Partial<Record<string, ProviderKind>> = { claude: 'anthropic-compatible', codex: 'openai-compatible' };

/** The vendors' own APIs (no provider at all) and the shorthands. */
export const PROVIDER_SHORTHANDS = ['anthropic', 'openai', 'openrouter'] as const;

const ENV_NAME = /^[A-Z_][A-Z0-9_]{0,63}$/;
/** Names the sidecar already uses for its own upstreams. */
const RESERVED_NAMES = ['anthropic', 'openai', 'chatgpt'];

/** `base_url` and `key_env`, the fields the config's `provider:` and the sidecar's `--provider` share. */
const BaseUrlSchema = z
  .string()
  .check(
    z.url(),
    z.refine((u) => /^https:\/\/[^/?#@]+(\/[^?#]*)?$/.test(u), 'base_url must be an https URL without a query, fragment or user name'),
    z.refine((u) => !/^https:\/\/(\d{1,3}(\.\d{1,3}){3}|\[)/.test(u), 'base_url must name a host, not an IP address (the egress allow-list is by name)'),
    z.describe('Where the CLI would send its requests: the Anthropic base URL (claude posts <base_url>/v1/messages) or the OpenAI base URL (codex posts <base_url>/responses).'),
  );
const KeyEnvSchema = z
  .string()
  .check(
    z.regex(ENV_NAME, 'key_env must be an environment variable name, e.g. OPENROUTER_API_KEY'),
    z.describe('Environment variable (in the shell that runs peers up) holding the API key; in the pod only the auth sidecar gets it.'),
  );

/**
 * The config's `provider:`, built on first use: the auth sidecar, which needs only the `--provider`
 * schema below, never builds it (each zod schema built runs zod's constructors, and enough of them
 * at start get compiled by the JIT, whose compiler then stays resident: BENCHMARKS.md, Memory).
 */
function buildProviderSchema() {
  const object = z
    .strictObject({
      kind: z.enum(PROVIDER_KINDS).check(z.describe('The API the provider serves: anthropic-compatible (Messages API, for claude) or openai-compatible (Responses API, for codex).')),
      base_url: BaseUrlSchema,
      key_env: KeyEnvSchema,
      name: z
        .optional(
          z.string().check(
            z.regex(/^[a-z][a-z0-9-]{0,31}$/, 'name must be lower-case letters, digits and "-"'),
            z.refine((n) => !RESERVED_NAMES.includes(n), `name must not be one of ${RESERVED_NAMES.join(', ')}`),
          ),
        )
        .check(z.describe('A short name for logs and the usage ledger (default: from the host name).')),
    })
    .check(z.describe('An API-compatible provider the CLI talks to through the auth sidecar.'));
  return z
    .union([z.pipe(z.string().check(z.trim(), z.toLowerCase()), z.enum(PROVIDER_SHORTHANDS)), object])
    .check(z.describe('API provider: anthropic (claude) or openai (codex) for the vendors\' own APIs, openrouter, or {kind, base_url, key_env} for any compatible API.'));
}
let providerSchemaBuilt: ReturnType<typeof buildProviderSchema> | undefined;
/** The schema of a peer's `provider:` (the config schema embeds it). */
export const providerSchema = () => (providerSchemaBuilt ??= buildProviderSchema());
export type ProviderSpec = z.output<ReturnType<typeof buildProviderSchema>>;

/** A provider as the sidecar and the peer's command line use it. */
export type Provider = { name: string; kind: ProviderKind; base_url: string; key_env: string };

export const OPENROUTER_KEY_ENV = 'OPENROUTER_API_KEY';

/** A host name as a provider name: `api.together.xyz` → `together`, `openrouter.ai` → `openrouter`. */
export function providerNameFromUrl(baseUrl: string): string {
  const labels = new URL(baseUrl).hostname.split('.').filter((l) => !['api', 'www', 'gateway'].includes(l));
  const name = (labels.length > 1 ? labels.slice(0, -1) : labels).join('-').replace(/[^a-z0-9-]/g, '-').replace(/^[^a-z]+/, '').slice(0, 32);
  return name && !RESERVED_NAMES.includes(name) ? name : `provider-${name || 'x'}`;
}

/**
 * The provider a peer of `tool` uses, or null for the vendor's own API (`anthropic`, `openai`, or
 * nothing). Throws for a kind the tool cannot speak (the schema reports the same before this runs).
 */
export function resolveProvider(tool: string, spec: ProviderSpec | undefined): Provider | null {
  if (spec === undefined || spec === 'anthropic' || spec === 'openai') return null;
  const kind = PROVIDER_KIND_BY_TOOL[tool];
  if (!kind) throw new Error(`provider is not supported for tool ${tool}`);
  if (spec === 'openrouter') {
    // Claude Code posts <base>/v1/messages, Codex <base>/responses: OpenRouter serves both under /api.
    return { name: 'openrouter', kind, base_url: kind === 'anthropic-compatible' ? 'https://openrouter.ai/api' : 'https://openrouter.ai/api/v1', key_env: OPENROUTER_KEY_ENV };
  }
  if (spec.kind !== kind) throw new Error(`${tool} speaks the ${kind === 'anthropic-compatible' ? 'Anthropic Messages' : 'OpenAI Responses'} API: use kind: ${kind}`);
  return { name: spec.name ?? providerNameFromUrl(spec.base_url), kind: spec.kind, base_url: spec.base_url.replace(/\/+$/, ''), key_env: spec.key_env };
}

/** One line for `peers info`: `openrouter (openai-compatible at https://openrouter.ai/api/v1, key in OPENROUTER_API_KEY)`. */
export function describeProvider(tool: string, spec: ProviderSpec): string {
  const p = PROVIDER_KIND_BY_TOOL[tool] ? resolveProvider(tool, spec) : null;
  return p ? `${p.name} (${p.kind} at ${p.base_url}, key in ${p.key_env})` : typeof spec === 'string' ? spec : spec.base_url;
}

/** Why `spec` does not fit `tool`, or null. Used by the config schema. */
export function providerProblem(tool: string, spec: ProviderSpec): string | null {
  if (spec === 'anthropic' || spec === 'openai') {
    const own = tool === 'claude' ? 'anthropic' : tool === 'codex' ? 'openai' : null;
    if (own === spec) return null;
    if (tool === 'opencode') return 'opencode takes the provider inside the model (model: provider/model), not as provider:';
    return own ? `provider '${spec}' is not supported for ${tool}; use ${own}, openrouter or {kind: ${PROVIDER_KIND_BY_TOOL[tool]}, base_url, key_env}` : `provider is not supported for tool ${tool}; put it in argv or env instead`;
  }
  if (!PROVIDER_KIND_BY_TOOL[tool]) return tool === 'opencode' ? 'opencode takes the provider inside the model (model: provider/model), not as provider:' : `provider is not supported for tool ${tool}; put it in argv or env instead`;
  try {
    resolveProvider(tool, spec);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Where the auth sidecar listens in the pod (the workspace's loopback is the pod's). */
export const SIDECAR_HOST = '127.0.0.1';
/** What the workspace holds instead of a key: the sidecar removes it and adds the real one. */
export const SIDECAR_PLACEHOLDER_KEY = 'peers-auth-sidecar-placeholder';

/** The first loopback port of the sidecar's provider upstreams (8080-8082 are the vendors', 8090 the model server's). */
export const PROVIDER_BASE_PORT = 8100;

/** A provider with the sidecar port serving it in the pod. */
export type ProviderUpstream = Provider & { port: number };

/**
 * The distinct providers of a run's peers, each with its sidecar port. Derived from the config
 * alone, in one place, so `peers up` (which starts the sidecar) and the loop (which points the
 * peers at it) agree. Two peers with the same provider share one upstream; one name used for two
 * different providers is an error.
 */
export function runProviders(peers: readonly { name: string; tool: string; provider?: ProviderSpec }[]): ProviderUpstream[] {
  const distinct = new Map<string, Provider>();
  for (const p of peers) {
    const resolved = resolveProvider(p.tool, p.provider);
    if (resolved) distinct.set(`${resolved.kind} ${resolved.base_url} ${resolved.key_env}`, resolved);
  }
  const byName = new Map<string, Provider[]>();
  for (const p of distinct.values()) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  const named: Provider[] = [];
  for (const [name, group] of byName) {
    // One name for two APIs of one provider (OpenRouter serves both): the kind tells them apart.
    const kinds = new Set(group.map((p) => p.kind));
    if (kinds.size !== group.length) throw new Error(`two providers are named ${name}: give them different names (provider.name)`);
    for (const p of group) named.push(group.length === 1 ? p : { ...p, name: `${name}-${p.kind === 'anthropic-compatible' ? 'anthropic' : 'openai'}` });
  }
  return named.sort((a, b) => a.name.localeCompare(b.name)).map((p, i) => ({ ...p, port: PROVIDER_BASE_PORT + i }));
}

/** The upstream (name and port) a peer's provider is served on, in the list runProviders made. */
export function upstreamFor(list: readonly ProviderUpstream[], provider: Provider): ProviderUpstream | undefined {
  return list.find((u) => u.base_url === provider.base_url && u.key_env === provider.key_env && u.kind === provider.kind);
}

/** `peers sidecar auth --provider JSON`: one provider upstream, as `peers up` writes it. */
export const ProviderArgSchema = z.strictObject({
  name: z.string().check(
    z.regex(/^[a-z][a-z0-9-]{0,40}$/),
    z.refine((n) => !RESERVED_NAMES.includes(n), `must not be one of ${RESERVED_NAMES.join(', ')}`),
  ),
  kind: z.enum(PROVIDER_KINDS),
  base_url: BaseUrlSchema,
  key_env: KeyEnvSchema,
  port: z.number().check(z.int(), z.gte(1), z.lte(65535)),
});

export function formatProviderArg(p: ProviderUpstream): string {
  return JSON.stringify(ProviderArgSchema.parse({ name: p.name, kind: p.kind, base_url: p.base_url, key_env: p.key_env, port: p.port }));
}

/** The provider a `--provider` argument names; throws with the reason. */
export function parseProviderArg(text: string): ProviderUpstream {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error('expected a JSON object {name, kind, base_url, key_env, port}');
  }
  const r = ProviderArgSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new Error(`${issue.path.join('.') || '(object)'}: ${issue.message}`);
  }
  return r.data;
}
