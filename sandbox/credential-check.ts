/**
 * `peers up` with API keys (the default) needs, in the shell that runs it, the key of every vendor
 * the configured peers talk to: the auth sidecar is the only holder of credentials in the pod and
 * exits at once without one, after which every peer's turn fails. Checked before any podman call,
 * so the user gets one clear message naming the variables instead of a pod that cannot work.
 */
import { homedir } from 'node:os';
import { InputError } from '../src/cli/errors.ts';
import { claudeLoginFile, codexLoginFile, loginAt } from '../src/config/login-files.ts';
import type { PeersConfig } from '../src/config/config-schema.ts';
import { opencodeProvider } from '../src/config/opencode-vendor.ts';
import { resolveProvider } from '../src/config/provider.ts';
import { apiKeyValueProblem } from '../src/config/api-key-value.ts';

/** The auth sidecar's upstream key per tool (auth-proxy/upstreams.ts); custom peers bring their own. */
const OPENCODE_KEY_BY_PROVIDER: Record<string, string> = { anthropic: 'ANTHROPIC_API_KEY', openai: 'OPENAI_API_KEY' };

const KEY_BY_TOOL: Partial<Record<PeersConfig['peers'][number]['tool'], string>> = {
  claude: 'ANTHROPIC_API_KEY',
  codex: 'OPENAI_API_KEY',
};

/**
 * The vendor key a peer's tool needs: an opencode peer on an Anthropic model is served by the
 * sidecar's Anthropic upstream, on an OpenAI model (`openai/…`) by its OpenAI one, which only
 * OPENAI_API_KEY enables (src/config/opencode-vendor.ts); on another provider peers cannot tell.
 */
function toolKey(peer: PeersConfig['peers'][number]): string | undefined {
  if (peer.tool === 'opencode') return OPENCODE_KEY_BY_PROVIDER[opencodeProvider(peer)];
  return KEY_BY_TOOL[peer.tool];
}

/** The variable holding the key a peer's requests are sent with: its provider's, else its vendor's. */
export function keyVariable(peer: PeersConfig['peers'][number]): string | undefined {
  return resolveProvider(peer.tool, peer.provider)?.key_env ?? toolKey(peer);
}

/** Each missing variable with the peers that need it, in config order. */
export function missingApiKeys(config: PeersConfig, env: NodeJS.ProcessEnv, opts: { providersOnly?: boolean } = {}): { variable: string; peers: string[] }[] {
  return neededKeys(config, opts).filter((k) => !env[k.variable]);
}

/** Each key variable the configured peers need, with the peers that need it, in config order. */
function neededKeys(config: PeersConfig, opts: { providersOnly?: boolean }): { variable: string; peers: string[] }[] {
  const needed = new Map<string, string[]>();
  for (const peer of config.peers) {
    const provider = resolveProvider(peer.tool, peer.provider);
    // With subscription logins, a provider peer still needs its provider's key.
    if (opts.providersOnly && !provider) continue;
    const variable = provider?.key_env ?? toolKey(peer);
    if (variable) needed.set(variable, [...(needed.get(variable) ?? []), peer.name]);
  }
  return [...needed].map(([variable, peers]) => ({ variable, peers }));
}

/** Throws the exit-2 error `peers up` shows when a peer's vendor key is not set. */
/**
 * `loginFor`: the CLI login file on this machine that could stand in for a missing key (usable, as
 * the auth sidecar reads it), or undefined. When every missing key has one, the user is logged in
 * already and only forgot the flag: the hint says so first, naming the files.
 */
export function assertApiKeys(config: PeersConfig, configPath: string, env: NodeJS.ProcessEnv, opts: { providersOnly?: boolean; loginFor?: (variable: string) => string | undefined } = {}): void {
  // A key that is there but cannot be one (empty, a pasted line break, quotes): said as such, not as "not set".
  // Every vendor key the peers use is checked, with a login too: the auth sidecar takes a key set
  // beside a login file over the login, so a broken one failed every turn under oauth-file as well.
  const bad = neededKeys(config, { ...opts, providersOnly: false }).flatMap((k) => {
    const problem = apiKeyValueProblem(k.variable, env[k.variable]);
    return problem && env[k.variable] !== '' ? [{ ...k, problem }] : [];
  });
  if (bad.length) {
    throw new InputError(bad.map((b) => `${b.variable} (for ${b.peers.join(', ')}) ${b.problem.what}`).join('; '), { location: { file: configPath }, hint: `${bad.map((b) => b.problem.fix).join('; ')}; then peers up again` });
  }
  const missing = missingApiKeys(config, env, opts);
  if (!missing.length) return;
  const empty = (m: { variable: string }) => env[m.variable] === '';
  const what = missing.map((m) => `${m.variable} (for ${m.peers.join(', ')})${missing.length > 1 && empty(m) ? ' (set but empty)' : ''}`).join(' and ');
  const exportKeys = `export ${missing.map((m) => `${m.variable}=…`).join(' ')} in this shell, then peers up again (the key goes to the auth sidecar only, never to the peers)`;
  const logins = missing.map((m) => opts.loginFor?.(m.variable));
  const hint = logins.every((l) => l !== undefined)
    ? `you are logged in on this machine (${[...new Set(logins)].join(', ')}): peers up --credentials oauth-file runs on those logins; or ${exportKeys}`
    : `${exportKeys}; or use your CLI logins with --credentials oauth-file`;
  const verb = missing.length > 1 ? 'are not set' : empty(missing[0]!) ? 'is set but empty' : 'is not set';
  throw new InputError(`no API key for the configured peers: ${what} ${verb}`, { location: { file: configPath }, hint });
}

/** The usable CLI login file that serves the vendor of `variable` (ANTHROPIC_API_KEY, OPENAI_API_KEY), if any. */
export function usableLoginFor(variable: string, env: NodeJS.ProcessEnv): string | undefined {
  const home = env.HOME || homedir();
  const file = variable === 'ANTHROPIC_API_KEY' ? claudeLoginFile(env, home) : variable === 'OPENAI_API_KEY' ? codexLoginFile(env, home) : undefined;
  if (!file) return undefined;
  return loginAt(file, variable === 'ANTHROPIC_API_KEY' ? 'claude' : 'codex').state === 'usable' ? file : undefined;
}
