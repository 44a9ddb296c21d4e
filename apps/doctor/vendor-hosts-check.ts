/**
 * `peers doctor`, per project: do the vendor API hosts its peers reach resolve on this machine
 * (sandbox/vendor-hosts.ts)? The pod's egress proxy resolves with the host's resolver, so a host
 * that does not resolve here fails every turn as vendor unreachable. Looked up once for every
 * registered project before the (synchronous) checks run, all at once within a short budget.
 */
import { loadProject } from '../../src/config/load.ts';
import { listRegisteredProjects } from '../../src/config/project-registry.ts';
import type { PeersConfig } from '../../src/config/config-schema.ts';
import { type Resolver, SystemResolver } from '../../proxy/resolver.ts';
import { unresolvedVendorHosts, unresolvedVendorWarning, type VendorHost, vendorHostsOf } from '../../sandbox/vendor-hosts.ts';
import type { DoctorCheck } from './doctor-check.ts';
import type { HostProbe } from './host-probe.ts';

/** Without OPENAI_API_KEY a codex peer is served from its login, at chatgpt.com. */
const hostsFor = (config: Pick<PeersConfig, 'peers'>, env: HostProbe['env']): VendorHost[] => vendorHostsOf(config.peers, { codexLogin: !env.OPENAI_API_KEY });

/** The probe with `vendorLookups`: each vendor host of the registered projects, and why it does not resolve (null: it does). */
export async function withVendorLookups(probe: HostProbe, resolver: Resolver = new SystemResolver()): Promise<HostProbe> {
  const hosts = new Map<string, VendorHost>();
  try {
    for (const { path } of listRegisteredProjects(probe.env)) {
      try {
        for (const h of hostsFor(loadProject(path).config, probe.env)) hosts.set(h.host, h);
      } catch {
        // a project that does not load is its own check's failure
      }
    }
  } catch {
    return probe; // an unreadable registry is the projects check's failure
  }
  const unresolved = await unresolvedVendorHosts([...hosts.values()], resolver);
  const why = new Map(unresolved.map((u) => [u.host, u.why]));
  return { ...probe, vendorLookups: new Map([...hosts.keys()].map((h) => [h, why.get(h) ?? null])) };
}

/** The project's vendor hosts check; null when nothing was looked up or its peers reach no vendor. */
export function vendorHostsCheck(path: string, config: Pick<PeersConfig, 'peers'>, probe: HostProbe): DoctorCheck | null {
  const lookups = probe.vendorLookups;
  if (!lookups) return null;
  const hosts = hostsFor(config, probe.env).filter((h) => lookups.has(h.host));
  if (hosts.length === 0) return null;
  const bad = hosts.flatMap((h) => (lookups.get(h.host) ? [{ ...h, why: lookups.get(h.host)! }] : []));
  const base = { id: `vendor-hosts:${path}`, title: '  vendor hosts', required: false };
  if (bad.length === 0) return { ...base, status: 'ok', detail: `${hosts.map((h) => h.host).join(', ')} resolve` };
  return { ...base, status: 'warn', detail: bad.map(unresolvedVendorWarning).join('\n'), fix: `getent hosts ${bad.map((b) => b.host).join(' ')}  # fix this machine's DNS (or proxy settings) until it answers` };
}
