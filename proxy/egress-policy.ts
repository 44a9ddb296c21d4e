/**
 * The egress allow-list: which host names and ports may leave the pod.
 *
 * Entries are exact host names (`api.anthropic.com`) or suffix wildcards (`*.example.com`, which
 * matches any name strictly below example.com, never example.com itself), each with an optional
 * `:port` (443 when absent). Matching is by name only; the address a name resolves to is checked
 * separately (address-guard.ts). IP literals cannot be allow-listed: an allowed address would
 * bypass the resolver check that keeps the proxy off private networks.
 */
import { isIpLiteral } from './address-guard.ts';

export type AllowEntry = { pattern: string; wildcard: boolean; suffix: string; port: number };
/** `host`: the name in its normal form, the one the proxy resolves and audits. */
export type PolicyVerdict = { ok: true; entry: AllowEntry; host: string } | { ok: false; reason: string };

/**
 * The vendor API hosts: exactly the origins the auth sidecar forwards to (auth-proxy/upstreams.ts),
 * no wildcard. In the pod they are served only on the auth sidecar's own listener, never to the
 * workspace (docs/ARCHITECTURE.md, "Two egress listeners"). Multi-tenant telemetry hosts (Sentry,
 * Statsig, Datadog) are deliberately absent and must never be added: anyone can open an account
 * there and receive exfiltrated data.
 */
export const DEFAULT_EGRESS_ALLOW: readonly string[] = [
  'api.anthropic.com', // the auth sidecar's `anthropic` upstream (Claude Code, opencode with Anthropic models)
  'api.openai.com', // the auth sidecar's `openai` upstream (Codex and opencode with an API key)
  'chatgpt.com', // the auth sidecar's `chatgpt` upstream (Codex with a ChatGPT login: /backend-api/codex)
];

/** Token endpoints the auth sidecar's OAuth refresh reaches; added only when OAuth is opted in. */
export const OAUTH_REFRESH_ALLOW: readonly string[] = [
  'platform.claude.com', // Claude Code's OAuth token endpoint (/v1/oauth/token, its TOKEN_URL in 2.1.330)
  'auth.openai.com', // Codex's ChatGPT-login token endpoint (/oauth/token)
];

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
export const MAX_ALLOW_ENTRIES = 256;

export class AllowEntryError extends Error {
  constructor(readonly entry: string, readonly index: number, reason: string) {
    super(`egress.allow[${index}] ${JSON.stringify(entry)}: ${reason}`);
    this.name = 'AllowEntryError';
  }
}

/**
 * Lower-cases and strips one trailing dot, the forms under which one name may be written. Nothing
 * else is removed: a name with whitespace or other stray bytes stays invalid, so the name checked
 * is the name resolved (before, a trailing tab was trimmed for the check and sent to the resolver).
 */
export function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

export function isValidHostname(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  return host.split('.').every((l) => LABEL.test(l));
}

export function parseAllowEntry(raw: string, index = 0): AllowEntry {
  if (typeof raw !== 'string') throw new AllowEntryError(String(raw), index, 'must be a string');
  const text = raw.trim().toLowerCase();
  if (text.length === 0) throw new AllowEntryError(raw, index, 'is empty');
  if (/[\s,/@]/.test(text)) throw new AllowEntryError(raw, index, 'must be "host", "*.suffix", optionally with ":port" (no scheme, path or spaces)');
  const m = /^(.*?)(?::(\d{1,5}))?$/.exec(text)!;
  const hostPart = m[1]!.replace(/\.$/, '');
  const port = m[2] === undefined ? 443 : Number(m[2]);
  if (port < 1 || port > 65535) throw new AllowEntryError(raw, index, `port ${m[2]} is out of range 1-65535`);
  const wildcard = hostPart.startsWith('*.');
  const name = wildcard ? hostPart.slice(2) : hostPart;
  if (name.includes('*')) throw new AllowEntryError(raw, index, 'a wildcard is only allowed as the whole first label ("*.example.com")');
  if (isIpLiteral(name) || name.startsWith('[')) throw new AllowEntryError(raw, index, 'IP addresses cannot be allow-listed; list the host name');
  if (!isValidHostname(name)) throw new AllowEntryError(raw, index, 'is not a valid host name');
  if (wildcard && !name.includes('.')) throw new AllowEntryError(raw, index, 'a wildcard must cover a registered domain ("*.example.com"), not a whole top-level domain');
  return { pattern: `${hostPart}:${port}`, wildcard, suffix: name, port };
}

export class EgressPolicy {
  readonly entries: readonly AllowEntry[];

  constructor(entries: readonly AllowEntry[]) {
    this.entries = entries;
  }

  /** Defaults plus the project's `egress.allow` entries (and any extra, e.g. OAuth token hosts). */
  static fromLists(...lists: readonly (readonly string[])[]): EgressPolicy {
    const all = lists.flat();
    if (all.length > MAX_ALLOW_ENTRIES) throw new AllowEntryError(String(all.length), MAX_ALLOW_ENTRIES, `too many entries (limit ${MAX_ALLOW_ENTRIES})`);
    const seen = new Set<string>();
    const entries: AllowEntry[] = [];
    all.forEach((raw, i) => {
      const e = parseAllowEntry(raw, i);
      if (!seen.has(e.pattern)) entries.push(e);
      seen.add(e.pattern);
    });
    return new EgressPolicy(entries);
  }

  check(rawHost: string, port: number): PolicyVerdict {
    const host = normalizeHost(rawHost);
    if (isIpLiteral(host)) return { ok: false, reason: `IP address ${rawHost} refused: only allow-listed host names may be reached` };
    if (!isValidHostname(host)) return { ok: false, reason: `invalid host name ${JSON.stringify(rawHost)}` };
    let hostMatched = false;
    for (const e of this.entries) {
      const nameOk = e.wildcard ? host.endsWith(`.${e.suffix}`) : host === e.suffix;
      if (!nameOk) continue;
      hostMatched = true;
      if (e.port === port) return { ok: true, entry: e, host };
    }
    if (hostMatched) return { ok: false, reason: `port ${port} is not allowed for ${host} (allow-list it as "${host}:${port}")` };
    return { ok: false, reason: `host ${host} is not on the egress allow-list (add it to egress.allow in .peers/config.yaml)` };
  }
}

/**
 * The allow-list without any entry that would let the workspace reach a vendor API or token
 * host (`api.openai.com`, `*.anthropic.com`, …): for the pod whose model is the scripted server
 * in it (rehearsals, the demo), nothing of the peers' model traffic may leave.
 */
export function withoutVendorHosts(allow: readonly string[]): { kept: string[]; dropped: string[] } {
  const vendors = [...DEFAULT_EGRESS_ALLOW, ...OAUTH_REFRESH_ALLOW];
  const kept: string[] = [];
  const dropped: string[] = [];
  allow.forEach((raw, i) => {
    let entry: AllowEntry;
    try {
      entry = parseAllowEntry(raw, i);
    } catch {
      kept.push(raw); // invalid entries are the egress proxy's to refuse, with their own message
      return;
    }
    const one = new EgressPolicy([entry]);
    if (vendors.some((host) => one.check(host, entry.port).ok)) dropped.push(raw);
    else kept.push(raw);
  });
  return { kept, dropped };
}
