/**
 * The exact command line a peer runs: the configured argv, plus model / reasoning / provider
 * translated into that CLI's own flags, plus the prompt (substituted into argv or sent on stdin),
 * plus the git identity its commits are made with (git-identity.ts).
 * A switch the user already wrote in argv always wins over the semantic field, so argv stays the
 * escape hatch for anything this mapping does not know.
 */
import { basename } from 'node:path';
import type { PeerSpec } from './config-schema.ts';
import { identityEnv, resolvePeerIdentity, userIdentityFromEnv } from './git-identity.ts';
import { type Provider, type ProviderUpstream, resolveProvider, SIDECAR_HOST, SIDECAR_PLACEHOLDER_KEY, upstreamFor } from './provider.ts';

export const PROMPT_PLACEHOLDER = '{PROMPT}';
export { OPENROUTER_KEY_ENV } from './provider.ts';
/**
 * In the pod (set on the loop by sandbox/pod-env.ts): the auth sidecar's OpenAI URL. codex ignores
 * OPENAI_BASE_URL, so a codex peer that names no provider of its own is given one pointing there.
 */
export const CODEX_BASE_URL_ENV = 'PEERS_CODEX_BASE_URL';
/**
 * In the pod (set on the loop by sandbox/pod-env.ts): the auth sidecar's Anthropic URL, the
 * workspace's ANTHROPIC_BASE_URL. Claude Code appends `/v1/messages` to it; opencode's Anthropic
 * provider appends only `/messages` (its base URL names the API version), so an opencode peer is
 * given this URL with `/v1`: else every request of its went to `/messages`, which the sidecar does
 * not forward (auth-proxy/api-routes.ts), and every turn failed.
 */
export const ANTHROPIC_BASE_URL_ENV = 'PEERS_ANTHROPIC_BASE_URL';
/** The codex `model_providers` key of that provider. */
export const CODEX_SIDECAR_PROVIDER = 'peers-auth-sidecar';

export type PeerCommand = {
  argv: string[];
  /** Variables to set for the peer on top of the inherited environment (its git identity included). */
  env: Record<string, string>;
  /** The prompt, when it is delivered on standard input; undefined → stdin is /dev/null. */
  stdin?: string;
  /** Host variables this peer needs (provider keys) that `hostEnv` did not have. */
  missingEnv: string[];
};

export type BuildOptions = {
  hostEnv?: Record<string, string | undefined>;
  /** In the pod: the auth sidecar's provider upstreams (runProviders), which the peers are pointed at. */
  providers?: readonly ProviderUpstream[];
};

/** `--x` or `--x=…` anywhere in argv (short aliases passed too). */
function hasSwitch(argv: readonly string[], ...names: string[]): boolean {
  return argv.some((a) => names.some((n) => a === n || a.startsWith(`${n}=`)));
}

/**
 * A codex argv that names its own provider or base URL (`-c model_provider=…`, `-c openai_base_url=…`:
 * a rehearsal's model server, an endpoint of the user's) is not routed to a vendor by peers: no
 * sidecar provider is added to it, and it needs no vendor host.
 */
export function codexRoutesItself(argv: readonly string[]): boolean {
  const present = codexConfig(argv);
  return present.has('model_provider') || present.has('openai_base_url');
}

/** Settings made through codex `-c key=value` / `--config key=value` / `--config=key=value` (last wins). */
function codexConfig(argv: readonly string[]): Map<string, string> {
  const settings = new Map<string, string>();
  argv.forEach((a, i) => {
    let kv: string | undefined;
    if ((a === '-c' || a === '--config') && i + 1 < argv.length) kv = argv[i + 1];
    else if (a.startsWith('--config=')) kv = a.slice('--config='.length);
    if (kv?.includes('=')) settings.set(kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim());
  });
  return settings;
}

