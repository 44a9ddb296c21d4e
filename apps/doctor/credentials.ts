/**
 * Can each configured peer authenticate? Per peer: the API key its vendor needs (by name; the value
 * is never read out, printed or logged) or the CLI's login file, and what to do when neither is
 * there. Mirrors what `peers up` will need: keys by default, login files with
 * `--credentials oauth-file` (sandbox/credential-check.ts, sandbox/pod-plan.ts oauthMounts).
 */
import { claudeLoginFile, codexLoginFile, EXPIRED_LOGIN_NOTE, expiredAgo } from '../../src/config/login-files.ts';
import type { PeerSpec } from '../../src/config/config-schema.ts';
import { OPENCODE_OWN_CONFIG_ENV, opencodeLoginFile, opencodeProvider } from '../../src/config/opencode-vendor.ts';
import { resolveProvider } from '../../src/config/provider.ts';
import { apiKeyValueProblem } from '../../src/config/api-key-value.ts';

export type CredentialFinding = { status: 'ok' | 'fail' | 'skip'; detail: string; fix?: string };

type Vendor = { key: string; loginFile: (env: Record<string, string | undefined>, home: string) => string; login: string; endpointEnv: string[] };

const VENDORS: Partial<Record<PeerSpec['tool'], Vendor>> = {
  claude: { key: 'ANTHROPIC_API_KEY', loginFile: claudeLoginFile, login: 'claude', endpointEnv: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL', 'CLAUDE_CONFIG_DIR'] },
  codex: { key: 'OPENAI_API_KEY', loginFile: codexLoginFile, login: 'codex login', endpointEnv: ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'CODEX_HOME'] },
};

/** When a login file's access token expires (epoch ms; null when it does not say), and the time now. */
export type LoginClock = { expiresAtMs: (path: string) => number | null; nowMs: number };

/**
 * An access token that has expired is normal (Claude's last hours): the auth sidecar renews it with
 * the refresh token before the first request. The user is told, and told what happens if the vendor
 * refuses the renewal, so an old login is not a surprise at 3 am.
 */
function expiryNote(expiresAtMs: number | null, nowMs: number): string {
  const ago = expiredAgo(expiresAtMs, nowMs);
  return ago ? `; its access token expired ${ago}: ${EXPIRED_LOGIN_NOTE}` : '';
}

const tilde = (path: string, home: string) => (path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path);

/**
 * `loginProblem`: why a login file that is there holds no login the auth sidecar can use (a
 * logged-out CLI's `{}`), or undefined when it does.
 */
