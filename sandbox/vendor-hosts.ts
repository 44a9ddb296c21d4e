/**
 * The vendor API hosts a project's peers will reach through the auth sidecar, and whether this
 * machine resolves them. The pod's egress proxy resolves with the host's resolver; a vendor host
 * that does not resolve here (no DNS, a corporate network that only resolves through its proxy)
 * fails every turn as `vendor-unreachable` (src/loop/classify.ts). `peers up` says so before the
 * pod starts and `peers doctor` per project: a warning, not a refusal (the network may come back,
 * and the run holds the peer while it is away).
 */
import { opencodeProvider } from '../src/config/opencode-vendor.ts';
import { codexRoutesItself } from '../src/config/peer-argv.ts';
import { resolveProvider, type ProviderSpec } from '../src/config/provider.ts';
import type { Resolver } from '../proxy/resolver.ts';
import { UPSTREAMS } from '../auth-proxy/upstreams.ts';

/** How long the lookups of one `up` or `doctor` may take together: a machine without DNS must not hold them. */
export const VENDOR_LOOKUP_BUDGET_MS = 2000;

export type VendorHost = { host: string; peers: string[] };
type PeerLike = { name: string; tool: string; argv: readonly string[]; provider?: ProviderSpec; model?: string; env?: Record<string, string> };

/** The host of a vendor's upstream, as the auth sidecar reaches it (auth-proxy/upstreams.ts). */
const hostOf = (id: 'anthropic' | 'openai' | 'chatgpt') => new URL(UPSTREAMS[id].origin).hostname;

/** A peer pointed elsewhere by its own environment (a rehearsal's loopback model server) names no vendor host. */
const OWN_BASE_URL = ['ANTHROPIC_BASE_URL', 'OPENAI_BASE_URL'];

/**
 * Each vendor host and the peers that need it: a provider's base_url host; claude (and opencode on
 * an Anthropic model) api.anthropic.com; codex api.openai.com, or chatgpt.com when it is served
 * from the Codex login (`codexLogin`), none when its argv names its own provider (codexRoutesItself); opencode on an OpenAI model api.openai.com. custom peers none.
 */
export function vendorHostsOf(peers: readonly PeerLike[], o: { codexLogin: boolean }): VendorHost[] {
  const byHost = new Map<string, string[]>();
  const add = (host: string, peer: string) => byHost.set(host, [...(byHost.get(host) ?? []), peer]);
  for (const p of peers) {
    if (OWN_BASE_URL.some((k) => p.env?.[k] !== undefined)) continue;
    const provider = p.tool === 'claude' || p.tool === 'codex' ? resolveProvider(p.tool, p.provider) : null;
    if (provider) add(new URL(provider.base_url).hostname.toLowerCase(), p.name);
    else if (p.tool === 'claude') add(hostOf('anthropic'), p.name);
    else if (p.tool === 'codex') {
      if (!codexRoutesItself(p.argv)) add(hostOf(o.codexLogin ? 'chatgpt' : 'openai'), p.name);
    }
    else if (p.tool === 'opencode') {
      const vendor = opencodeProvider(p);
      if (vendor === 'anthropic' || vendor === 'openai') add(hostOf(vendor), p.name);
    }
  }
  return [...byHost].map(([host, names]) => ({ host, peers: names }));
}

export type Unresolved = VendorHost & { why: string };

/** The hosts that do not resolve with `resolver` within `budgetMs` (all looked up at once), and why. */
export async function unresolvedVendorHosts(hosts: readonly VendorHost[], resolver: Resolver, budgetMs = VENDOR_LOOKUP_BUDGET_MS): Promise<Unresolved[]> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no answer within ${budgetMs / 1000} s`), budgetMs)));
  try {
    const found = await Promise.all(
      hosts.map((h) =>
        Promise.race([
          resolver.resolve(h.host).then(
            (a) => (a.length ? null : 'no addresses'),
            (e: NodeJS.ErrnoException) => e.code ?? e.message,
          ),
          late,
        ]),
      ),
    );
    return hosts.flatMap((h, i) => (found[i] ? [{ ...h, why: found[i]! }] : []));
  } finally {
    clearTimeout(timer);
  }
}

/** The warning `peers up` and `peers doctor` give for one vendor host that does not resolve. */
export function unresolvedVendorWarning(u: Unresolved): string {
  return `vendor host ${u.host} (for ${u.peers.join(', ')}) does not resolve on this machine (${u.why}): the pod's egress proxy resolves it the same way, so every turn would fail as vendor unreachable. Check this machine's DNS and any proxy or firewall in the way (\`getent hosts ${u.host}\`)`;
}
