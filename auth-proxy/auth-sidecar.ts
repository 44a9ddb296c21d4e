/**
 * Assembles the credential sidecar from its command-line inputs: one AuthServer per upstream,
 * one shared usage ledger and one set of reservations (so the budget covers every upstream
 * together), the budget policy `peers up` resolved, and the credential source each upstream uses.
 * `peers sidecar auth` is a thin wrapper around this.
 */
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { InputError } from '../src/cli/errors.ts';
import { parseBridgeTarget } from '../proxy/bridge.ts';
import { AuthServer } from './auth-server.ts';
import { DEFAULT_AUTH_LIMITS } from './auth-server-options.ts';
import { BodyBytes } from './body-budget.ts';
import { UnbilledThrottle } from './unbilled-throttle.ts';
import { ApiKeySource, type CredentialSource, NoCredential } from './credential-source.ts';
import type { ConnectOptions } from './egress-connector.ts';
import { claudeCredentials, codexAuth } from './oauth/formats.ts';
import { OAuthFileSource } from './oauth/oauth-file-source.ts';
import { readTokenFile } from './oauth/token-file.ts';
import { tokenPostVia } from './oauth/token-post.ts';
import { readBudgetPolicy, sidecarCaps, describePolicy, policyPrices, type BudgetPolicy } from '../src/budget/budget-policy-file.ts';
import { RequestAudit } from './request-audit.ts';
import { providerUpstream, UPSTREAMS, type UpstreamId } from './upstreams.ts';
import type { ProviderUpstream } from '../src/config/provider.ts';
import { type BudgetCaps, capsFromEnv, capsFromFile, Reservations, tightest } from './usage/budget.ts';
import { UsageLedger } from './usage/usage-ledger.ts';
import { PRICE_TABLE_DATE } from './usage/price-table.ts';

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
  /** The policy `peers up` wrote (caps and max_usd_mode); read once, at start. */
  budgetPolicy?: string;
  /**
   * HOST:PORT of the scripted model server on this loopback: every upstream goes there directly,
   * with no credential at all (`peers up` in model-server mode, for rehearsals and tests).
   */
  modelServer?: string;
  /** Audit log of refused paths (default: audit.jsonl beside the ledger). */
  auditLog?: string;
  /** The run's providers (src/config/provider.ts): one more upstream each, keyed from `key_env`. */
  providers?: ProviderUpstream[];
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

/**
 * anthropic: API key (default) or Claude Code's login file (--credentials oauth-file);
 * openai: API key; chatgpt: Codex's ChatGPT login file (choosing this upstream is the opt-in).
 */
