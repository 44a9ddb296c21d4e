/**
 * Every attack on the egress proxy (SECURITY.md) against the real proxy on loopback. Each refusal must be a clean HTTP
 * error with a reason, must reach no upstream, and must leave an audit record.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import net from 'node:net';
import { AddressGuard } from '../../../proxy/address-guard.ts';
import { MemoryAuditLog } from '../../../proxy/audit-log.ts';
import { EgressPolicy } from '../../../proxy/egress-policy.ts';
import { EgressServer } from '../../../proxy/egress-server.ts';
import type { Resolver } from '../../../proxy/resolver.ts';
import { openTunnel, type ProxyFixture, rawExchange, requestThrough, sleep, startProxy, startUpstream, type Upstream } from './helpers.ts';

let up: Upstream;
let strict: ProxyFixture; // product guard: loopback refused
beforeAll(async () => {
  up = await startUpstream();
  strict = await startProxy({
    allow: [`*.peers.test:${up.port}`, 'allowed.peers.test:443'],
    names: {
      'loop.peers.test': ['127.0.0.1'],
      'ten.peers.test': ['10.0.0.7'],
      'meta.peers.test': ['169.254.169.254'],
      'v6loop.peers.test': ['::1'],
      'mapped.peers.test': ['::ffff:127.0.0.1'],
      'mixed.peers.test': ['93.184.216.34', '127.0.0.1'],
    },
    allowLoopbackForTests: false,
  });
});
afterAll(async () => {
  await strict.close();
  await up.close();
});

const connect = (authority: string, extra = '') => `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${extra}\r\n`;

describe('egress proxy refuses', () => {
  test('a host that is not allow-listed (403 with the reason)', async () => {
    const r = await rawExchange(strict.port, connect('evil.example:443'));
    expect(r.text).toStartWith('HTTP/1.1 403 Forbidden');
    expect(r.text).toContain('host evil.example is not on the egress allow-list');
    expect(r.closed).toBe(true);
    const rec = strict.audit.records.at(-1)!;
    expect(rec).toMatchObject({ decision: 'deny', host: 'evil.example', port: 443, method: 'CONNECT', status: 403, address: null });
  });

  test('IP literals in every spelling, before any connection is made', async () => {
    const before = up.connections;
    for (const target of [`127.0.0.1:${up.port}`, `[::1]:${up.port}`, `2130706433:${up.port}`, `0x7f.1:${up.port}`]) {
      const r = await rawExchange(strict.port, connect(target));
      expect(r.text).toStartWith('HTTP/1.1 403');
      expect(r.text).toContain('refused: only allow-listed host names may be reached');
    }
    const plain = await rawExchange(strict.port, `GET http://127.0.0.1:${up.port}/ HTTP/1.1\r\nHost: 127.0.0.1:${up.port}\r\n\r\n`);
    expect(plain.text).toStartWith('HTTP/1.1 403');
    expect(up.connections).toBe(before);
  });

  const poisoned: [string, string][] = [
    ['loop.peers.test', 'loopback'],
    ['ten.peers.test', 'private'],
    ['meta.peers.test', 'cloud metadata'],
    ['v6loop.peers.test', 'loopback'],
    ['mapped.peers.test', 'loopback'],
    ['mixed.peers.test', 'loopback'],
  ];
  for (const [name, why] of poisoned) {
    test(`an allowed name resolving to a ${why} address (${name})`, async () => {
      const before = up.connections;
      const r = await rawExchange(strict.port, connect(`${name}:${up.port}`));
      expect(r.text).toStartWith('HTTP/1.1 403');
      expect(r.text).toContain(`${name} resolves to`);
      expect(r.text).toContain(why);
      // loop.peers.test really points at the live upstream: the refusal, not a dead port, kept it out.
      expect(up.connections).toBe(before);
      expect(strict.audit.records.at(-1)).toMatchObject({ decision: 'deny', host: name, status: 403 });
      expect(strict.audit.records.at(-1)!.address).not.toBeNull();
    });
  }

  test('a port that is not allowed for an allowed host', async () => {
    const r = await rawExchange(strict.port, connect('allowed.peers.test:22'));
    expect(r.text).toStartWith('HTTP/1.1 403');
    expect(r.text).toContain('port 22 is not allowed for allowed.peers.test');
  });
});

test('DNS rebinding: the name is resolved once and the proxy connects to the very address it checked', async () => {
  // An attacker's DNS answers the check with one address and any later lookup with another.
  let lookups = 0;
  const rebinding: Resolver = { resolve: async () => (++lookups === 1 ? ['127.0.0.1'] : ['127.0.0.9']) };
  const audit = new MemoryAuditLog();
  const server = new EgressServer({ policy: EgressPolicy.fromLists([`rebind.peers.test:${up.port}`]), resolver: rebinding, guard: new AddressGuard({ allowLoopbackForTests: true }), audit });
  await server.listen({ host: '127.0.0.1', port: 0 });
  try {
    const t = await openTunnel(server.port, `rebind.peers.test:${up.port}`);
    expect(await requestThrough(t, `rebind.peers.test:${up.port}`, '/checked')).toContain('upstream saw GET /checked');
    expect(lookups).toBe(1);
    await sleep(50);
    expect(audit.records.at(-1)).toMatchObject({ decision: 'allow', address: '127.0.0.1' });
  } finally {
    await server.close();
  }
});

describe('egress proxy refuses ambiguous requests', () => {
  let proxy: ProxyFixture;
  beforeAll(async () => {
    proxy = await startProxy({ allow: [`*.peers.test:${up.port}`], names: { 'up.peers.test': ['127.0.0.1'], 'other.peers.test': ['127.0.0.1'] }, allowLoopbackForTests: true, limits: { headerTimeoutMs: 400, maxTunnels: 2, idleTimeoutMs: 500 } });
  });
  afterAll(() => proxy.close());

  test('Host header disagreeing with the absolute URI', async () => {
    const before = up.requests.length;
    const r = await rawExchange(proxy.port, `GET http://up.peers.test:${up.port}/ HTTP/1.1\r\nHost: other.peers.test:${up.port}\r\n\r\n`);
    expect(r.text).toStartWith('HTTP/1.1 400');
    expect(r.text).toContain('disagrees with the request target');
    const c = await rawExchange(proxy.port, `CONNECT up.peers.test:${up.port} HTTP/1.1\r\nHost: other.peers.test:${up.port}\r\n\r\n`);
    expect(c.text).toStartWith('HTTP/1.1 400');
    expect(up.requests.length).toBe(before);
  });

  test('a duplicate Host header', async () => {
    const r = await rawExchange(proxy.port, `GET http://up.peers.test:${up.port}/ HTTP/1.1\r\nHost: up.peers.test:${up.port}\r\nHost: other.peers.test\r\n\r\n`);
    expect(r.text).toStartWith('HTTP/1.1 400');
    expect(r.text).toContain('duplicate Host header');
  });

  test('an oversized request line, refused before the line even ends', async () => {
    const r = await rawExchange(proxy.port, `GET http://up.peers.test:${up.port}/${'a'.repeat(9000)}`);
    expect(r.text).toStartWith('HTTP/1.1 414');
    expect(r.text).toContain('request line longer than 8192 bytes');
    expect(r.closed).toBe(true);
  });

  test('oversized headers, refused without waiting for the end of the head', async () => {
    const r = await rawExchange(proxy.port, `CONNECT up.peers.test:${up.port} HTTP/1.1\r\nX-Pad: ${'b'.repeat(40_000)}`);
    expect(r.text).toStartWith('HTTP/1.1 431');
    expect(r.text).toContain('request head larger than 32768 bytes');
  });

  test('a slow client is answered 408 and disconnected after the header timeout', async () => {
    const sock = net.connect(proxy.port, '127.0.0.1');
    let text = '';
    sock.on('data', (d) => (text += d));
    const closed = new Promise<number>((r) => sock.on('close', () => r(performance.now())));
    const t0 = performance.now();
    sock.write(`CONNECT up.peers.test:${up.port} HTTP/1.1\r\n`);
    await sleep(150);
    sock.write('X-Slow: 1\r\n'); // trickling bytes does not extend the deadline
    const t1 = await closed;
    expect(t1 - t0).toBeGreaterThanOrEqual(380);
    expect(t1 - t0).toBeLessThan(3000);
    expect(text).toStartWith('HTTP/1.1 408');
    expect(proxy.audit.records.at(-1)!.reason).toContain('no complete request head within 400 ms');
  });

  test('more concurrent tunnels than the cap: the extra one gets 503, a freed slot is reusable', async () => {
    const a = await openTunnel(proxy.port, `up.peers.test:${up.port}`);
    const b = await openTunnel(proxy.port, `up.peers.test:${up.port}`);
    const third = await rawExchange(proxy.port, connect(`up.peers.test:${up.port}`));
    expect(third.text).toStartWith('HTTP/1.1 503');
    expect(third.text).toContain('too many concurrent tunnels (limit 2)');
    a.destroy();
    await sleep(100);
    const c = await openTunnel(proxy.port, `up.peers.test:${up.port}`);
    expect(await requestThrough(c, `up.peers.test:${up.port}`, '/after-cap')).toContain('upstream saw GET /after-cap');
    b.destroy();
  });

  test('a flood of connections that send nothing: past the connection cap, new ones get 503 at once', async () => {
    const small = await startProxy({ allow: [], names: {}, allowLoopbackForTests: false, limits: { maxConnections: 4, headerTimeoutMs: 2000 } });
    const idle = await Promise.all([0, 1, 2, 3].map(() => new Promise<net.Socket>((r) => { const s = net.connect(small.port, '127.0.0.1', () => r(s)); })));
    await sleep(50);
    const r = await rawExchange(small.port, '');
    expect(r.text).toStartWith('HTTP/1.1 503');
    expect(r.text).toContain('too many open connections');
    expect(r.ms).toBeLessThan(1500);
    for (const s of idle) s.destroy();
    await small.close();
  });

  test('an idle tunnel is closed after the idle timeout', async () => {
    const t = await openTunnel(proxy.port, `up.peers.test:${up.port}`);
    const t0 = performance.now();
    await new Promise((r) => t.on('close', r));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(450);
    await sleep(50);
    expect(proxy.audit.records.some((r) => r.reason === 'closed after 500 ms idle')).toBe(true);
  });

  test('a pipelined second request on a plain-HTTP connection is never forwarded', async () => {
    const before = up.requests.length;
    const first = `POST http://up.peers.test:${up.port}/one HTTP/1.1\r\nHost: up.peers.test:${up.port}\r\nContent-Length: 3\r\n\r\nabc`;
    const smuggled = `GET http://other.peers.test:${up.port}/two HTTP/1.1\r\nHost: other.peers.test:${up.port}\r\n\r\n`;
    const r = await rawExchange(proxy.port, first + smuggled);
    expect(r.text).toContain('upstream saw POST /one');
    await sleep(50);
    expect(up.requests.slice(before).map((q) => q.url)).toEqual(['/one']);
    expect(up.requests.at(-1)!.body).toBe('abc');
  });
});
