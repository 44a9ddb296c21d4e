import { expect, test } from 'bun:test';
import { StaticResolver, SystemResolver, type Resolver } from '../../../proxy/resolver.ts';
import { refusedAllowAddresses } from '../../../sandbox/egress-allow-addresses.ts';

test('an allowed host that resolves to a private address (an internal mirror) is named with the address and why the proxy refuses it; public ones, wildcards and names that do not resolve are not', async () => {
  const resolver = new StaticResolver({
    'npm.corp.example': ['10.20.0.5'],
    'registry.npmjs.org': ['104.16.0.35'],
    'mixed.example': ['104.16.0.36', '192.168.1.9'],
  });
  const warnings = await refusedAllowAddresses(['npm.corp.example', 'registry.npmjs.org:443', '*.corp.example', 'mixed.example:8443', 'gone.example'], resolver);
  expect(warnings).toEqual([
    expect.stringContaining('egress.allow npm.corp.example resolves to 10.20.0.5 here, and the egress proxy never connects to such an address (private address (RFC 1918)'),
    expect.stringContaining('egress.allow mixed.example resolves to 192.168.1.9 here, and the egress proxy never connects to such an address (private address (RFC 1918)'),
  ]);
  expect(warnings[0]).toContain('setup and the gates will get 403 from it although it is allowed');
});

test('with the system resolver: a name /etc/hosts maps to the loopback is named', async () => {
  expect(await refusedAllowAddresses(['localhost'], new SystemResolver())).toEqual([expect.stringContaining('egress.allow localhost resolves to ')]);
});

test('a resolver that does not answer holds `peers up` no longer than the budget, and warns of nothing', async () => {
  const silent: Resolver = { resolve: () => new Promise<string[]>(() => {}) };
  const t0 = performance.now();
  expect(await refusedAllowAddresses(['npm.corp.example'], silent, 50)).toEqual([]);
  expect(performance.now() - t0).toBeLessThan(1000);
});
