/**
 * TEST ONLY: `peers sidecar egress --test-resolve NAME=IP`. End-to-end tests of the pod must prove
 * that an allowed host really answers through the proxy, without the internet: they run a local
 * upstream beside the egress container and map a test name to it. That needs two exceptions to
 * the product's rules — a name resolved from a table, and that table's addresses exempt from the
 * private/loopback guard — so both are refused unless PEERS_EGRESS_TEST_MODE=1 is also set in the
 * sidecar's environment (which `peers up` never sets), and the sidecar announces test mode loudly.
 * Every other name still goes to the system resolver and the full guard, even if it resolves to a
 * mapped address.
 */
import { isIP } from 'node:net';
import { InputError } from '../src/cli/errors.ts';
import { AddressGuard, type AddressVerdict } from './address-guard.ts';
import type { Resolver } from './resolver.ts';

export const TEST_MODE_ENV = 'PEERS_EGRESS_TEST_MODE';
const NAME_RE = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export type TestResolveTable = Map<string, string[]>;

/** Parses `NAME=IP` entries; refuses them all unless the test-mode variable is set. */
export function parseTestResolve(entries: string[], env: NodeJS.ProcessEnv): TestResolveTable | undefined {
  if (entries.length === 0) return undefined;
  if (env[TEST_MODE_ENV] !== '1') {
    throw new InputError(`--test-resolve is for the test suite only and is refused unless ${TEST_MODE_ENV}=1 is set`, {
      hint: 'a real run resolves every name with the system resolver; remove --test-resolve',
    });
  }
  const table: TestResolveTable = new Map();
  for (const e of entries) {
    const [name, ip] = e.split('=', 2).map((x) => x?.trim().toLowerCase());
    if (!name || !ip || !NAME_RE.test(name) || isIP(ip) === 0) throw new InputError(`--test-resolve ${JSON.stringify(e)}: expected NAME=IP (e.g. upstream.test=127.0.0.1)`);
    table.set(name, [...(table.get(name) ?? []), ip]);
  }
  return table;
}

/** The table's names from the table, every other name from `fallback` (the system resolver). */
export class TestOverrideResolver implements Resolver {
  constructor(
    private readonly table: TestResolveTable,
    private readonly fallback: Resolver,
  ) {}

  async resolve(host: string): Promise<string[]> {
    return [...(this.table.get(host.toLowerCase()) ?? (await this.fallback.resolve(host)))];
  }
}

/** The product guard, except a mapped name's own table addresses (a local upstream) pass. Scoped
 *  by name: another name that resolves to the same address (localhost → 127.0.0.1) is refused. */
export class TestExemptGuard extends AddressGuard {
  constructor(private readonly table: TestResolveTable) {
    super();
  }

  override check(address: string, host?: string): AddressVerdict {
    const mapped = host === undefined ? undefined : this.table.get(host.toLowerCase());
    return mapped?.includes(address.toLowerCase()) ? { ok: true } : super.check(address, host);
  }
}
