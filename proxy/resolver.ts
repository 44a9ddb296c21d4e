/**
 * Name resolution for the egress proxy, behind an interface so tests can map test names to local
 * servers without touching real DNS. The proxy resolves once, checks every address, and connects
 * to the checked address itself: there is no second lookup an attacker's DNS could answer
 * differently (no rebinding window).
 */
import { lookup } from 'node:dns/promises';

export interface Resolver {
  /** All addresses of `host`, in the order they should be tried. Throws when the name does not resolve. */
  resolve(host: string): Promise<string[]>;
}

export class SystemResolver implements Resolver {
  async resolve(host: string): Promise<string[]> {
    const found = await lookup(host, { all: true, verbatim: true });
    return found.map((a) => a.address);
  }
}

/** A fixed table of names to addresses: for tests and benchmarks (every name must be listed). */
export class StaticResolver implements Resolver {
  constructor(private readonly table: Record<string, string[]>) {}

  async resolve(host: string): Promise<string[]> {
    const hit = this.table[host.toLowerCase()];
    if (!hit || hit.length === 0) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return [...hit];
  }
}
