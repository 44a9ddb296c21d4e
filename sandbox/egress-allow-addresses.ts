/**
 * An `egress.allow` host whose name resolves, from this machine, to an address the egress proxy
 * never connects to (a private, loopback or reserved one: an internal package mirror, a hosts-file
 * entry, split-horizon DNS). The proxy refuses it with 403 whatever the allow-list says (SECURITY.md,
 * "Addresses are checked after resolution"), so `setup` and the gates fail with "403" while the host
 * is on the list. `peers up` says so before the run starts, naming the host, the address and why;
 * a warning, not a refusal: the egress container resolves on its own and may be answered otherwise.
 */
import { AddressGuard } from '../proxy/address-guard.ts';
import { parseAllowEntry } from '../proxy/egress-policy.ts';
import type { Resolver } from '../proxy/resolver.ts';

/** How long the lookups of one `up` may take together: a machine without DNS must not hold `up`. */
const LOOKUP_BUDGET_MS = 1500;

/** The warning for one allowed host, from its resolved addresses; undefined when the proxy would connect. */
export function refusedAddressWarning(host: string, addresses: readonly string[], guard = new AddressGuard()): string | undefined {
  for (const address of addresses) {
    const verdict = guard.check(address, host);
    if (verdict.ok) continue;
    return `egress.allow ${host} resolves to ${address} here, and the egress proxy never connects to such an address (${verdict.reason}; SECURITY.md, "Addresses are checked after resolution"): setup and the gates will get 403 from it although it is allowed. Use a host that resolves to a public address (the public registry rather than an internal mirror), or vendor or commit what setup would download from it`;
  }
  return undefined;
}

/**
 * The warnings for `allow` (exact host names; wildcards name no one host), each name resolved once
 * with `resolver`. A name that does not resolve, or not within the budget, gets no warning here.
 */
export async function refusedAllowAddresses(allow: readonly string[], resolver: Resolver, budgetMs = LOOKUP_BUDGET_MS): Promise<string[]> {
  const hosts = [...new Set(allow.flatMap((raw) => {
    try {
      const e = parseAllowEntry(raw);
      return e.wildcard ? [] : [e.suffix];
    } catch {
      return []; // refused with its file and line where the config is loaded
    }
  }))];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), budgetMs)));
  try {
    const found = await Promise.all(hosts.map((host) => Promise.race([resolver.resolve(host).catch(() => undefined), late])));
    return hosts.flatMap((host, i) => {
      const warning = found[i] ? refusedAddressWarning(host, found[i]!) : undefined;
      return warning ? [warning] : [];
    });
  } finally {
    clearTimeout(timer);
  }
}