/** Inserts `extra` just before the first element holding {PROMPT}, or appends it. */
function insertBeforePrompt(argv: string[], extra: string[]): string[] {
  const at = argv.findIndex((a) => a.includes(PROMPT_PLACEHOLDER));
  return at < 0 ? [...argv, ...extra] : [...argv.slice(0, at), ...extra, ...argv.slice(at)];
}

/** Where a provider peer's CLI is pointed: the auth sidecar's port for it in the pod, else the provider itself. */
function providerTarget(provider: Provider, opts: BuildOptions): { url: string; viaSidecar: boolean } {
  if (!opts.providers) return { url: provider.base_url, viaSidecar: false };
  const up = upstreamFor(opts.providers, provider);
  if (!up) throw new Error(`provider ${provider.name} has no auth sidecar upstream in this run`);
  return { url: `http://${SIDECAR_HOST}:${up.port}`, viaSidecar: true };
}

function claudeArgv(peer: PeerSpec, opts: BuildOptions, out: PeerCommand): string[] {
  const extra: string[] = [];
  if (peer.model && !hasSwitch(peer.argv, '--model')) extra.push('--model', peer.model);
  if (peer.reasoning && !hasSwitch(peer.argv, '--effort')) extra.push('--effort', peer.reasoning);
  const provider = resolveProvider('claude', peer.provider);
  if (provider) {
    // Claude Code speaks the Anthropic Messages API to ANTHROPIC_BASE_URL.
    const target = providerTarget(provider, opts);
    out.env.ANTHROPIC_BASE_URL = target.url;
    if (target.viaSidecar) {
      // The sidecar replaces this placeholder with the real key; the workspace never holds it.
      out.env.ANTHROPIC_API_KEY = SIDECAR_PLACEHOLDER_KEY;
      out.env.ANTHROPIC_AUTH_TOKEN = '';
    } else {
      // Compatible APIs (OpenRouter among them) take the key as a bearer token.
      out.env.ANTHROPIC_API_KEY = '';
      const key = opts.hostEnv?.[provider.key_env];
      if (key) out.env.ANTHROPIC_AUTH_TOKEN = key;
      else out.missingEnv.push(provider.key_env);
    }
  }
  return insertBeforePrompt(peer.argv, extra);
}

