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

export const PROMPT_PLACEHOLDER = '{PROMPT}';
export const OPENROUTER_KEY_ENV = 'OPENROUTER_API_KEY';
/**
 * In the pod (set on the loop by sandbox/pod-spec.ts): the auth sidecar's OpenAI URL. codex ignores
 * OPENAI_BASE_URL, so a codex peer that names no provider of its own is given one pointing there.
 */
export const CODEX_BASE_URL_ENV = 'PEERS_CODEX_BASE_URL';
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

export type BuildOptions = { hostEnv?: Record<string, string | undefined> };

/** `--x` or `--x=…` anywhere in argv (short aliases passed too). */
function hasSwitch(argv: readonly string[], ...names: string[]): boolean {
  return argv.some((a) => names.some((n) => a === n || a.startsWith(`${n}=`)));
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

function claudeArgv(peer: PeerSpec, hostEnv: BuildOptions['hostEnv'], out: PeerCommand): string[] {
  const extra: string[] = [];
  if (peer.model && !hasSwitch(peer.argv, '--model')) extra.push('--model', peer.model);
  if (peer.reasoning && !hasSwitch(peer.argv, '--effort')) extra.push('--effort', peer.reasoning);
  if (peer.provider === 'openrouter') {
    // Claude Code speaks the Anthropic API; OpenRouter serves it under /api with a bearer token.
    out.env.ANTHROPIC_BASE_URL = 'https://openrouter.ai/api';
    out.env.ANTHROPIC_API_KEY = '';
    const key = hostEnv?.[OPENROUTER_KEY_ENV];
    if (key) out.env.ANTHROPIC_AUTH_TOKEN = key;
    else out.missingEnv.push(OPENROUTER_KEY_ENV);
  }
  return insertBeforePrompt(peer.argv, extra);
}

function codexArgv(peer: PeerSpec, hostEnv: BuildOptions['hostEnv'], out: PeerCommand): string[] {
  const present = codexConfig(peer.argv);
  const pairs: [string, string][] = [];
  if (peer.provider === 'openrouter') {
    const configuredProvider = present.get('model_provider');
    if (configuredProvider === undefined) pairs.push(['model_provider', 'openrouter']);
    // A user who routes codex to another provider in argv keeps it; we add nothing for openrouter.
    if (configuredProvider === undefined || configuredProvider.replace(/^["']|["']$/g, '') === 'openrouter') {
      const defaults: [string, string][] = [
        ['model_providers.openrouter.name', 'openrouter'],
        ['model_providers.openrouter.base_url', 'https://openrouter.ai/api/v1'],
        ['model_providers.openrouter.env_key', OPENROUTER_KEY_ENV],
      ];
      for (const [k, v] of defaults) if (!present.has(k)) pairs.push([k, v]);
      if (!hostEnv?.[OPENROUTER_KEY_ENV]) out.missingEnv.push(OPENROUTER_KEY_ENV);
    }
  }
  if (peer.model && !hasSwitch(peer.argv, '--model', '-m') && !present.has('model')) pairs.push(['model', peer.model]);
  if (peer.reasoning && !present.has('model_reasoning_effort')) pairs.push(['model_reasoning_effort', peer.reasoning]);
  // TOML basic strings and JSON strings agree for these values, so JSON.stringify quotes them.
  const extra = pairs.flatMap(([k, v]) => ['-c', `${k}=${JSON.stringify(v)}`]);
  const sidecar = hostEnv?.[CODEX_BASE_URL_ENV];
  if (sidecar && peer.provider !== 'openrouter' && !present.has('model_provider') && !present.has('openai_base_url')) {
    // wire_api "responses" over plain HTTPS: the built-in provider would first try a WebSocket the
    // sidecar does not forward. The key is the workspace's placeholder; the sidecar swaps it.
    const table = `{ name = "OpenAI through the peers auth sidecar", base_url = ${JSON.stringify(sidecar)}, wire_api = "responses", env_key = "OPENAI_API_KEY" }`;
    extra.push('-c', `model_providers.${CODEX_SIDECAR_PROVIDER}=${table}`, '-c', `model_provider=${JSON.stringify(CODEX_SIDECAR_PROVIDER)}`);
  }
  if (extra.length === 0) return [...peer.argv];
  const argv = peer.argv;
  if (basename(argv[0] ?? '') !== 'codex') return insertBeforePrompt(argv, extra);
  // `-c` is accepted both globally and by `codex exec`; after `exec` reads most naturally.
  const at = argv[1] === 'exec' ? 2 : 1;
  return [...argv.slice(0, at), ...extra, ...argv.slice(at)];
}

function opencodeArgv(peer: PeerSpec): string[] {
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
  if (peer.tool === 'claude') argv = claudeArgv(peer, hostEnv, out);
  else if (peer.tool === 'codex') argv = codexArgv(peer, hostEnv, out);
  else if (peer.tool === 'opencode') argv = opencodeArgv(peer);
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
