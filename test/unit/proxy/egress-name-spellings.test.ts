/**
 * Attack: reach a host or address the allow-list does not name by spelling the target another
 * way: the CONNECT authority (case, trailing dot, Unicode and punycode names, IP literals in
 * decimal, octal, hex and IPv6 forms, zone ids, ports out of range or written oddly), an allowed
 * name resolving to an address hidden in another form (IPv4 in IPv6, NAT64, 6to4, ULA, metadata),
 * and a plain-HTTP request whose origin would pick the virtual host itself (HTTP/1.0 without Host).
 *
 * The properties (SECURITY.md, "Egress proxy"): names only, from the allow-list, compared in one
 * normal form; every address is checked after resolution; the origin of a plain-HTTP request is
 * told the very host the proxy checked. Against the real proxy on loopback; the upstream's
 * connection counter proves nothing was reached.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { waitFor } from '../../wait-for.ts';
import { openTunnel, type ProxyFixture, rawExchange, requestThrough, startProxy, startUpstream, type Upstream } from './helpers.ts';

let up: Upstream;
let proxy: ProxyFixture; // product guard: loopback refused
let loose: ProxyFixture; // loopback allowed, to reach the local upstream
const HIDDEN: Record<string, string> = {
  'zero.peers.test': '0.0.0.0',
  'unspec6.peers.test': '::',
  'ula.peers.test': 'fd12:3456::1',
  'ula2.peers.test': 'fc00::1',
  'linklocal6.peers.test': 'fe80::1',
  'hexmapped.peers.test': '::ffff:a9fe:a9fe',
  'translated.peers.test': '::ffff:0:7f00:1',
  'nat64.peers.test': '64:ff9b::a9fe:a9fe',
  'sixtofour.peers.test': '2002:7f00:1::1',
  'alibaba.peers.test': '100.100.100.200',
  'ec2v6.peers.test': 'fd00:ec2::254',
  'cgnat.peers.test': '100.64.0.1',
  'broadcast.peers.test': '255.255.255.255',
  'multicast.peers.test': '224.0.0.1',
};
beforeAll(async () => {
  up = await startUpstream();
  const names = Object.fromEntries(Object.entries(HIDDEN).map(([n, a]) => [n, [a]]));
  proxy = await startProxy({ allow: [`*.peers.test:${up.port}`, 'allowed.peers.test:443'], names: { ...names, 'allowed.peers.test': ['127.0.0.1'] }, allowLoopbackForTests: false });
  loose = await startProxy({ allow: [`allowed.peers.test:${up.port}`], names: { 'allowed.peers.test': ['127.0.0.1'] }, allowLoopbackForTests: true });
});
afterAll(async () => {
  await proxy.close();
  await loose.close();
  await up.close();
});

const connect = (authority: string) => `CONNECT ${authority} HTTP/1.1\r\n\r\n`;
const statusOf = async (port: number, bytes: string | Buffer) => (await rawExchange(port, bytes)).text.split('\r\n')[0];

describe('CONNECT targets spelled another way', () => {
  test('IP literals in decimal, octal, hex, short and IPv6 forms, zone ids and the unspecified address: 403 before any connection', async () => {
    const before = up.connections;
    const p = up.port;
    const targets = [`2130706433:${p}`, `0177.0.0.1:${p}`, `0x7f.0.0.1:${p}`, `0x7f000001:${p}`, `127.1:${p}`, `0:${p}`, `0.0.0.0:${p}`, `[::1]:${p}`, `[::ffff:127.0.0.1]:${p}`, `[::ffff:7f00:1]:${p}`, `[::]:${p}`, `[fe80::1%25eth0]:${p}`, `[fe80::1%eth0]:${p}`, `169.254.169.254:${p}`, `[fd00:ec2::254]:${p}`];
    const got = await Promise.all(targets.map(async (t) => `${t} ${await statusOf(proxy.port, connect(t))}`));
    expect(got.filter((g) => !/ HTTP\/1\.1 (400|403) /.test(g))).toEqual([]);
    expect(up.connections).toBe(before);
  });

  test('Unicode and punycode names, look-alikes and names with stray bytes are not the allowed name', async () => {
    const before = up.connections;
    const p = up.port;
    const targets = [`xn--llowed-wqa.peers.test.evil.example:${p}`, `allowed.peers.test.evil.example:${p}`, `allowed.peers.test%00:${p}`, `allowed.peers.test\t:${p}`, `allowed_peers.test:${p}`, `*.peers.test:${p}`, `.peers.test:${p}`, `peers.test:${p}`];
    const got = await Promise.all(targets.map(async (t) => `${JSON.stringify(t)} ${await statusOf(proxy.port, connect(t))}`));
    expect(got.filter((g) => !/ HTTP\/1\.1 (400|403) /.test(g))).toEqual([]);
    // A Unicode name, sent as UTF-8 bytes.
    const idn = await statusOf(proxy.port, Buffer.from(connect(`ällowed.peers.test:${p}`), 'utf8'));
    expect(idn).toMatch(/^HTTP\/1\.1 (400|403) /);
    expect(up.connections).toBe(before);
  });

  test('ports out of range or written oddly are refused; a port the entry does not name is 403', async () => {
    const bad = ['allowed.peers.test:0', 'allowed.peers.test:65536', 'allowed.peers.test:99999', 'allowed.peers.test:', 'allowed.peers.test:-1', 'allowed.peers.test:+443', 'allowed.peers.test: 443', 'allowed.peers.test:443 ', 'allowed.peers.test', 'allowed.peers.test:443:443', 'http://allowed.peers.test:443/'];
    const got = await Promise.all(bad.map(async (t) => `${JSON.stringify(t)} ${await statusOf(proxy.port, connect(t))}`));
    expect(got.filter((g) => !/ HTTP\/1\.1 400 /.test(g))).toEqual([]);
    expect(await statusOf(proxy.port, connect('allowed.peers.test:80'))).toBe('HTTP/1.1 403 Forbidden');
  });

  test('case and a trailing dot are the same name: allowed, and audited in one normal form', async () => {
    for (const name of ['ALLOWED.Peers.TEST', 'allowed.peers.test.']) {
      const t = await openTunnel(loose.port, `${name}:${up.port}`);
      expect(await requestThrough(t, `allowed.peers.test:${up.port}`, '/case')).toContain('upstream saw GET /case');
    }
    await waitFor('both tunnels audited', () => loose.audit.records.filter((r) => r.reason === 'tunnel').length >= 2, 3000);
    expect(loose.audit.records.filter((r) => r.reason === 'tunnel').map((r) => r.host)).toEqual(['allowed.peers.test', 'allowed.peers.test']);
  });
});

describe('an allowed name resolving to an address hidden in another form', () => {
  for (const [name, address] of Object.entries(HIDDEN)) {
    test(`${name} → ${address}: 403, nothing reached`, async () => {
      const before = up.connections;
      const r = await rawExchange(proxy.port, connect(`${name}:${up.port}`));
      expect(r.text).toStartWith('HTTP/1.1 403');
      expect(r.text).toContain(`${name} resolves to ${address}`);
      expect(up.connections).toBe(before);
    });
  }
});

describe('plain HTTP in absolute form', () => {
  test('an HTTP/1.0 request without Host: the origin is told the host the proxy checked, not left to pick one', async () => {
    const before = up.requests.length;
    const r = await rawExchange(loose.port, `GET http://allowed.peers.test:${up.port}/v10 HTTP/1.0\r\n\r\n`);
    expect(r.text).toContain('upstream saw GET /v10');
    expect(up.requests.length).toBe(before + 1);
    expect(up.requests.at(-1)!.headers.host).toBe(`allowed.peers.test:${up.port}`);
  });

  test('Upgrade (websocket, h2c) never reaches the origin; the connection is closed after one reply', async () => {
    const r = await rawExchange(loose.port, `GET http://allowed.peers.test:${up.port}/ws HTTP/1.1\r\nHost: allowed.peers.test:${up.port}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: websocket, h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\n`);
    expect(r.text).toContain('upstream saw GET /ws');
    const seen = up.requests.at(-1)!.headers;
    expect(seen.upgrade).toBeUndefined();
    expect(seen['http2-settings']).toBeUndefined();
    expect(seen.connection).toBe('close');
  });
});