function codexArgv(peer: PeerSpec, opts: BuildOptions, out: PeerCommand): string[] {
  const present = codexConfig(peer.argv);
  const pairs: [string, string][] = [];
  const provider = resolveProvider('codex', peer.provider);
  let viaSidecar = false;
  if (provider) {
    const id = provider.name;
    const configuredProvider = present.get('model_provider');
    if (configuredProvider === undefined) pairs.push(['model_provider', id]);
    // A user who routes codex to another provider in argv keeps it; we add nothing for this one.
    if (configuredProvider === undefined || configuredProvider.replace(/^["']|["']$/g, '') === id) {
      const target = providerTarget(provider, opts);
      const defaults: [string, string][] = [
        [`model_providers.${id}.name`, id],
        [`model_providers.${id}.base_url`, target.url],
        [`model_providers.${id}.env_key`, provider.key_env],
        [`model_providers.${id}.wire_api`, 'responses'],
      ];
      for (const [k, v] of defaults) if (!present.has(k)) pairs.push([k, v]);
      // Codex sends $env_key as a bearer token: in the pod a placeholder the sidecar replaces.
      viaSidecar = target.viaSidecar;
      if (target.viaSidecar) out.env[provider.key_env] = SIDECAR_PLACEHOLDER_KEY;
      else if (!opts.hostEnv?.[provider.key_env]) out.missingEnv.push(provider.key_env);
    }
  }
  if (peer.model && !hasSwitch(peer.argv, '--model', '-m') && !present.has('model')) pairs.push(['model', peer.model]);
  if (peer.reasoning && !present.has('model_reasoning_effort')) pairs.push(['model_reasoning_effort', peer.reasoning]);
  // TOML basic strings and JSON strings agree for these values, so JSON.stringify quotes them.
  const extra = pairs.flatMap(([k, v]) => ['-c', `${k}=${JSON.stringify(v)}`]);
  const sidecar = opts.hostEnv?.[CODEX_BASE_URL_ENV];
  if (sidecar && !provider && !codexRoutesItself(peer.argv)) {
    // wire_api "responses" over plain HTTPS: the built-in provider would first try a WebSocket the
    // sidecar does not forward. The key is the workspace's placeholder; the sidecar swaps it.
    const table = `{ name = "OpenAI through the peers auth sidecar", base_url = ${JSON.stringify(sidecar)}, wire_api = "responses", env_key = "OPENAI_API_KEY" }`;
    extra.push('-c', `model_providers.${CODEX_SIDECAR_PROVIDER}=${table}`, '-c', `model_provider=${JSON.stringify(CODEX_SIDECAR_PROVIDER)}`);
    viaSidecar = true;
  }
  // Codex offers its model OpenAI's server-side web search on every turn (for most models): the
  // vendor would reach the web for the peer, outside the run's egress allow-list, so the auth
  // sidecar refuses every such request (SECURITY.md, "The vendor reaches nothing for a peer") and
  // every turn would fail. A `web_search` the user set in argv still wins (and is refused).
  if (viaSidecar && !present.has('web_search') && !present.has('tools.web_search')) extra.push('-c', 'web_search="disabled"');
  if (extra.length === 0) return [...peer.argv];
  const argv = peer.argv;
  if (basename(argv[0] ?? '') !== 'codex') return insertBeforePrompt(argv, extra);
  // `-c` is accepted both globally and by `codex exec`; after `exec` reads most naturally.
  const at = argv[1] === 'exec' ? 2 : 1;
  return [...argv.slice(0, at), ...extra, ...argv.slice(at)];
}

function opencodeArgv(peer: PeerSpec, opts: BuildOptions, out: PeerCommand): string[] {
  const sidecar = opts.hostEnv?.[ANTHROPIC_BASE_URL_ENV];
  // A base URL the user set for this peer (a rehearsal, their own endpoint) wins.
  if (sidecar && peer.env?.ANTHROPIC_BASE_URL === undefined) out.env.ANTHROPIC_BASE_URL = `${sidecar.replace(/\/+$/, '')}/v1`;
  const extra: string[] = [];
  if (peer.model && !hasSwitch(peer.argv, '-m', '--model')) extra.push('-m', peer.model);
  if (peer.reasoning && !hasSwitch(peer.argv, '--variant')) extra.push('--variant', peer.reasoning);
  return insertBeforePrompt(peer.argv, extra);
}

export function buildPeerArgv(peer: PeerSpec, prompt: string, opts: BuildOptions = {}): PeerCommand {
  const hostEnv = opts.hostEnv ?? process.env;
  // The git identity comes first, so a GIT_AUTHOR_* the user wrote in the peer's env still wins.
  const identity = identityEnv(resolvePeerIdentity(peer, userIdentityFromEnv(hostEnv)));
  const out: PeerCommand = { argv: [], env: { ...identity, ...(peer.env ?? {}), PEERS_PEER_NAME: peer.name }, missingEnv: [] };
  let argv: string[];
  if (peer.tool === 'claude') argv = claudeArgv(peer, { ...opts, hostEnv }, out);
  else if (peer.tool === 'codex') argv = codexArgv(peer, { ...opts, hostEnv }, out);
  else if (peer.tool === 'opencode') argv = opencodeArgv(peer, { ...opts, hostEnv }, out);
  else argv = [...peer.argv];
  if (peer.prompt_mode === 'argv-substitute') {
    // split/join, not String.replace: a prompt containing "$&" must arrive verbatim.
    out.argv = argv.map((a) => a.split(PROMPT_PLACEHOLDER).join(prompt));
  } else {
    out.argv = argv;
    out.stdin = prompt;
  }
  return out;
}