export function peerCredentials(peer: PeerSpec, env: Record<string, string | undefined>, home: string, isFile: (path: string) => boolean, loginProblem: (path: string) => string | undefined = () => undefined, login?: LoginClock): CredentialFinding {
  if (peer.tool === 'opencode') return opencodeCredentials(peer, env, home, isFile, loginProblem, login);
  const vendor = VENDORS[peer.tool];
  if (!vendor) {
    return { status: 'skip', detail: `peers cannot tell where ${peer.tool === 'custom' ? 'a custom CLI' : peer.tool} keeps its credentials: make sure its provider key reaches it (\`peers info\` shows its command and env)` };
  }
  const provider = resolveProvider(peer.tool, peer.provider);
  if (provider) {
    const badKey = apiKeyValueProblem(provider.key_env, env[provider.key_env]);
    if (badKey) return { status: 'fail', detail: `provider ${provider.name}, but ${provider.key_env} ${badKey.what}`, fix: badKey.fix };
    return env[provider.key_env]
      ? { status: 'ok', detail: `${provider.key_env} is set (provider ${provider.name}: only the auth sidecar will hold it)` }
      : { status: 'fail', detail: `provider ${provider.name}, but ${provider.key_env} is not set`, fix: `export ${provider.key_env}=… in the shell that runs \`peers up\`` };
  }
  const own = vendor.endpointEnv.filter((k) => peer.env?.[k] !== undefined);
  if (own.length) return { status: 'ok', detail: `config.yaml sets ${own.join(', ')} for this peer (a rehearsal or your own endpoint): not checked` };
  const badKey = apiKeyValueProblem(vendor.key, env[vendor.key]);
  const file = vendor.loginFile(env, home);
  // An empty key is no key: with a login beside it the run uses the login, as `peers up --credentials oauth-file` does.
  if (badKey && !(env[vendor.key] === '' && isFile(file))) return { status: 'fail', detail: `${vendor.key} ${badKey.what}`, fix: badKey.fix };
  if (env[vendor.key]) return { status: 'ok', detail: `${vendor.key} is set (an API key: only the auth sidecar will hold it)` };
  const problem = isFile(file) ? loginProblem(file) : undefined;
  if (problem) return { status: 'fail', detail: `${vendor.key} is not set and the login file holds no usable login: ${problem}`, fix: `log in again with \`${vendor.login}\`, or export ${vendor.key}=… in the shell that runs \`peers up\`` };
  if (isFile(file)) return { status: 'ok', detail: `logged in (${tilde(file, home)}${expiryNote(login?.expiresAtMs(file) ?? null, login?.nowMs ?? 0)}), no ${vendor.key}: start the run with \`peers up --credentials oauth-file\`` };
  return {
    status: 'fail',
    detail: `no credentials: ${vendor.key} is not set and there is no login file (${tilde(file, home)})`,
    fix: `export ${vendor.key}=… in the shell that runs \`peers up\`, or log in with \`${vendor.login}\` and use \`peers up --credentials oauth-file\``,
  };
}

/**
 * opencode in the pod is served by the auth sidecar's Anthropic upstream (src/config/opencode-vendor.ts),
 * so it needs what a claude peer needs; its own login file is not used there, which a user who
 * logged in with `opencode auth login` is told instead of a run whose every turn fails.
 */
function opencodeCredentials(peer: PeerSpec, env: Record<string, string | undefined>, home: string, isFile: (path: string) => boolean, loginProblem: (path: string) => string | undefined, login?: LoginClock): CredentialFinding {
  const own = opencodeLoginFile(env, home);
  const provider = opencodeProvider(peer);
  if (provider === 'own-config') {
    const set = OPENCODE_OWN_CONFIG_ENV.filter((k) => peer.env?.[k] !== undefined);
    return { status: 'ok', detail: `config.yaml sets ${set.join(', ')} for this peer (a rehearsal or your own endpoint): not checked` };
  }
  if (provider === 'openai') {
    const badKey = apiKeyValueProblem('OPENAI_API_KEY', env.OPENAI_API_KEY);
    if (badKey) return { status: 'fail', detail: `OPENAI_API_KEY ${badKey.what}`, fix: badKey.fix };
    // The sidecar's OpenAI route, which only the API key enables (sandbox/pod-plan.ts assertLoginsCover).
    return env.OPENAI_API_KEY
      ? { status: 'ok', detail: `OPENAI_API_KEY is set (model ${peer.model}: the auth sidecar's OpenAI upstream serves it)` }
      : { status: 'fail', detail: `model ${peer.model} is served by the auth sidecar's OpenAI upstream, and OPENAI_API_KEY is not set (a Codex login does not serve opencode)`, fix: 'export OPENAI_API_KEY=… in the shell that runs `peers up`, or give this peer `model: anthropic/…`' };
  }
  if (provider !== 'anthropic') {
    return { status: 'skip', detail: `model ${peer.model} names provider ${provider}: the pod's auth sidecar serves opencode only through Anthropic (model: anthropic/…) and OpenAI (model: openai/…), so peers cannot check this one` };
  }
  const found = peerCredentials({ ...peer, tool: 'claude' }, env, home, isFile, loginProblem, login);
  if (!isFile(own)) return found;
  const note = `opencode's own login (${tilde(own, home)}) is not used: in the pod only the auth sidecar holds credentials`;
  return { ...found, detail: `${found.detail}; ${note}` };
}
