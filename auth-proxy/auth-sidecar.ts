/**
 * Assembles the credential sidecar from its command-line inputs: one AuthServer per upstream,
 * one shared usage ledger (so the budget covers every upstream together), and the credential
 * source each upstream uses. `peers sidecar auth` is a thin wrapper around this.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../src/cli/errors.ts';
import { parseBridgeTarget } from '../proxy/bridge.ts';
import { AuthServer } from './auth-server.ts';
import { ApiKeySource, type CredentialSource } from './credential-source.ts';
import type { ConnectOptions } from './egress-connector.ts';
import { claudeCredentials, codexAuth } from './oauth/formats.ts';
import { OAuthFileSource } from './oauth/oauth-file-source.ts';
import { tokenPostVia } from './oauth/token-post.ts';
import { UPSTREAMS, type UpstreamId } from './upstreams.ts';
import { type BudgetCaps, capsFromEnv, capsFromFile, tightest } from './usage/budget.ts';
import { UsageLedger } from './usage/usage-ledger.ts';

export type AuthSidecarInput = {
  upstreams: UpstreamId[];
  host: string;
  ports: Partial<Record<UpstreamId, number>>;
  origins: Partial<Record<UpstreamId, string>>;
  egress: string;
  credentials: 'api-key' | 'oauth-file';
  claudeCredentialsPath?: string;
  codexAuthPath?: string;
  oauthRefresh: 'when-needed' | 'never';
  usageLedger: string;
  caps: BudgetCaps;
  budgetFile?: string;
  env: Record<string, string | undefined>;
};

export function parseKeyedList<V>(values: string[], flag: string, parse: (v: string) => V | null): Partial<Record<UpstreamId, V>> {
  const out: Partial<Record<UpstreamId, V>> = {};
  for (const item of values) {
    const eq = item.indexOf('=');
    const name = item.slice(0, eq) as UpstreamId;
    const value = eq > 0 ? parse(item.slice(eq + 1)) : null;
    if (!(name in UPSTREAMS) || value === null) throw new InputError(`${flag} ${item}: expected NAME=VALUE with NAME one of ${Object.keys(UPSTREAMS).join(', ')}`);
    out[name] = value;
  }
  return out;
}

function credentialsFor(id: UpstreamId, input: AuthSidecarInput, egress: ConnectOptions): CredentialSource {
  const spec = UPSTREAMS[id];
  if (input.credentials === 'api-key' && id !== 'chatgpt') {
    const key = input.env[spec.apiKeyEnv];
    if (!key) throw new InputError(`${spec.apiKeyEnv} is not set in the auth sidecar's environment`, { hint: `export ${spec.apiKeyEnv} on the host (it is passed to the sidecar only), or use --credentials oauth-file` });
    return new ApiKeySource(id === 'anthropic' ? 'x-api-key' : 'authorization', key);
  }
  if (id === 'openai') throw new InputError('the openai upstream takes an API key (OPENAI_API_KEY); a ChatGPT login uses the chatgpt upstream');
  const claude = id === 'anthropic';
  if (!claude && input.credentials === 'api-key') throw new InputError('the chatgpt upstream needs --credentials oauth-file (a Codex ChatGPT login)');
  const path = claude ? input.claudeCredentialsPath ?? join(homedir(), '.claude', '.credentials.json') : input.codexAuthPath ?? join(homedir(), '.codex', 'auth.json');
  return new OAuthFileSource({ path, format: claude ? claudeCredentials : codexAuth, post: tokenPostVia(egress), refresh: input.oauthRefresh });
}

export async function startAuthSidecar(input: AuthSidecarInput, log: (line: string) => void): Promise<{ listening: string[]; stop(): Promise<void> }> {
  const via = parseBridgeTarget(input.egress);
  if (!via) throw new InputError(`--egress ${input.egress}: expected unix:PATH or HOST:PORT`);
  const egress: ConnectOptions = { via };
  let ledger: UsageLedger;
  try {
    ledger = new UsageLedger(input.usageLedger);
  } catch (e) {
    throw new InputError(`usage ledger: ${(e as Error).message}`, { hint: 'the ledger is append-only JSONL written by this sidecar; move a damaged file aside to start a new one' });
  }
  const caps = () => tightest(input.caps, capsFromEnv(input.env), input.budgetFile ? capsFromFile(input.budgetFile) : {});
  try {
    caps(); // a malformed budget is a startup error, not a surprise on the first request
  } catch (e) {
    throw new InputError((e as Error).message, { hint: 'budget caps are non-negative numbers, e.g. {"max_tokens": 2000000, "max_usd": 25}' });
  }
  const servers: AuthServer[] = [];
  const listening: string[] = [];
  try {
    for (const id of input.upstreams) {
      const spec = UPSTREAMS[id];
      const server = new AuthServer({ upstream: spec, origin: input.origins[id], credentials: credentialsFor(id, input, egress), egress, ledger, caps, log });
      const port = await server.listen(input.host, input.ports[id] ?? spec.defaultPort);
      servers.push(server);
      listening.push(`${id}=http://${input.host}:${port}`);
    }
  } catch (e) {
    await Promise.all(servers.map((s) => s.close()));
    throw e;
  }
  return { listening, stop: async () => void (await Promise.all(servers.map((s) => s.close()))) };
}