function credentialsFor(id: UpstreamId, input: AuthSidecarInput, egress: ConnectOptions): CredentialSource {
  const spec = UPSTREAMS[id];
  if (input.modelServer) return new NoCredential();
  if (id === 'openai' || (id === 'anthropic' && input.credentials === 'api-key')) {
    const key = input.env[spec.apiKeyEnv];
    if (!key) throw new InputError(`${spec.apiKeyEnv} is not set in the auth sidecar's environment`, { hint: `export ${spec.apiKeyEnv} on the host (it is passed to the sidecar only)${id === 'anthropic' ? ', or use --credentials oauth-file' : ''}` });
    return new ApiKeySource(id === 'anthropic' ? 'x-api-key' : 'authorization', key);
  }
  const claude = id === 'anthropic';
  const path = claude ? input.claudeCredentialsPath ?? join(homedir(), '.claude', '.credentials.json') : input.codexAuthPath ?? join(homedir(), '.codex', 'auth.json');
  const format = claude ? claudeCredentials : codexAuth;
  try {
    format.read(readTokenFile(path).doc);
  } catch (e) {
    const login = claude ? '`claude` then `/login`' : '`codex login`';
    throw new InputError(`cannot use this credentials file: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { location: { file: path }, hint: `log in on the host with ${login}, or pass the file with --${claude ? 'claude-credentials' : 'codex-auth'}` });
  }
  return new OAuthFileSource({ path, format, post: tokenPostVia(egress), refresh: input.oauthRefresh });
}

/** A provider's key, from the sidecar's environment only. */
export function providerCredentials(p: ProviderUpstream, input: Pick<AuthSidecarInput, 'env' | 'modelServer'>): CredentialSource {
  if (input.modelServer) return new NoCredential();
  const key = input.env[p.key_env];
  if (!key) throw new InputError(`${p.key_env} is not set in the auth sidecar's environment (provider ${p.name})`, { hint: `export ${p.key_env} on the host before \`peers up\` (it is passed to the sidecar only)` });
  // Compatible APIs differ in where they read the key: OpenRouter's Anthropic API a bearer token,
  // others x-api-key. Both go to the provider's one origin.
  return new ApiKeySource(p.kind === 'anthropic-compatible' ? ['x-api-key', 'authorization'] : 'authorization', key);
}

export async function startAuthSidecar(input: AuthSidecarInput, log: (line: string) => void): Promise<{ listening: string[]; budgetLine: string; stop(): Promise<void> }> {
  // Loopback only: in the pod that is the workspace's side of the sidecar; anywhere else, binding a
  // wider address would hand the real credential to the network.
  if (!/^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/.test(input.host)) {
    throw new InputError(`--host ${input.host}: the auth sidecar listens on loopback only (127.0.0.1 or ::1)`);
  }
  const via = parseBridgeTarget(input.egress);
  if (!via) throw new InputError(`--egress ${input.egress}: expected unix:PATH or HOST:PORT`);
  const egress: ConnectOptions = { via };
  let modelServer: string | undefined;
  if (input.modelServer) {
    // Loopback only: this mode sends requests without the egress proxy, so it must never reach out.
    if (!/^127\.0\.0\.1:\d{1,5}$/.test(input.modelServer)) throw new InputError(`--model-server ${input.modelServer}: expected 127.0.0.1:PORT (the scripted model server on this loopback)`);
    modelServer = `http://${input.modelServer}`;
  }
  let ledger: UsageLedger;
  try {
    ledger = new UsageLedger(input.usageLedger);
  } catch (e) {
    throw new InputError(`usage ledger: ${(e as Error).message}`, { hint: 'the ledger is append-only JSONL written by this sidecar; move a damaged file aside to start a new one (the run then forgets what it spent)' });
  }
  if (ledger.repair !== 'none') log(`usage ledger ${input.usageLedger}: a torn last line (a crash mid-write) was ${ledger.repair === 'completed' ? 'completed' : 'cut off'}`);
  const policy: BudgetPolicy | undefined = input.budgetPolicy ? readBudgetPolicy(input.budgetPolicy) : undefined;
  const fromPolicy = policy ? sidecarCaps(policy) : {};
  const prices = policy ? policyPrices(policy) : {};
  const caps = () => tightest(input.caps, fromPolicy, capsFromEnv(input.env), input.budgetFile ? capsFromFile(input.budgetFile) : {});
  let start: BudgetCaps;
  try {
    start = caps(); // a malformed budget is a startup error, not a surprise on the first request
  } catch (e) {
    throw new InputError((e as Error).message, { hint: 'budget caps are non-negative numbers, e.g. {"max_tokens": 2000000, "max_usd": 25}' });
  }
  const budgetLine = `budget: ${policy ? describePolicy(policy) : 'no policy file'}; enforced here: ${start.maxUsd !== undefined ? `max_usd $${start.maxUsd}` : 'no USD cap'}, ${start.maxTokens !== undefined ? `max_tokens ${start.maxTokens}` : 'no token cap'}; spent so far $${ledger.totals.usd.toFixed(4)}, ${ledger.totals.tokens} tokens (prices of ${PRICE_TABLE_DATE})`;
  const reservations = new Reservations();
  const slots = { active: 0 };
  const connections = { count: 0 };
  const bodyBytes = new BodyBytes(DEFAULT_AUTH_LIMITS.maxBufferedBodyBytes);
  const unbilled = new UnbilledThrottle(DEFAULT_AUTH_LIMITS.unbilledBurst, DEFAULT_AUTH_LIMITS.unbilledPerSecond);
  const audit = new RequestAudit(input.auditLog ?? join(dirname(input.usageLedger), 'audit.jsonl'), log);
  const servers: AuthServer[] = [];
  const listening: string[] = [];
  try {
    for (const id of input.upstreams) {
      const spec = UPSTREAMS[id];
      const server = new AuthServer({ upstream: spec, origin: modelServer ?? input.origins[id], direct: modelServer !== undefined, keepPeerPrefix: modelServer !== undefined, credentials: credentialsFor(id, input, egress), egress, ledger, caps, prices, reservations, slots, connections, bodyBytes, unbilled, audit, log });
      const port = await server.listen(input.host, input.ports[id] ?? spec.defaultPort);
      servers.push(server);
      listening.push(`${id}=http://${input.host}:${port}`);
    }
    for (const p of input.providers ?? []) {
      // The scripted model server serves every API at its root: no provider path prefix there.
      const spec = modelServer ? { ...providerUpstream(p), pathPrefix: '' } : providerUpstream(p);
      const server = new AuthServer({ upstream: spec, origin: modelServer, direct: modelServer !== undefined, keepPeerPrefix: modelServer !== undefined, credentials: providerCredentials(p, input), egress, ledger, caps, prices, reservations, slots, connections, bodyBytes, unbilled, audit, log });
      const port = await server.listen(input.host, p.port);
      servers.push(server);
      listening.push(`${p.name}=http://${input.host}:${port} (${p.base_url})`);
    }
  } catch (e) {
    await Promise.all(servers.map((s) => s.close()));
    throw e;
  }
  log(budgetLine);
  return { listening, budgetLine, stop: async () => void (await Promise.all(servers.map((s) => s.close()))) };
}
